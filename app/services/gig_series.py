"""Gig series: create, read, change every future occurrence, cancel, sign up for all,
and keep occurrences made 13 weeks ahead (`extend_all`, run by the dispatcher).

Occurrences are ordinary gigs (`gigs.insert_occurrence`), each made once whatever the
number of processes: the unique (series, day) index and INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from app.auth import Principal
from app.db import Database, Row, Tx, reads, writes
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.models import Gig, GigSeries
from app.models.base import new_id, utcnow
from app.schemas.gig import GigCreate, GigUpdate
from app.schemas.gig_series import (
    CapacityKept,
    GigSeriesCreate,
    GigSeriesGigUpdate,
    GigSeriesRead,
    GigSeriesUpdated,
    SeriesGigRead,
    SeriesSignupItem,
)
from app.schemas.signup import SignupCreate
from app.services import gigs, series_rules, signups

_SERIES = select(GigSeries).where(GigSeries.id == bindparam("series_id"))
_FUTURE = (
    select(Gig.id, Gig.status, Gig.starts_at, Gig.ends_at, Gig.capacity, Gig.confirmed_people,
           Gig.series_detached)
    .where(Gig.series_id == bindparam("series_id"), Gig.starts_at > bindparam("now"),
           Gig.status.in_(("open", "draft")))
    .order_by(Gig.starts_at, Gig.id)
)  # fmt: skip
_ACTIVE = select(GigSeries.id).where(
    GigSeries.status == "active", GigSeries.made_until < bindparam("until")
)


class SeriesCancelled(Conflict):
    type, title = "series-cancelled", "The series is cancelled"


def _owner(organization_id: str) -> Principal:
    return Principal(role="organization", organization_id=organization_id)


def _template(series: Row) -> GigCreate:
    return GigCreate.model_validate({**series.template, "organization_id": None})


async def _make(tx: Tx, series: Row, now: datetime) -> list[str]:
    """Make the series' occurrences up to its horizon (those not made yet)."""
    template = _template(series)
    rule = series_rules.parse(series.rrule, template.starts_at)
    until = series_rules.horizon(template.starts_at, now)
    after = max(series.made_until, now.astimezone(series_rules.AMSTERDAM).date() - _ONE_DAY)
    made: list[str] = []
    deadline_before = (
        template.starts_at - template.signup_deadline if template.signup_deadline else None
    )
    for occurrence in series_rules.occurrences(
        rule, first_start=template.starts_at, first_end=template.ends_at, after=after,
        until=until,
    ):  # fmt: skip
        if occurrence.starts_at <= now:
            continue
        gig_in = template.model_copy(
            update={
                "starts_at": occurrence.starts_at,
                "ends_at": occurrence.ends_at,
                "signup_deadline": occurrence.starts_at - deadline_before
                if deadline_before is not None
                else None,
            }
        )
        row = await gigs.insert_occurrence(
            tx, principal=_owner(series.organization_id), gig_in=gig_in, series_id=series.id,
            series_day=occurrence.day,
        )  # fmt: skip
        if row is not None:
            made.append(row.id)
    if until > series.made_until:
        await tx.run(update(GigSeries).where(GigSeries.id == series.id).values(made_until=until))
    return made


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)


@writes
async def create(tx: Tx, *, principal: Principal, series_in: GigSeriesCreate) -> GigSeriesRead:
    """A series and its occurrences for the first 13 weeks (the owner, the admin)."""
    gig_in = series_in.gig
    series_rules.parse(series_in.rrule, gig_in.starts_at)  # 422 before anything is written
    # The first occurrence as an ordinary gig: the gig's rules and the organisation checked.
    organization_id = await gigs.organization_for(tx, principal, gig_in.organization_id)
    now = utcnow()
    series_id = new_id("ser")
    template = gig_in.model_dump(mode="json", exclude={"organization_id"})
    await tx.run(
        insert(GigSeries),
        id=series_id,
        organization_id=organization_id,
        rrule=series_in.rrule,
        template=template,
        status="active",
        made_until=date(1970, 1, 1),
        created_at=now,
        updated_at=now,
    )
    series = await tx.one(_SERIES, series_id=series_id)
    await _make(tx, series, now)
    return await _read(tx, await tx.one(_SERIES, series_id=series_id), now)


async def _read(tx: Tx, series: Row, now: datetime) -> GigSeriesRead:
    template = series.template
    gig = SeriesGigRead.model_validate(
        {**template, "organization_id": series.organization_id,
         "location": {"address": None, "postcode": None, "area": None, "lat": None,
                      "lon": None, "online": False, **(template.get("location") or {})},
         "requirements": {"min_age": None, "vog": False, "driving_licence": False,
                          **(template.get("requirements") or {})}}
    )  # fmt: skip
    gig_ids = [row.id for row in await tx.rows(_FUTURE, series_id=series.id, now=now)]
    return GigSeriesRead(
        id=series.id, rrule=series.rrule, status=series.status, gig=gig, gig_ids=gig_ids,
        created_at=series.created_at, updated_at=series.updated_at,
    )  # fmt: skip


async def _visible(tx: Tx, principal: Principal, series_id: str) -> Row:
    series = await tx.row(_SERIES, series_id=series_id)
    if series is None or not principal.may_see_gig(
        series.organization_id, series.template.get("status", "open")
    ):
        raise NotFound("No such gig series.")
    return series


async def _owned(tx: Tx, principal: Principal, series_id: str) -> Row:
    series = await _visible(tx, principal, series_id)
    if not principal.acts_for_organization(series.organization_id):
        raise Forbidden("Only the series' organisation and the admin may change it.")
    return series


