"""The report lines against the rows they are made of: after random writes of every kind,
by any statement (the triggers mark the gigs), each report equals what a plain Python
count of the gigs, sign-ups and members gives.

The oracle (`expected`) is written from the reports' rule (`report_lines`,
`reports_query`), not from their SQL: it counts people as sets.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from app.models import Gig, ReportLine, Signup, SignupMember
from app.services import report_lines
from app.services.reports_period import Period, midnight, month_key
from tests.conftest import POSTGRES_URL
from tests.direct import db_connection, db_session, run
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_volunteer,
    organization_with_key,
)

HELD = ("open", "completed")
AREAS = ("Selwerd", "Paddepoel", "Beijum", None)
CATEGORIES = ("visiting", "odd_jobs")
PERIODS = (
    (date(2026, 1, 1), date(2026, 4, 30)),
    (date(2026, 2, 15), date(2026, 3, 31)),
    (date(2026, 3, 1), date(2026, 3, 31)),
)
GROUPINGS = ("month", "area", "category", "organization", "association")


@dataclass
class World:
    """What the test made: organisations (with their keys' headers), associations,
    volunteers and gigs, by id."""

    organizations: dict[str, dict[str, str]]
    associations: list[str]
    volunteers: list[str]
    gigs: list[str]
    signups: list[str] = field(default_factory=list)


@pytest.fixture
def world(client: TestClient, app: FastAPI) -> World:
    organizations = dict(
        (organization["id"], headers)
        for organization, headers in (organization_with_key(client) for _ in range(2))
    )
    associations = [make_association(client)[0]["id"] for _ in range(2)]
    volunteers = [make_volunteer(client)[0]["id"] for _ in range(9)]
    gigs = []
    for index in range(8):
        organization_id = list(organizations)[index % 2]
        gig = make_gig(client, organizations[organization_id], capacity=5 + index)
        gigs.append(gig["id"])
    made = World(organizations, associations, volunteers, gigs)
    rng = random.Random(7)
    with db_session(app) as session, session.begin():
        for gig_id in gigs:
            session.execute(update(Gig).where(Gig.id == gig_id).values(**_gig_change(rng)))
    return made


def _gig_change(rng: random.Random) -> dict[str, Any]:
    """A new start (January to April 2026, some at an Amsterdam midnight), area, category
    or status for a gig."""
    day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 120))
    start = midnight(day.date()) if rng.random() < 0.3 else day + timedelta(hours=rng.randrange(24))
    choices = {
        "starts_at": start,
        "area": rng.choice(AREAS),
        "category": rng.choice(CATEGORIES),
        "status": rng.choice(("open", "open", "completed", "cancelled", "draft")),
    }
    picked = rng.sample(sorted(choices), rng.randrange(1, 5))
    values = {name: choices[name] for name in picked}
    if "starts_at" in values:
        values["ends_at"] = values["starts_at"] + timedelta(hours=2)
    return values


def _write(app: FastAPI, world: World, rng: random.Random) -> None:
    """One random write, as a plain statement (no service: the triggers must see it)."""
    with db_session(app) as session, session.begin():
        kind = rng.choice(("signup", "signup", "group", "status", "attendance", "attendance",
                           "gig", "member", "erase", "move"))  # fmt: skip
        if kind in ("signup", "group") or not world.signups:
            signup_id = f"sgn_test_{rng.getrandbits(48):012x}"
            group = kind == "group"
            session.execute(insert(Signup).values(
                id=signup_id, gig_id=rng.choice(world.gigs),
                volunteer_id=None if group else rng.choice(world.volunteers),
                association_id=rng.choice(world.associations) if group else None,
                size=rng.randrange(2, 7) if group else 1,
                status=rng.choice(("confirmed", "confirmed", "confirmed", "waitlisted")),
                queue_number=len(world.signups) + 1))  # fmt: skip
            if group:
                for member in rng.sample(world.volunteers, rng.randrange(0, 3)):
                    session.execute(insert(SignupMember).values(signup_id=signup_id,
                                                                volunteer_id=member))  # fmt: skip
            world.signups.append(signup_id)
            return
        signup_id = rng.choice(world.signups)
        if kind == "status":
            status = rng.choice(("confirmed", "cancelled", "waitlisted"))
            session.execute(update(Signup).where(Signup.id == signup_id).values(status=status))
        elif kind == "attendance":
            attended = rng.choice((True, True, False, None))
            hours = rng.choice((None, 1.5, 2.0, 3.25)) if attended else None
            session.execute(
                update(Signup).where(Signup.id == signup_id).values(attended=attended, hours=hours)
            )
        elif kind == "gig":
            gig_id = rng.choice(world.gigs)
            session.execute(update(Gig).where(Gig.id == gig_id).values(**_gig_change(rng)))
        elif kind == "member":
            members = session.scalars(
                select(SignupMember.volunteer_id).where(SignupMember.signup_id == signup_id)
            ).all()
            if members:
                session.execute(delete(SignupMember).where(
                    SignupMember.signup_id == signup_id, SignupMember.volunteer_id == members[0]))  # fmt: skip
        elif kind == "erase":
            # What erasure leaves of a volunteer's past: nameless sign-ups, no memberships.
            volunteer_id = rng.choice(world.volunteers)
            session.execute(update(Signup).where(Signup.volunteer_id == volunteer_id)
                            .values(volunteer_id=None))  # fmt: skip
            session.execute(delete(SignupMember).where(SignupMember.volunteer_id == volunteer_id))
        else:  # a sign-up moved to another gig
            session.execute(update(Signup).where(Signup.id == signup_id)
                            .values(gig_id=rng.choice(world.gigs)))  # fmt: skip


def expected(app: FastAPI, group_by: str, period: Period, organization_id: str | None) -> dict:
    """The impact report's figures per row key, counted in Python from the rows."""
    with db_session(app) as session:
        gigs = {gig.id: gig for gig in session.scalars(select(Gig)).all()}
        signups = session.scalars(select(Signup)).all()
        members: dict[str, list[str]] = defaultdict(list)
        for member in session.scalars(select(SignupMember)).all():
            members[member.signup_id].append(member.volunteer_id)

    def people(signup: Signup) -> list[str]:
        return [signup.volunteer_id] if signup.volunteer_id else sorted(members[signup.id])

    counted = [signup for signup in signups
               if signup.status == "confirmed" and gigs[signup.gig_id].status in HELD]  # fmt: skip
    first_came: dict[str, datetime] = {}
    for signup in counted:
        if signup.attended is True:
            for person in people(signup):
                start = gigs[signup.gig_id].starts_at
                first_came[person] = min(first_came.get(person, start), start)

    def in_period(gig: Gig) -> bool:
        return (gig.status in HELD and period.start <= gig.starts_at < period.end
                and organization_id in (None, gig.organization_id))  # fmt: skip

    def month_of(gig: Gig) -> date:
        """The first day of the Amsterdam month the gig starts in."""
        return [first for first in period.months() if midnight(first) <= gig.starts_at][-1]

    def key(gig: Gig) -> str | None:
        if group_by == "month":
            return month_key(month_of(gig))
        return {"area": gig.area, "category": gig.category,
                "organization": gig.organization_id}[group_by]  # fmt: skip

    rows: dict[Any, dict[str, Any]] = defaultdict(lambda: {
        "gigs": set(), "spots_offered": 0, "signups": 0, "spots_filled": 0, "hours": 0.0,
        "known": set(), "unnamed": 0, "took": set(), "returned": set()})  # fmt: skip
    if group_by != "association":
        for gig in gigs.values():
            if in_period(gig):
                rows[key(gig)]["gigs"].add(gig.id)
                rows[key(gig)]["spots_offered"] += gig.capacity
    for signup in counted:
        gig = gigs[signup.gig_id]
        if not in_period(gig):
            continue
        row = rows[signup.association_id if group_by == "association" else key(gig)]
        row["gigs"].add(gig.id)
        row["signups"] += 1
        row["spots_filled"] += signup.size
        named = people(signup)
        row["unnamed"] += signup.size - len(named)
        row["known"].update(named)
        if signup.attended is True:
            row["hours"] += (signup.hours or 0.0) * signup.size
            row["took"].update(named)
            starts = period.start
            if group_by == "month":
                starts = max(starts, midnight(month_of(gig)))
            row["returned"].update(person for person in named if first_came[person] < starts)
    return {
        row_key: {
            "gigs": len(row["gigs"]),
            "spots_offered": None if group_by == "association" else row["spots_offered"],
            "signups": row["signups"],
            "spots_filled": row["spots_filled"],
            "hours": round(row["hours"], 2),
            "volunteers": len(row["known"]) + row["unnamed"],
            "new_volunteers": len(row["took"] - row["returned"]),
            "returning_volunteers": len(row["returned"]),
        }
        for row_key, row in rows.items()
    }


def answered(
    client: TestClient, world: World, group_by: str, first: date, last: date, scope: str | None
) -> dict:
    """The impact report's rows by key, as the API answers them."""
    headers = ADMIN if scope is None else world.organizations[scope]
    params = {"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by}
    response = client.get("/api/v1/reports/impact", params=params, headers=headers)
    assert response.status_code == 200, response.text
    fields = ("gigs", "spots_offered", "signups", "spots_filled", "hours", "volunteers",
              "new_volunteers", "returning_volunteers")  # fmt: skip
    return {item["key"]: {name: item[name] for name in fields} for item in response.json()["items"]}


def check_every_report(app: FastAPI, client: TestClient, world: World) -> None:
    for first, last in PERIODS:
        period = Period.of(first, last)
        for group_by in GROUPINGS:
            for scope in (None, *world.organizations):
                assert answered(client, world, group_by, first, last, scope) == expected(
                    app, group_by, period, scope
                ), (group_by, first, last, scope)


def test_reports_follow_random_writes_of_every_kind(
    app: FastAPI, client: TestClient, world: World
) -> None:
    rng = random.Random(20261203)
    for round_number in range(12):
        for _ in range(rng.randrange(1, 8)):
            _write(app, world, rng)
        if round_number % 3 == 2:
            check_every_report(app, client, world)
    check_every_report(app, client, world)
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(ReportLine)) > 0


def test_writes_during_reports_are_never_lost(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Writes on four other connections while reports are made (and lines refreshed):
    once the writes stop, the next report counts all of them."""
    rng = random.Random(5)
    for _ in range(10):
        _write(app, world, rng)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        local = random.Random(seed)
        try:
            while not stop.is_set():
                try:
                    _write(app, world, local)
                except OperationalError as error:
                    # Two writes that mark several gigs each may wait for each other's
                    # marks; the database ends one, and the service would run it again.
                    if getattr(error.orig, "sqlstate", None) != "40P01":
                        raise
        except BaseException as error:  # pragma: no cover (reported below)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(15):
            answered(client, world, "area", date(2026, 1, 1), date(2026, 4, 30), None)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    check_every_report(app, client, world)


def _past_gigs(app: FastAPI, world: World, count: int) -> list[str]:
    gigs = world.gigs[:count]
    past = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id.in_(gigs)).values(
            status="completed", starts_at=past, ends_at=past + timedelta(hours=2)))  # fmt: skip
    return gigs


def _attended(app: FastAPI, signups: list[tuple[str, str, str, float]]) -> None:
    """Confirmed one-person sign-ups (id, gig, volunteer, hours), attended."""
    with db_session(app) as session, session.begin():
        for signup_id, gig_id, volunteer_id, hours in signups:
            session.execute(insert(Signup).values(
                id=signup_id, gig_id=gig_id, volunteer_id=volunteer_id, size=1,
                status="confirmed", queue_number=1, attended=True, hours=hours))  # fmt: skip


def _no_line_names(app: FastAPI, volunteer_id: str) -> None:
    with db_session(app) as session:
        held = session.execute(select(ReportLine.person, ReportLine.member)).all()
    assert all(volunteer_id not in (person, member) for person, member in held)


def test_an_erased_volunteer_leaves_no_line(app: FastAPI, client: TestClient, world: World) -> None:
    volunteer_id = world.volunteers[0]
    gigs = _past_gigs(app, world, 3)
    _attended(app, [(f"sgn_erase_{index}", gig_id, volunteer_id, 2.0)
                    for index, gig_id in enumerate(gigs)])  # fmt: skip
    answered(client, world, "area", date(2026, 1, 1), date(2026, 4, 30), None)
    with db_session(app) as session:
        lines = session.scalars(select(ReportLine.person)).all()
    assert volunteer_id in lines
    erased = client.delete(f"/api/v1/volunteers/{volunteer_id}", headers=ADMIN)
    assert erased.status_code == 204, erased.text
    _no_line_names(app, volunteer_id)
    check_every_report(app, client, world)


def test_a_refresh_that_stopped_halfway_is_finished_by_the_next(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Marks taken, lines not made (the process died between the two transactions), then
    the same gig marked again: the next report makes them and counts right."""
    rng = random.Random(11)
    for _ in range(6):
        _write(app, world, rng)
    database = app.state.database
    assert run(database, database.write(report_lines._take_marks)) > 0
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id.in_(world.gigs)).values(status="completed"))
    check_every_report(app, client, world)


