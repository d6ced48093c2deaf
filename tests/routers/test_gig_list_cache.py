"""The kept answers of `GET /api/v1/gigs`: answered again only while nothing was committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Gig
from app.services import gig_listing
from app.services.caches import ListCache, _size
from tests.direct import db_session
from tests.factories import bearer, make_gig, make_volunteer, organization_with_key

PATH = "/api/v1/gigs"
T = TypeVar("T")


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many list bodies were made (not answered from the cache), as a one-item counter."""
    counter = [0]
    original = gig_listing._page

    async def counting(*args: Any, **kwargs: Any) -> gig_listing.Made:
        counter[0] += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(gig_listing, "_page", counting)
    return counter


def _titles(client: TestClient, query: str = "", **headers: str) -> list[str]:
    response = client.get(f"{PATH}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def _answered_again(client: TestClient, made: list[int], query: str, titles: list[str]) -> bool:
    """Whether a repeat of a list was answered without being made. A few tries: on
    PostgreSQL any transaction in the cluster (autovacuum's ANALYZE, say) ends a version."""
    for _ in range(5):
        before = made[0]
        assert _titles(client, query) == titles
        if made[0] == before:
            return True
    return False


def test_the_same_list_is_answered_again_until_a_commit(
    client: TestClient, made: list[int]
) -> None:
    _, org = organization_with_key(client)
    make_gig(client, org, title="Eerste klus")
    assert _titles(client, "limit=10") == ["Eerste klus"]
    assert _answered_again(client, made, "limit=10", ["Eerste klus"])
    before = made[0]
    assert _titles(client, "limit=11") == ["Eerste klus"]  # another query string
    assert made[0] == before + 1

    make_gig(client, org, title="Tweede klus")
    before = made[0]
    assert _titles(client, "limit=10") == ["Eerste klus", "Tweede klus"]
    assert made[0] == before + 1


def test_a_sign_up_shows_in_the_next_list(client: TestClient, made: list[int]) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=2, title="Klus")
    assert client.get(PATH).json()["items"][0]["spots_left"] == 2
    assert _answered_again(client, made, "", ["Klus"])
    volunteer, headers = make_volunteer(client)
    signed = client.post(
        f"{PATH}/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]}, headers=headers
    )
    assert signed.status_code == 201, signed.text
    before = made[0]
    assert client.get(PATH).json()["items"][0]["spots_left"] == 1
    assert made[0] == before + 1


def _retitle(url: str, gig_id: str, title: str) -> None:
    """Change a gig as another process would: its own engine, nothing shared with the app
    (and a plain UPDATE: the database gives the row its new version)."""
    with db_session(url) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig_id).values(title=title))


