"""Gig series through HTTP: daylight saving, editing the series and one occurrence, the
extension job (twice, and from two apps on one database), series sign-up, cancel."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import Gig
from app.services import gig_series
from tests.direct import db_session
from tests.factories import ADMIN, gig_body, make_volunteer, organization_with_key

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _saturday_before_dst_change() -> date:
    """A Saturday at least a week ahead after which the clocks change within a week."""
    day = date.today() + timedelta(days=8)
    day += timedelta(days=(5 - day.weekday()) % 7)
    while True:
        before = datetime.combine(day, time(10), AMSTERDAM).utcoffset()
        after = datetime.combine(day + timedelta(days=7), time(10), AMSTERDAM).utcoffset()
        if before != after:
            return day
        day += timedelta(days=7)


def _next_saturday() -> date:
    day = date.today() + timedelta(days=3)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _local(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), AMSTERDAM).isoformat()


def _series(
    client: TestClient, headers: dict[str, str], first: date, rrule: str, **fields: Any
) -> Any:
    gig = gig_body(starts_at=_local(first, 10), ends_at=_local(first, 13), **fields)
    return client.post("/api/v1/gig-series", json={"gig": gig, "rrule": rrule}, headers=headers)


def _gig(client: TestClient, gig_id: str) -> dict[str, Any]:
    return client.get(f"/api/v1/gigs/{gig_id}", headers=ADMIN).json()  # type: ignore[no-any-return]


def test_occurrences_keep_local_time_across_a_dst_change(client: TestClient) -> None:
    _, org = organization_with_key(client)
    first = _saturday_before_dst_change()
    response = _series(client, org, first, "FREQ=WEEKLY;BYDAY=SA;COUNT=3")
    assert response.status_code == 201, response.text
    series = response.json()
    assert response.headers["location"] == f"/api/v1/gig-series/{series['id']}"
    assert series["rrule"] == "FREQ=WEEKLY;BYDAY=SA;COUNT=3"
    assert len(series["gig_ids"]) == 3
    occurrences = [_gig(client, gig_id) for gig_id in series["gig_ids"]]
    local = [
        datetime.fromisoformat(g["starts_at"].replace("Z", "+00:00")).astimezone(AMSTERDAM)
        for g in occurrences
    ]
    assert [moment.date() for moment in local] == [first + timedelta(weeks=n) for n in range(3)]
    assert {moment.time() for moment in local} == {time(10)}
    # The same wall-clock time is another UTC hour on either side of the change.
    assert len({g["starts_at"][11:16] for g in occurrences}) == 2
    assert {g["series_id"] for g in occurrences} == {series["id"]}
    assert client.get(f"/api/v1/gig-series/{series['id']}").json()["gig_ids"] == series["gig_ids"]


def test_an_open_ended_series_is_made_13_weeks_ahead_and_bad_rules_are_422(
    client: TestClient,
) -> None:
    _, org = organization_with_key(client)
    first = _next_saturday()
    made = _series(client, org, first, "FREQ=WEEKLY;BYDAY=SA").json()
    assert len(made["gig_ids"]) == 13
    for rrule in ("FREQ=HOURLY", "nonsense", "FREQ=WEEKLY;BYDAY=SU", "FREQ=DAILY;BYHOUR=9,14"):
        refused = _series(client, org, first, rrule)
        assert refused.status_code == 422, rrule
    _, own = make_volunteer(client)
    assert _series(client, own, first, "FREQ=WEEKLY").status_code == 403


def test_editing_the_series_and_one_occurrence(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    first = _next_saturday()
    series = _series(client, org, first, "FREQ=WEEKLY;COUNT=4", capacity=3).json()
    one, alone, *rest = series["gig_ids"]
    changed = client.patch(f"/api/v1/gigs/{alone}", json={"title": "Apart gezet"}, headers=org)
    assert changed.status_code == 200
    people = [make_volunteer(client) for _ in range(2)]
    for volunteer, own in people:
        signed = client.post(
            f"/api/v1/gigs/{one}/signups", json={"volunteer_id": volunteer["id"]}, headers=own
        )
        assert signed.status_code == 201
    patch = {
        "title": "Voedselbank ronde",
        "capacity": 1,
        "starts_at": _local(first, 11),
        "ends_at": _local(first, 14),
    }
    response = client.patch(f"/api/v1/gig-series/{series['id']}", json={"gig": patch},
                            headers=org)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["capacity_kept"] == [
        {"gig_id": one, "capacity": 3, "confirmed_people": 2}
    ]
    assert response.json()["gig"]["title"] == "Voedselbank ronde"
    first_gig, alone_gig = _gig(client, one), _gig(client, alone)
    assert (first_gig["title"], first_gig["capacity"]) == ("Voedselbank ronde", 3)
    assert first_gig["spots_left"] == 1  # the sign-ups stayed
    assert (alone_gig["title"], alone_gig["capacity"]) == ("Apart gezet", 1)
    for gig in (_gig(client, gig_id) for gig_id in [one, alone, *rest]):
        start = datetime.fromisoformat(gig["starts_at"].replace("Z", "+00:00"))
        assert start.astimezone(AMSTERDAM).time() == time(11)
    # Occurrences made later follow the series as it is now.
    weekly = _series(client, org, first, "FREQ=WEEKLY").json()
    client.patch(f"/api/v1/gig-series/{weekly['id']}", json={"gig": {"title": "Nieuwe ronde"}},
                 headers=org)  # fmt: skip
    later = datetime.now(UTC) + timedelta(weeks=3)
    asyncio.run(_extend([app.state.database], later))
    with db_session(app) as session:
        titles = session.scalars(
            select(Gig.title).where(Gig.series_id == weekly["id"]).order_by(Gig.starts_at)
        ).all()
    assert len(titles) > 13
    assert set(titles) == {"Nieuwe ronde"}


async def _extend(databases: list[Database], now: datetime) -> list[int]:
    try:
        return list(await asyncio.gather(*(gig_series.extend_all(db, now=now) for db in databases)))
    finally:
        for database in databases:
            await database.close()


def test_the_extension_job_twice_and_from_two_apps(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    _, org = organization_with_key(client)
    series = _series(client, org, _next_saturday(), "FREQ=WEEKLY;BYDAY=SA").json()
    assert len(series["gig_ids"]) == 13
    later = datetime.now(UTC) + timedelta(weeks=5)
    two_apps = [Database(settings.database_url), Database(settings.database_url)]
    made = asyncio.run(_extend(two_apps, later))
    again = asyncio.run(_extend([Database(settings.database_url)], later))
    with db_session(app) as session:
        days = session.scalars(select(Gig.series_day).where(Gig.series_id == series["id"])).all()
    assert max(Counter(days).values()) == 1
    assert sum(made) == len(days) - 13 >= 4
    assert again == [0]


def test_series_sign_up_with_one_occurrence_full(client: TestClient) -> None:
    _, org = organization_with_key(client)
    series = _series(client, org, _next_saturday(), "FREQ=WEEKLY;COUNT=3", capacity=1).json()
    first, full, last = series["gig_ids"]
    taker, taker_own = make_volunteer(client)
    client.post(f"/api/v1/gigs/{full}/signups", json={"volunteer_id": taker["id"]},
                headers=taker_own)  # fmt: skip
    volunteer, own = make_volunteer(client)
    response = client.post(
        f"/api/v1/gig-series/{series['id']}/signups",
        json={"volunteer_id": volunteer["id"], "waitlist": False},
        headers=own,
    )
    assert response.status_code == 200, response.text
    outcome = {item["gig_id"]: (item["status"], item["error"]) for item in response.json()["items"]}
    assert outcome == {
        first: ("confirmed", None),
        full: (None, "gig-full"),
        last: ("confirmed", None),
    }
    _, stranger = make_volunteer(client)
    refused = client.post(f"/api/v1/gig-series/{series['id']}/signups",
                          json={"volunteer_id": volunteer["id"]}, headers=stranger)  # fmt: skip
    assert refused.status_code == 403


def test_cancelling_a_series_cancels_its_future_occurrences_and_sign_ups(
    client: TestClient,
) -> None:
    _, org = organization_with_key(client)
    _, other = organization_with_key(client)
    series = _series(client, org, _next_saturday(), "FREQ=WEEKLY;COUNT=2").json()
    volunteer, own = make_volunteer(client)
    signed = client.post(f"/api/v1/gigs/{series['gig_ids'][0]}/signups",
                         json={"volunteer_id": volunteer["id"]}, headers=own).json()  # fmt: skip
    assert (
        client.post(f"/api/v1/gig-series/{series['id']}/cancel", headers=other).status_code == 403
    )
    cancelled = client.post(f"/api/v1/gig-series/{series['id']}/cancel", headers=org)
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["gig_ids"]) == ("cancelled", [])
    assert {_gig(client, gig_id)["status"] for gig_id in series["gig_ids"]} == {"cancelled"}
    signup = client.get(f"/api/v1/signups/{signed['id']}", headers=own).json()
    assert signup["status"] == "cancelled"