@pytest.mark.skipif(not POSTGRES_URL, reason="the refresh lock is PostgreSQL's")
def test_a_report_waits_briefly_for_a_long_refresh_then_says_try_again(
    app: FastAPI, client: TestClient, world: World
) -> None:
    rng = random.Random(3)
    _write(app, world, rng)
    with db_connection(app) as connection:
        connection.exec_driver_sql("LOCK TABLE report_refresh IN SHARE ROW EXCLUSIVE MODE")
        params = {"from": "2026-01-01", "to": "2026-04-30", "group_by": "area"}
        busy = client.get("/api/v1/reports/impact", params=params, headers=ADMIN)
        connection.rollback()
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"] == "10"
    check_every_report(app, client, world)


def test_a_nameless_sign_up_moved_between_the_two_steps_of_a_refresh(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Its line on the gig it left (not in the work list) goes, not a duplicate key."""
    here, there = _past_gigs(app, world, 2)
    with db_session(app) as session, session.begin():
        session.execute(insert(Signup).values(
            id="sgn_nameless", gig_id=here, association_id=world.associations[0], size=3,
            status="confirmed", queue_number=1))  # fmt: skip
    database = app.state.database
    run(database, report_lines.refresh(database))
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == there).values(area="Beijum"))
    assert run(database, database.write(report_lines._take_marks)) == 1
    with db_session(app) as session, session.begin():
        session.execute(update(Signup).where(Signup.id == "sgn_nameless").values(gig_id=there))
    assert run(database, database.write(report_lines._make_lines)) == 1
    check_every_report(app, client, world)


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite runs one writer at a time")
def test_an_erasure_waits_for_a_running_refresh(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """A refresh that read the person's sign-ups before the erasure cannot put their lines
    back after it: the erasure waits for the refresh to end."""
    gigs = _past_gigs(app, world, 2)
    volunteer_id = world.volunteers[1]
    _attended(app, [(f"sgn_kept_{index}", gig_id, volunteer_id, 2.0)
                    for index, gig_id in enumerate(gigs)])  # fmt: skip
    database = app.state.database
    run(database, report_lines.refresh(database))
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gigs[0]).values(area="Beijum"))
    assert run(database, database.write(report_lines._take_marks)) == 1
    erased: dict[str, int] = {}
    with db_session(app) as session:  # the second step, held open
        session.execute(report_lines.LOCK)
        session.execute(report_lines.ADD_PEOPLE)
        session.execute(report_lines.DROP_PERSON_LINES)

        def erase() -> None:
            answer = client.delete(f"/api/v1/volunteers/{volunteer_id}", headers=ADMIN)
            erased["status"] = answer.status_code

        thread = threading.Thread(target=erase)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the erasure waits for the refresh"
        session.execute(report_lines.MAKE_LINES)
        session.execute(report_lines.CLEAR_WORK)
        session.commit()
    thread.join()
    assert erased == {"status": 204}
    _no_line_names(app, volunteer_id)
    check_every_report(app, client, world)


def test_a_sign_up_given_to_another_volunteer_between_the_two_steps_of_a_refresh(
    app: FastAPI, client: TestClient, world: World
) -> None:
    """Its line of the first volunteer (on a gig not taken) goes: no duplicate key."""
    taken, other = _past_gigs(app, world, 2)
    first, second = world.volunteers[2], world.volunteers[3]
    _attended(app, [("sgn_given", other, first, 1.0), ("sgn_second", taken, second, 1.0)])
    database = app.state.database
    run(database, report_lines.refresh(database))
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == taken).values(area="Beijum"))
    assert run(database, database.write(report_lines._take_marks)) == 1
    with db_session(app) as session, session.begin():
        session.execute(update(Signup).where(Signup.id == "sgn_given").values(volunteer_id=second))
    run(database, database.write(report_lines._make_lines))
    check_every_report(app, client, world)