@reads
async def get(tx: Tx, *, principal: Principal, series_id: str) -> GigSeriesRead:
    """A series the caller may see (drafts: their organisation and the admin)."""
    return await _read(tx, await _visible(tx, principal, series_id), utcnow())


@writes
async def change(
    tx: Tx, *, principal: Principal, series_id: str, gig_in: GigSeriesGigUpdate
) -> GigSeriesUpdated:
    """Change every future occurrence, except the fields changed on one alone; a
    capacity below an occurrence's confirmed people is kept there and reported."""
    series = await _owned(tx, principal, series_id)
    if series.status != "active":
        raise SeriesCancelled("A cancelled series does not change.")
    now = utcnow()
    changes = gig_in.changes()
    kept: list[CapacityKept] = []
    for occurrence in await tx.rows(_FUTURE, series_id=series.id, now=now):
        fields = {k: v for k, v in changes.items() if k not in (occurrence.series_detached or [])}
        day = occurrence.starts_at.astimezone(series_rules.AMSTERDAM).date()
        for name in ("starts_at", "ends_at"):
            if name in fields:
                fields[name] = series_rules.at_time_of(day, fields[name])
        if "ends_at" in fields and fields["ends_at"] <= fields.get(
            "starts_at", occurrence.starts_at
        ):
            fields["ends_at"] = fields["ends_at"] + _ONE_DAY  # past midnight
        capacity = fields.get("capacity")
        if capacity is not None and capacity < occurrence.confirmed_people:
            del fields["capacity"]
            kept.append(CapacityKept(gig_id=occurrence.id, capacity=occurrence.capacity,
                                     confirmed_people=occurrence.confirmed_people))  # fmt: skip
        if fields:
            await gigs.update_gig(
                tx, principal=principal, gig_id=occurrence.id,
                gig_in=GigUpdate.model_validate(fields), if_match=None, by_series=True,
            )  # fmt: skip
    await tx.run(
        update(GigSeries)
        .where(GigSeries.id == series.id)
        .values(template=_new_template(series, gig_in, changes), updated_at=now)
    )
    read = await _read(tx, await tx.one(_SERIES, series_id=series.id), now)
    return GigSeriesUpdated(**read.model_dump(), capacity_kept=kept)


def _new_template(series: Row, gig_in: GigSeriesGigUpdate, changes: dict[str, Any]) -> Any:
    template = dict(series.template)
    first = GigCreate.model_validate({**template, "organization_id": None})
    for name, value in gig_in.model_dump(mode="json", include=set(changes)).items():
        template[name] = value
    day = first.starts_at.astimezone(series_rules.AMSTERDAM).date()
    starts_at = series_rules.at_time_of(day, changes.get("starts_at", first.starts_at))
    ends_at = series_rules.at_time_of(day, changes.get("ends_at", first.ends_at))
    if ends_at <= starts_at:
        ends_at += _ONE_DAY
    template["starts_at"], template["ends_at"] = starts_at.isoformat(), ends_at.isoformat()
    return template


@writes
async def cancel(tx: Tx, *, principal: Principal, series_id: str) -> GigSeriesRead:
    """Cancel every future occurrence (and their sign-ups: the people are told)."""
    series = await _owned(tx, principal, series_id)
    now = utcnow()
    for occurrence in await tx.rows(_FUTURE, series_id=series.id, now=now):
        await gigs.cancel(tx, principal=principal, gig_id=occurrence.id)
    await tx.run(
        update(GigSeries)
        .where(GigSeries.id == series.id)
        .values(status="cancelled", updated_at=now)
    )
    return await _read(tx, await tx.one(_SERIES, series_id=series.id), now)


async def sign_up(
    database: Database, *, principal: Principal, series_id: str, signup_in: SignupCreate
) -> list[SeriesSignupItem]:
    """Sign up for every future occurrence, each as a single sign-up in a transaction of
    its own: one that is full or clashes does not stop the others."""
    async with database.read() as tx:
        series = await _visible(tx, principal, series_id)
        occurrences = await tx.rows(_FUTURE, series_id=series.id, now=utcnow())
    items: list[SeriesSignupItem] = []
    for occurrence in occurrences:
        try:
            signup = await signups.sign_up(
                database, principal=principal, gig_id=occurrence.id, signup_in=signup_in
            )
        except AppError as error:
            if error.status in (401, 403, 404, 422):
                raise  # the same for every occurrence: the request itself is wrong
            items.append(SeriesSignupItem(gig_id=occurrence.id, signup_id=None, status=None,
                                          error=error.type, detail=error.detail))  # fmt: skip
            continue
        status = signup.status if signup.status != "cancelled" else None
        items.append(SeriesSignupItem(gig_id=occurrence.id, signup_id=signup.id, status=status,
                                      error=None, detail=None))  # fmt: skip
    return items


async def extend_all(database: Database, *, now: datetime) -> int:
    """Make the occurrences of every active series up to 13 weeks ahead; the number made.
    Safe to run at once in several processes (`gigs.insert_occurrence`)."""
    until = series_rules.horizon(now, now)
    async with database.read() as tx:
        due = list(await tx.scalars(_ACTIVE, until=until))
    made = 0
    for series_id in due:
        made += len(await _extend_one(database, series_id=series_id, now=now))
    return made


@writes
async def _extend_one(tx: Tx, *, series_id: str, now: datetime) -> list[str]:
    series = await tx.row(_SERIES, series_id=series_id)
    if series is None or series.status != "active":
        return []
    return await _make(tx, series, now)