def test_a_commit_while_a_list_is_made_is_seen_by_the_next(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is read before the list is made: a commit after its query, before it is
    kept, makes it stale at once (read after, the old list would be answered again)."""
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Oude titel")
    original = gig_listing._page
    commits = ["Nieuwe titel"]

    async def commit_after_the_query(*args: Any, **kwargs: Any) -> gig_listing.Made:
        body = await original(*args, **kwargs)
        if commits:
            _retitle(app.state.database.url, gig["id"], commits.pop())
        return body

    monkeypatch.setattr(gig_listing, "_page", commit_after_the_query)
    assert _titles(client) == ["Oude titel"]
    assert _titles(client) == ["Nieuwe titel"]


def test_a_commit_by_another_worker_is_seen_at_once(
    client: TestClient, app: FastAPI, made: list[int]
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Oude titel")
    assert _titles(client) == ["Oude titel"]
    _retitle(app.state.database.url, gig["id"], "Nieuwe titel")
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


def test_a_bad_query_is_refused_every_time(client: TestClient) -> None:
    for _ in range(2):
        response = client.get(f"{PATH}?limit=0")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_off_with_zero_megabytes(settings: Settings, made: list[int]) -> None:
    app = create_app(settings.model_copy(update={"list_cache_mb": 0}))
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get(PATH).status_code == 200
    app.state.database.dispose()
    assert made[0] == 3


def _run(database: Database, work: Coroutine[Any, Any, T]) -> T:
    async def run_and_close() -> T:
        try:
            return await work
        finally:
            await database.close()

    return asyncio.run(run_and_close())


def test_bounded_in_bytes_least_recently_used_first(settings: Settings) -> None:
    database = Database(settings.database_url)
    version = _run(database, database.data_version())
    assert version is not None
    body = b"x" * 899
    entry = _size(b"a", version, body)
    max_bytes = 4 * entry + entry // 2
    cache = ListCache(max_bytes=max_bytes)
    for name in (b"a", b"b", b"c", b"d"):
        cache.put(name, version, body, shared=True)
    assert cache.get(b"a", version) is not None  # now the most recently used
    cache.put(b"e", version, body, shared=True)  # one too many: "b" goes
    kept = [cache.get(key, version) is not None for key in (b"a", b"b", b"c", b"d", b"e")]
    assert kept == [True, False, True, True, True]
    assert cache.get(b"a", version + "-other") is None
    assert cache.get(b"a", version) is None  # a stale entry is dropped, not kept
    cache.put(b"huge", version, b"x" * (max_bytes // 4 + 1), shared=True)  # over a quarter
    assert cache.get(b"huge", version) is None
    cache.put(b"mine", version, body, shared=False)  # what depends on the caller: never
    assert cache.get(b"mine", version) is None
    database.dispose()


def test_an_in_memory_database_has_no_data_version() -> None:
    database = Database("sqlite://")
    assert asyncio.run(database.data_version()) is None
    database.dispose()


def test_a_reopened_sqlite_watch_never_repeats_a_version(settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the SQLite pragma counts per connection")
    database = Database(settings.database_url)
    seen = {_run(database, database.data_version())}
    for _ in range(3):
        database.data_version.close()  # as at shutdown; a new one counts from 1 again
        seen.add(_run(database, database.data_version()))
    assert len(seen) == 4
    database.dispose()


def test_concurrent_postgresql_callers_share_one_read(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite reads its pragma in place")
    database = Database(settings.database_url)
    original = database.data_version._snapshot
    reads = [0]

    async def counting(loop: Any, answer: Any) -> str:
        reads[0] += 1
        return await original(loop, answer)

    monkeypatch.setattr(database.data_version, "_snapshot", counting)

    async def callers() -> tuple[list[str | None], str | None]:
        together = await asyncio.gather(*(database.data_version() for _ in range(10)))
        later = await database.data_version()  # asked after the read was sent
        return list(together), later

    together, later = _run(database, callers())
    assert len(set(together)) == 1
    assert together[0] is not None
    assert later is not None
    assert reads[0] == 2

    async def spread() -> list[str | None]:
        # Callers over many turns of the loop: while one read is out, the ones that ask
        # meanwhile wait together for the next (one statement at a time on the socket).
        asked = []
        for _ in range(40):
            asked.append(asyncio.ensure_future(database.data_version()))
            await asyncio.sleep(0)
        return list(await asyncio.gather(*asked))

    reads[0] = 0
    versions = _run(database, spread())
    assert all(version is not None for version in versions)
    assert 1 <= reads[0] < 40
    database.dispose()


def test_a_cancelled_read_leaves_no_caller_waiting(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite reads its pragma in place")
    database = Database(settings.database_url)
    watch = database.data_version

    async def scenario() -> str | None:
        first = asyncio.ensure_future(database.data_version())
        for _ in range(10):  # until the read's task exists, then cancel it at once
            await asyncio.sleep(0)
            if watch._reads:
                break
        for task in list(watch._reads):
            task.cancel()
        with pytest.raises(Exception, match="cancelled"):
            await asyncio.wait_for(first, 5)  # an error for its caller, not a wait for ever
        return await asyncio.wait_for(database.data_version(), 5)

    assert _run(database, scenario()) is not None
    database.dispose()


def test_no_version_means_no_cache_but_a_list(
    client: TestClient, app: FastAPI, made: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing() -> str | None:
        raise OSError("the version read failed")

    monkeypatch.setattr(app.state.database, "data_version", failing)
    for _ in range(2):
        assert client.get(PATH).status_code == 200
    assert made[0] == 2


def _until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


def test_a_kept_list_that_starts_now_drops_a_gig_once_it_starts(
    client: TestClient, made: list[int]
) -> None:
    """A list without `starts_after` is kept until its first gig starts, never longer; a
    list with it does not depend on the clock."""
    _, org = organization_with_key(client)
    soon = datetime.now(UTC) + timedelta(seconds=2)
    make_gig(client, org, title="Zo meteen", starts_at=soon.isoformat(),
             ends_at=(soon + timedelta(hours=1)).isoformat())  # fmt: skip
    make_gig(client, org, title="Volgende week")
    both = ["Zo meteen", "Volgende week"]
    since = quote((soon - timedelta(hours=1)).isoformat())
    queries = {"": both, "sort=-created_at": both[::-1], f"starts_after={since}": both}
    for query, titles in queries.items():
        assert _titles(client, query) == titles
        assert _answered_again(client, made, query, titles), query
    assert datetime.now(UTC) < soon, "too slow for this test: the gig started already"
    _until(soon)
    assert _titles(client) == ["Volgende week"]
    assert _titles(client, "sort=-created_at") == ["Volgende week"]
    assert _answered_again(client, made, f"starts_after={since}", both)


def test_a_kept_list_is_valid_until_its_moment(settings: Settings) -> None:
    database = Database(settings.database_url)
    version = _run(database, database.data_version())
    assert version is not None
    cache = ListCache(max_bytes=1 << 20)
    now = datetime.now(UTC)
    cache.put(b"later", version, b"[]", shared=True, valid_until=now + timedelta(hours=1))
    cache.put(b"passed", version, b"[]", shared=True, valid_until=now)
    cache.put(b"always", version, b"[]", shared=True, valid_until=None)
    assert cache.get(b"later", version) == b"[]"
    assert cache.get(b"passed", version) is None
    assert cache.get(b"always", version) == b"[]"
    database.dispose()
