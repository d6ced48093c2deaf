"""One render per change, however many subscribers ask at once: real parallel requests,
each on its own connection, against a live server (SQLite file or PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from app.models import Gig
from app.models.base import new_id
from tests.direct import db_session
from tests.factories import make_association, make_gig, organization_with_key
from tests.integrations.calendar_helpers import PUBLIC_FEED
from tests.live_server import serve

PARALLEL = 32
START = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=1)


def copies_of(app: FastAPI, gig_id: str, count: int) -> None:
    """``count`` more gigs like ``gig_id``, an hour apart (a feed big enough to take a while)."""
    with db_session(app) as session, session.begin():
        template = dict(
            session.execute(select(Gig.__table__).where(Gig.id == gig_id)).one()._mapping
        )
        copies = []
        for number in range(1, count + 1):
            starts_at = template["starts_at"] + timedelta(hours=number)
            copies.append({
                **template, "id": new_id("gig"), "title": f"Klus {number}",
                "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=3),
            })  # fmt: skip
        session.execute(insert(Gig), copies)


def all_at_once(
    base: str, path: str, headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    """``PARALLEL`` GETs of ``path``, each on its own connection, released together."""
    barrier = threading.Barrier(PARALLEL)

    def ask(_: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            http.get("/healthz")  # connected before the barrier
            barrier.wait()
            return http.get(path, headers=headers)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(ask, range(PARALLEL)))


def test_parallel_requests_after_a_change_cause_one_render(
    app: FastAPI, client: TestClient
) -> None:
    _, headers = organization_with_key(client)
    association, _ = make_association(client)
    group = {"kind": "group", "capacity": 10, "group_size_min": 2, "group_size_max": 5}
    times = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=3)).isoformat()}
    gig = make_gig(client, headers, **group, **times)
    copies_of(app, gig["id"], 600)
    url = urlparse(association["calendar_url"])
    feeds = app.state.caches.feeds

    def rename(title: str) -> Any:
        return client.patch(f"/api/v1/gigs/{gig['id']}", json={"title": title}, headers=headers)

    with serve(app) as base:
        # Kept before the change. (This also opens the data version's connection before
        # the burst: on PostgreSQL, parallel first reads each open one, and all but the
        # last are never closed: `DataVersion._snapshot`.)
        assert httpx.get(base + PUBLIC_FEED, timeout=60).status_code == 200
        for number, path in enumerate((PUBLIC_FEED, f"{url.path}?{url.query}")):
            title = f"Veranderd {number}"
            assert rename(title).status_code == 200
            renders = feeds.renders

            answers = all_at_once(base, path)

            assert [answer.status_code for answer in answers] == [200] * PARALLEL
            assert len({answer.content for answer in answers}) == 1
            assert f"SUMMARY:{title}".encode() in answers[0].content
            assert answers[0].content.count(b"BEGIN:VEVENT") == 601
            assert feeds.renders == renders + 1

            polls = all_at_once(base, path, {"If-None-Match": answers[0].headers["etag"]})

            assert [poll.status_code for poll in polls] == [304] * PARALLEL
            assert feeds.renders == renders + 1
