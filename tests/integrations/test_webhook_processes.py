"""Webhooks across real app processes: `kill -9` loses nothing, and two processes on one
PostgreSQL database deliver each event once per attempt."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook as Verifier

from app.models import Event, WebhookAttempt
from tests.app_processes import app_process, organisation_key
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL
from tests.direct import db_session
from tests.factories import gig_body
from tests.integrations.receiver import free_port, receiving

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _gig_event_ids(database_url: str) -> set[str]:
    with db_session(database_url) as session:
        return set(session.scalars(select(Event.id).where(Event.type == "gig.created")))


def test_a_killed_app_delivers_every_event_after_its_restart(database_url: str) -> None:
    port = free_port()  # the receiver is down until the app was killed
    with app_process(database_url) as first:
        org = organisation_key(first)
        hook = first.post(
            "/webhooks",
            {"url": f"http://127.0.0.1:{port}/hooks", "events": ["gig.created"]},
            ADMIN,
        )
        for index in range(10):
            first.post("/gigs", gig_body(title=f"Klus {index}"), org)
        # Every one of those attempted (and failed) once: they wait for their retry.
        deadline = time.monotonic() + 30
        while True:
            with db_session(database_url) as session:
                tried = session.scalar(select(func.count(func.distinct(WebhookAttempt.event_id))))
            if tried == 10:
                break
            assert time.monotonic() < deadline, f"{tried} of 10 attempted"
            time.sleep(0.1)
        # Ten more, and the process killed at once: these are in every state, from not
        # yet handed out to being attempted.
        for index in range(10, 20):
            first.post("/gigs", gig_body(title=f"Klus {index}"), org)
        first.kill()
    expected = _gig_event_ids(database_url)
    assert len(expected) == 20
    with receiving(port) as receiver, app_process(database_url):
        # (A delivery claimed when the process died waits for its claim to run out.)
        receiver.wait_for(20, timeout=90)
        time.sleep(1.0)
    ids = Counter(receiver.ids())
    assert set(ids) == expected
    assert all(count == 1 for count in ids.values()), ids  # nothing reached it before
    for request in receiver.received:
        Verifier(hook["secret"]).verify(request.body, request.headers)
        assert json.loads(request.body)["id"] == request.headers["webhook-id"]


@pytest.mark.skipif(not POSTGRES_URL, reason="several processes share a PostgreSQL database")
def test_two_app_processes_deliver_each_event_once(database_url: str) -> None:
    with (
        receiving() as receiver,
        app_process(database_url) as one,
        app_process(database_url) as other,
    ):
        org = organisation_key(one)
        one.post("/webhooks", {"url": receiver.url, "events": ["gig.created"]}, ADMIN)
        count = 120
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(
                lambda index: (one, other)[index % 2].post(
                    "/gigs", gig_body(title=f"Klus {index}"), org
                ),
                range(count),
            ))  # fmt: skip
        receiver.wait_for(count, timeout=60)
        time.sleep(2.0)  # more than a poll of each: a second delivery would have come
        metrics = [
            httpx.get(f"http://127.0.0.1:{app.port}/metrics", timeout=10).text
            for app in (one, other)
        ]
    ids = Counter(receiver.ids())
    assert set(ids) == _gig_event_ids(database_url)
    assert len(ids) == count
    assert all(n == 1 for n in ids.values()), [i for i, n in ids.items() if n > 1]
    with db_session(database_url) as session:
        assert session.scalar(select(func.count()).select_from(WebhookAttempt)) == count
    delivered = [_metric(text, 'klusmakelaar_webhook_deliveries_total{outcome="delivered"}')
                 for text in metrics]  # fmt: skip
    assert sum(delivered) == count


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0
