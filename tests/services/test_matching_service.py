"""The matching loaders and the pool cache, against a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db import Database
from app.models import Signup
from app.services.caches import PoolCache
from app.services.matching import volunteer_pool
from app.services.matching_associations import association_profiles
from app.services.matching_data import (
    month_bounds,
    pool_fingerprint,
    volunteer_bookings,
    volunteer_profiles,
)
from tests.direct import db_session, run
from tests.factories import (
    make_association,
    make_gig,
    make_organization,
    make_volunteer,
    organization_with_key,
)


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def test_month_bounds_are_amsterdam_calendar_months() -> None:
    start, end = month_bounds(datetime(2027, 3, 31, 22, 30, tzinfo=UTC))  # 1 April local
    assert (start, end) == (
        datetime(2027, 3, 31, 22, 0, tzinfo=UTC),
        datetime(2027, 4, 30, 22, 0, tzinfo=UTC),
    )
    december = month_bounds(datetime(2027, 12, 15, tzinfo=UTC))
    assert december == (
        datetime(2027, 11, 30, 23, 0, tzinfo=UTC),
        datetime(2027, 12, 31, 23, 0, tzinfo=UTC),
    )


def test_bookings_count_confirmed_hours_busy_times_and_signed_up_gigs(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    volunteer, own = make_volunteer(client)
    waiting, waiting_own = make_volunteer(client)
    gig = make_gig(client, org, capacity=1)
    for person, headers in ((volunteer, own), (waiting, waiting_own)):
        response = client.post(
            f"/api/v1/gigs/{gig['id']}/signups",
            json={"volunteer_id": person["id"]},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    start, end = _parse(gig["starts_at"]), _parse(gig["ends_at"])
    database = app.state.database

    async def load() -> tuple[Any, Any, Any]:
        async with database.read() as tx:
            return (
                await volunteer_bookings(tx, now=start - timedelta(minutes=1)),
                await volunteer_bookings(tx, now=start + timedelta(days=40)),
                await volunteer_profiles(tx, now=start, volunteer_ids=[volunteer["id"]]),
            )

    in_month, next_month, one = run(database, load())
    assert in_month[volunteer["id"]].hours_this_month == 3.0
    assert in_month[volunteer["id"]].busy == [(start, end)]
    assert in_month[waiting["id"]].gig_ids == {gig["id"]}
    assert (in_month[waiting["id"]].busy, in_month[waiting["id"]].hours_this_month) == ([], 0.0)
    assert next_month == {}
    assert [p.id for p in one] == [volunteer["id"]]
    assert one[0].signed_up_gig_ids == frozenset({gig["id"]})
    assert one[0].hours_booked_this_month == 3.0


def test_group_members_are_busy_and_associations_have_engagement(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    association, key = make_association(client)
    member, member_own = make_volunteer(client)
    joined = client.post(
        f"/api/v1/associations/{association['id']}/members",
        json={"volunteer_id": member["id"]},
        headers=member_own,
    )
    assert joined.status_code == 201, joined.text
    gig = make_gig(client, org, kind="group", capacity=10, group_size_min=2, group_size_max=6)
    signed = client.post(
        f"/api/v1/gigs/{gig['id']}/signups",
        json={"association_id": association["id"], "size": 4, "member_ids": [member["id"]]},
        headers=key,
    )
    assert signed.status_code == 201, signed.text
    start = _parse(gig["starts_at"])
    with db_session(app) as session, session.begin():
        # Attendance can only be recorded after the start: set it directly.
        session.execute(update(Signup).values(attended=True, hours=2.5))
    database = app.state.database

    async def load() -> tuple[Any, Any]:
        async with database.read() as tx:
            return (
                await volunteer_bookings(tx, now=start),
                await association_profiles(tx, now=start - timedelta(hours=1)),
            )

    bookings, [profile] = run(database, load())
    assert bookings[member["id"]].busy == [(start, _parse(gig["ends_at"]))]
    assert profile.member_count == 1
    assert profile.past_engagement_hours == 10.0
    assert profile.signed_up_gig_ids == frozenset({gig["id"]})
    assert len(profile.busy) == 1


def _fingerprint(database: Database, now: datetime) -> Any:
    async def read() -> Any:
        async with database.read() as tx:
            return await pool_fingerprint(tx, now)

    return run(database, read())


def test_the_pool_is_rebuilt_only_when_the_fingerprint_changes(
    app: FastAPI, client: TestClient
) -> None:
    cache: PoolCache[Any] = PoolCache()
    database = app.state.database
    now = datetime.now(UTC)

    def pool() -> Any:
        return run(database, volunteer_pool(database, cache, now=now))

    make_volunteer(client)
    before = _fingerprint(database, now)
    assert pool().size == 1
    assert pool().size == 1
    assert cache.builds == 1
    volunteer, own = make_volunteer(client)
    assert _fingerprint(database, now) != before
    assert pool().size == 2
    assert cache.builds == 2
    patched = client.patch(
        f"/api/v1/volunteers/{volunteer['id']}", json={"skills": ["koken"]}, headers=own
    )
    assert patched.status_code == 200
    built = pool()
    assert cache.builds == 3
    assert built.skills.members("koken").tolist() == [built.ids.index(volunteer["id"])]
    assert _fingerprint(database, now) != _fingerprint(database, now + timedelta(days=40))
    # A commit that changes nothing the pool is built from: checked, not rebuilt.
    make_organization(client)
    assert pool().size == 2
    assert cache.builds == 3
    cache.clear()
