"""`GET /api/v1/events`: every change in the log, as its single read returned it then."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from app.auth import Principal
from app.db import Database, Tx, writes
from app.models import Gig
from app.schemas.signup import SignupRead
from app.services import events
from tests.direct import db_session, run
from tests.factories import (
    ADMIN,
    bearer,
    make_association,
    make_gig,
    make_key,
    make_volunteer,
    organization_with_key,
)

PATH = "/api/v1/events"


def _all(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every event the caller may read, following `next_cursor` to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"after": cursor} if cursor else {}), "limit": 3}
        page = client.get(PATH, params=query, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["next_cursor"]  # never null
        items += body["items"]
        if not body["items"]:
            return items
        cursor = body["next_cursor"]


def _signup(client: TestClient, gig: dict[str, Any], **body: Any) -> Any:
    headers = body.pop("headers")
    return client.post(f"/api/v1/gigs/{gig['id']}/signups", json=body, headers=headers)


def test_each_change_is_an_event_with_the_resource_as_it_read_then(
    client: TestClient,
) -> None:
    integration = bearer(make_key(client, "integration"))
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    first, first_own = make_volunteer(client)
    second, second_own = make_volunteer(client)
    confirmed = _signup(client, gig, volunteer_id=first["id"], headers=first_own).json()
    waiting = _signup(client, gig, volunteer_id=second["id"], headers=second_own).json()
    assert waiting["status"] == "waitlisted"
    assert waiting["waitlist_position"] == 1
    renamed = client.patch(f"/api/v1/gigs/{gig['id']}", json={"title": "Nieuwe titel"}, headers=org)
    cancelled = client.post(f"/api/v1/signups/{confirmed['id']}/cancel", headers=first_own)
    promoted = client.get(f"/api/v1/signups/{waiting['id']}", headers=second_own).json()
    assert promoted["status"] == "confirmed"
    assert client.delete(f"/api/v1/volunteers/{first['id']}", headers=first_own).status_code == 204

    seen = _all(client, integration)
    assert [event["type"] for event in seen] == [
        "gig.created", "signup.confirmed", "signup.waitlisted", "gig.updated",
        "signup.cancelled", "signup.promoted", "volunteer.erased",
    ]  # fmt: skip
    assert len({event["id"] for event in seen}) == len(seen)
    assert seen[0]["data"] == gig
    assert seen[1]["data"] == confirmed
    assert seen[2]["data"] == waiting  # with its waitlist place, 1
    assert seen[3]["data"] == renamed.json()
    assert seen[4]["data"] == cancelled.json()
    assert seen[5]["data"] == promoted
    assert seen[6]["data"] == {"id": first["id"]}
    times = [datetime.fromisoformat(event["created_at"]) for event in seen]
    assert times == sorted(times)


def test_the_gigs_lifecycle_and_attendance(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    done = make_gig(client, org)
    volunteer, own = make_volunteer(client)
    signup = _signup(client, done, volunteer_id=volunteer["id"], headers=own).json()
    with db_session(app) as session, session.begin():  # the gig has started meanwhile
        session.execute(
            update(Gig)
            .where(Gig.id == done["id"])
            .values(starts_at=datetime.now(UTC) - timedelta(hours=1))
        )
    attended = client.post(
        f"/api/v1/signups/{signup['id']}/attendance",
        json={"attended": True, "hours": 2},
        headers=org,
    )
    assert attended.status_code == 200, attended.text
    completed = client.post(f"/api/v1/gigs/{done['id']}/complete", headers=org)
    other = make_gig(client, org)
    group = make_gig(client, org, kind="group", capacity=10, group_size_max=6)
    association, key = make_association(client)
    group_signup = _signup(client, group, association_id=association["id"], size=4, headers=key)
    assert group_signup.status_code == 201
    gone = client.post(f"/api/v1/gigs/{group['id']}/cancel", headers=org)
    kinds = [(event["type"], event["data"]["id"]) for event in _all(client, ADMIN)]
    assert kinds[-7:] == [
        ("signup.attended", signup["id"]),
        ("gig.completed", done["id"]),
        ("gig.created", other["id"]),
        ("gig.created", group["id"]),
        ("signup.confirmed", group_signup.json()["id"]),
        ("gig.cancelled", group["id"]),
        ("signup.cancelled", group_signup.json()["id"]),  # its sign-ups went with it
    ]
    events_by_id = {
        event["data"]["id"]: event for event in _all(client, ADMIN, type="gig.completed")
    }
    assert events_by_id[done["id"]]["data"] == completed.json()
    assert _all(client, ADMIN, type="gig.cancelled")[0]["data"] == gone.json()


def test_a_change_that_is_refused_leaves_no_event(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    volunteer, own = make_volunteer(client)
    late, late_own = make_volunteer(client)
    assert _signup(client, gig, volunteer_id=volunteer["id"], headers=own).status_code == 201
    before = _all(client, ADMIN)
    refused = [
        _signup(client, gig, volunteer_id=volunteer["id"], headers=own),  # already signed up
        _signup(client, gig, volunteer_id=late["id"], waitlist=False, headers=late_own),  # full
        client.patch(
            f"/api/v1/gigs/{gig['id']}",
            json={"title": "x" * 3},
            headers={**org, "If-Match": '"stale"'},
        ),
        client.patch(f"/api/v1/gigs/{gig['id']}", json={"capacity": 0}, headers=org),
    ]
    assert [response.status_code for response in refused] == [409, 409, 412, 422]
    assert _all(client, ADMIN) == before


def test_drafts_are_for_the_admin_and_publishing_is_a_creation(client: TestClient) -> None:
    integration = bearer(make_key(client, "integration"))
    _, org = organization_with_key(client)
    draft = make_gig(client, org, status="draft")
    assert [event["type"] for event in _all(client, ADMIN)] == ["gig.created"]
    assert _all(client, integration) == []
    published = client.patch(f"/api/v1/gigs/{draft['id']}", json={"status": "open"}, headers=org)
    seen = _all(client, integration)
    assert [(event["type"], event["data"]) for event in seen] == [("gig.created", published.json())]


def test_who_may_read_and_what_a_page_is(client: TestClient) -> None:
    _volunteer, own = make_volunteer(client)
    assert client.get(PATH).status_code == 401
    assert client.get(PATH, headers=own).status_code == 403
    _, org = organization_with_key(client)
    assert client.get(PATH, headers=org).status_code == 403
    for index in range(5):
        make_gig(client, org, title=f"Klus {index}")
    first = client.get(PATH, params={"limit": 2}, headers=ADMIN).json()
    assert len(first["items"]) == 2
    rest = client.get(PATH, params={"after": first["next_cursor"]}, headers=ADMIN).json()
    assert [item["data"]["title"] for item in rest["items"]] == ["Klus 2", "Klus 3", "Klus 4"]
    idle = client.get(PATH, params={"after": rest["next_cursor"]}, headers=ADMIN).json()
    assert idle == {"items": [], "next_cursor": rest["next_cursor"]}
    only = client.get(PATH, params={"type": ["volunteer.erased"]}, headers=ADMIN).json()
    assert only["items"] == []
    assert client.get(PATH, params={"type": "gig.nonsense"}, headers=ADMIN).status_code == 422
    bad = client.get(PATH, params={"after": "not-a-cursor"}, headers=ADMIN)
    assert bad.status_code == 400
    assert bad.json()["type"] == "invalid-cursor"


@writes
async def _write_late(
    tx: Tx, number: int, delay: float, written: list[int], all_written: asyncio.Event | None
) -> None:
    """An event whose transaction, once every writer has written (PostgreSQL; SQLite has
    one writer at a time), waits ``delay`` more before it commits."""
    events.record(tx, "signup.cancelled", _fake_signup(number))
    await tx.scalar(text("SELECT 1"))  # sent now: the row exists, uncommitted
    written.append(number)
    if all_written is not None:
        if len(written) == WRITERS:
            all_written.set()
        await all_written.wait()
    await asyncio.sleep(delay)


def _fake_signup(number: int) -> SignupRead:
    return SignupRead(
        id=f"sgn_test_{number:04d}", gig_id="gig_test", volunteer_id=None, association_id=None,
        size=1, member_ids=[], status="cancelled", waitlist_position=None, attended=None,
        hours=None, created_at=datetime.now(UTC),
    )  # fmt: skip


ADMIN_PRINCIPAL = Principal(role="admin", key_id="tests")


WRITERS = 40


async def _follow(database: Database, writers: int) -> list[str]:
    """Writers that commit out of the order they wrote in, and a reader at the head."""
    rng = random.Random(13)
    written: list[int] = []
    all_written = None if database.is_sqlite else asyncio.Event()
    # Every event is written before any commits; then they commit in a shuffled order.
    tasks = [
        asyncio.create_task(
            _write_late(database, number, rng.uniform(0, 0.1), written, all_written)
        )
        for number in range(writers)
    ]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        items, cursor = await events.read_page(
            database, principal=ADMIN_PRINCIPAL, cursor=cursor, types=[], limit=7
        )
        seen += [item.split('"id":"', 2)[2].split('"', 1)[0] for item in items]
        if all(task.done() for task in tasks) and not items:
            break
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    return seen


def test_a_reader_at_the_head_sees_every_event_once_however_they_commit(
    app: FastAPI,
) -> None:
    """Transactions commit out of the order their events were numbered in; a reader that
    follows `next_cursor` the whole time still sees each one, exactly once."""
    writers = WRITERS
    database = Database(app.state.database.url, pool_size=writers + 5)
    seen = run(database, _follow(database, writers))
    database.dispose()
    assert sorted(seen) == sorted(f"sgn_test_{number:04d}" for number in range(writers))
    assert len(seen) == len(set(seen))


def test_the_horizon_holds_back_a_later_transaction_until_an_earlier_one_ends(
    app: FastAPI,
) -> None:
    """The case itself, on PostgreSQL: an event written first but committed last."""
    database: Database = app.state.database
    if database.is_sqlite:
        pytest.skip("SQLite writes one transaction at a time: commits come in order")

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        early_wrote = asyncio.Event()
        release = asyncio.Event()

        @writes
        async def early(tx: Tx) -> None:
            events.record(tx, "signup.cancelled", _fake_signup(1))
            await tx.scalar(text("SELECT 1"))
            early_wrote.set()
            await release.wait()

        @writes
        async def late(tx: Tx) -> None:
            events.record(tx, "signup.cancelled", _fake_signup(2))

        first = asyncio.create_task(early(database))
        await early_wrote.wait()
        await late(database)  # committed, while the earlier one is still open
        held, cursor = await events.read_page(
            database, principal=ADMIN_PRINCIPAL, cursor=None, types=[], limit=10
        )
        release.set()
        await first
        both, _ = await events.read_page(
            database, principal=ADMIN_PRINCIPAL, cursor=cursor, types=[], limit=10
        )
        return held, both, [cursor]

    held, both, _ = run(database, scenario())
    assert held == []  # the late one waits for the early one
    assert [item.split('"id":"', 2)[2].split('"', 1)[0] for item in both] == [
        "sgn_test_0001", "sgn_test_0002"
    ]  # fmt: skip
