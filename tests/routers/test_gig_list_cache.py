"""The kept answers of `GET /api/v1/gigs`: answered again only while nothing was committed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Gig
from app.services import gig_listing
from app.services.list_cache import ListCache
from tests.factories import bearer, make_gig, make_volunteer, organization_with_key

PATH = "/api/v1/gigs"


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many list bodies were made (not answered from the cache), as a one-item counter."""
    counter = [0]
    original = gig_listing.list_page

    async def counting(*args: Any, **kwargs: Any) -> bytes:
        counter[0] += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(gig_listing, "list_page", counting)
    return counter


def _titles(client: TestClient, query: str = "", **headers: str) -> list[str]:
    response = client.get(f"{PATH}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_the_same_list_is_answered_again_until_a_commit(
    client: TestClient, made: list[int]
) -> None:
    _, org = organization_with_key(client)
    make_gig(client, org, title="Eerste klus")
    assert _titles(client, "limit=10") == ["Eerste klus"]
    assert _titles(client, "limit=10") == ["Eerste klus"]
    assert made[0] == 1
    assert _titles(client, "limit=11") == ["Eerste klus"]  # another query string
    assert made[0] == 2

    make_gig(client, org, title="Tweede klus")
    assert _titles(client, "limit=10") == ["Eerste klus", "Tweede klus"]
    assert made[0] == 3


def test_a_sign_up_shows_in_the_next_list(client: TestClient, made: list[int]) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=2)
    assert client.get(PATH).json()["items"][0]["spots_left"] == 2
    volunteer, headers = make_volunteer(client)
    signed = client.post(
        f"{PATH}/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]}, headers=headers
    )
    assert signed.status_code == 201, signed.text
    assert client.get(PATH).json()["items"][0]["spots_left"] == 1
    assert made[0] == 2


def test_a_commit_by_another_worker_is_seen_at_once(
    client: TestClient, app: FastAPI, made: list[int]
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Oude titel")
    assert _titles(client) == ["Oude titel"]
    # Another process: its own engine and connections, nothing shared with the app.
    other = Database(app.state.database.url)
    with other.writer() as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == gig["id"])
            .values(title="Nieuwe titel", version=Gig.version + 1)
        )
    other.dispose()
    assert _titles(client) == ["Nieuwe titel"]
    assert made[0] == 2


def test_drafts_are_never_kept(client: TestClient, made: list[int]) -> None:
    _, own = organization_with_key(client)
    _, other = organization_with_key(client)
    make_gig(client, own, title="Eigen concept", status="draft")
    own_token = own["Authorization"]
    other_token = other["Authorization"]
    assert _titles(client, "status=draft", Authorization=own_token) == ["Eigen concept"]
    assert _titles(client, "status=draft", Authorization=other_token) == []
    assert _titles(client, "status=draft") == []
    assert made[0] == 3


def test_a_bad_token_is_refused_even_when_the_list_is_kept(
    client: TestClient, made: list[int]
) -> None:
    assert client.get(PATH).status_code == 200
    refused = client.get(PATH, headers=bearer("not-a-token-of-anyone"))
    assert refused.status_code == 401
    assert made[0] == 1


def test_a_bad_query_is_refused_every_time(client: TestClient, made: list[int]) -> None:
    for _ in range(2):
        response = client.get(f"{PATH}?limit=0")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    assert made[0] == 0


def test_off_with_zero_megabytes(settings: Settings, made: list[int]) -> None:
    app = create_app(settings.model_copy(update={"list_cache_mb": 0}))
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get(PATH).status_code == 200
    app.state.database.dispose()
    assert made[0] == 3


def test_bounded_in_bytes_least_recently_used_first(settings: Settings) -> None:
    database = Database(settings.database_url)
    cache = ListCache(database, max_bytes=4000)

    async def read_version() -> str | None:
        try:
            return await cache.version()
        finally:
            await database.reads.close()

    version = asyncio.run(read_version())
    assert version is not None
    for name in (b"a", b"b", b"c", b"d"):
        cache.put(name, version, b"x" * 899)  # 900 bytes with the key
    assert cache.get(b"a", version) is not None  # now the most recently used
    cache.put(b"e", version, b"x" * 899)  # over 4,000 bytes: "b" goes
    kept = [cache.get(key, version) is not None for key in (b"a", b"b", b"c", b"d", b"e")]
    assert kept == [True, False, True, True, True]
    assert cache.get(b"a", version + "-other") is None
    assert cache.get(b"a", version) is None  # a stale entry is dropped, not kept
    cache.put(b"huge", version, b"x" * 1001)  # more than a quarter of the cache: not kept
    assert cache.get(b"huge", version) is None
    database.dispose()


def test_an_in_memory_database_has_no_data_version() -> None:
    database = Database("sqlite://")
    assert asyncio.run(database.reads.data_version()) is None
    database.dispose()
