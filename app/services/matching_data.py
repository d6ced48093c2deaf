"""Loading matching inputs with Core queries into the pure profiles of ``app.matching``.

What the loaders count (the contract is silent; these are the choices):

- **Hours booked this month** (fairness, and ``max_hours_per_month``): the durations of the
  gigs a volunteer is *confirmed* for (alone or named in a group sign-up) that start in
  the current calendar month in Europe/Amsterdam, past and future alike. Planned hours,
  not recorded ones: attendance is only known after a gig, while a monthly maximum is
  about what someone has already promised to do.
- **Busy intervals**: the start and end of every gig with a confirmed sign-up (alone or as
  a named member) that ends after the month began; earlier ones can clash with nothing.
- **Signed-up gig ids**: gigs with a confirmed or waitlisted sign-up (not cancelled).
- **Past engagement of an association**: recorded hours x group size of its attended
  sign-ups, i.e. volunteer hours actually done.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    func,
    or_,
    select,
    true,
    union_all,
)

from app.db import Row, Tx
from app.matching import GigProfile, VolunteerProfile
from app.matching.requirements import Requirements, age_on
from app.matching.timeslots import AMSTERDAM
from app.models import (
    Attestation,
    Gig,
    Signup,
    SignupMember,
    Volunteer,
)

logger = logging.getLogger("klusmakelaar.matching")

ACTIVE_STATUSES: Final = ("confirmed", "waitlisted")
ID_CHUNK: Final = 5_000
"""Ids per ``IN (...)`` list: well below SQLite's limit on bound parameters."""


def _valid_until(kind: str) -> Any:
    """The last valid day of the volunteer's latest attestation of ``kind``."""
    return (
        select(func.max(Attestation.valid_until))
        .where(Attestation.volunteer_id == Volunteer.id, Attestation.kind == kind)
        .correlate(Volunteer)
        .scalar_subquery()
    )


_VOLUNTEER_COLUMNS = (
    Volunteer.id, Volunteer.name, Volunteer.lat, Volunteer.lon, Volunteer.area,
    Volunteer.postcode, Volunteer.max_hours_per_month, Volunteer.needs_guidance,
    Volunteer.needs_accessible, Volunteer.birth_date, _valid_until("vog"),
    _valid_until("driving_licence"),
)  # fmt: skip
_VOLUNTEER_JSON = (
    Volunteer.skills, Volunteer.interests, Volunteer.languages, Volunteer.availability,
)  # fmt: skip
"""Read as text and decoded in one ``json.loads`` per batch: 4 calls per row cost more."""


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The current calendar month in Europe/Amsterdam as aware UTC (start, end)."""
    local = now.astimezone(AMSTERDAM)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return (
        datetime(local.year, local.month, 1, tzinfo=AMSTERDAM).astimezone(UTC),
        datetime(year, month, 1, tzinfo=AMSTERDAM).astimezone(UTC),
    )


def chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """``ids`` in slices of at most ``ID_CHUNK``."""
    for begin in range(0, len(ids), ID_CHUNK):
        yield ids[begin : begin + ID_CHUNK]


@dataclass
class Bookings:
    """Sign-up facts of one volunteer or association, gathered before building a profile."""

    hours_this_month: float = 0.0
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    gig_ids: set[str] = field(default_factory=set)


def _volunteer_booking_rows(since: datetime, volunteer_ids: Sequence[str] | None) -> Select[Any]:
    """Active sign-ups (alone or as a named member) of gigs ending after ``since``."""
    alone_filter: ColumnElement[bool] = Signup.volunteer_id.is_not(None)
    member_filter: ColumnElement[bool] = true()
    if volunteer_ids is not None:
        alone_filter = Signup.volunteer_id.in_(volunteer_ids)
        member_filter = SignupMember.volunteer_id.in_(volunteer_ids)
    gig_columns = (Signup.gig_id, Signup.status, Gig.starts_at, Gig.ends_at)
    active = and_(Signup.status.in_(ACTIVE_STATUSES), Gig.ends_at > since)
    alone = (
        select(Signup.volunteer_id.label("owner_id"), *gig_columns)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(active, alone_filter)
    )
    named = (
        select(SignupMember.volunteer_id.label("owner_id"), *gig_columns)
        .join(Signup, Signup.id == SignupMember.signup_id)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(active, member_filter)
    )
    return union_all(alone, named)  # type: ignore[return-value]


def collect_bookings(rows: Iterable[Any], month: tuple[datetime, datetime]) -> dict[str, Bookings]:
    """Fold (owner_id, gig_id, status, starts_at, ends_at) rows into bookings per owner."""
    bookings: defaultdict[str, Bookings] = defaultdict(Bookings)
    seen: set[tuple[str, str]] = set()
    for owner_id, gig_id, status, starts_at, ends_at in rows:
        if (owner_id, gig_id) in seen:  # a signer also named in the same group sign-up
            continue
        seen.add((owner_id, gig_id))
        booking = bookings[owner_id]
        booking.gig_ids.add(gig_id)
        if status != "confirmed":
            continue
        starts_at, ends_at = _aware(starts_at), _aware(ends_at)
        booking.busy.append((starts_at, ends_at))
        if month[0] <= starts_at < month[1]:
            booking.hours_this_month += (ends_at - starts_at).total_seconds() / 3600.0
    return dict(bookings)


def _aware(moment: datetime) -> datetime:
    """The moment as an aware datetime (UTC when the driver gave it back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def volunteer_bookings(
    tx: Tx, *, now: datetime, volunteer_ids: Sequence[str] | None = None
) -> dict[str, Bookings]:
    """Bookings of every volunteer (or of ``volunteer_ids``) that matter from this month on."""
    month = month_bounds(now)
    if volunteer_ids is None:
        return collect_bookings(await tx.rows(_volunteer_booking_rows(month[0], None)), month)
    rows: list[Any] = []
    for part in chunks(volunteer_ids):
        rows.extend(await tx.rows(_volunteer_booking_rows(month[0], part)))
    return collect_bookings(rows, month)


def _volunteer_profile(row: Any, tags: Sequence[Any], booking: Bookings | None) -> VolunteerProfile:
    skills, interests, languages, availability = tags
    booking = booking or Bookings()
    return VolunteerProfile(
        id=row[0],
        name=row[1],
        skills=skills or (),
        interests=interests or (),
        languages=languages or (),
        lat=row[2],
        lon=row[3],
        area=row[4],
        postcode=row[5],
        availability=[(w["weekday"], w["start"], w["end"]) for w in availability or ()],
        max_hours_per_month=row[6],
        needs_guidance=bool(row[7]),
        needs_accessible=bool(row[8]),
        hours_booked_this_month=booking.hours_this_month,
        busy=booking.busy,
        signed_up_gig_ids=frozenset(booking.gig_ids),
        birth_date=_day(row[9]),
        vog_valid_until=_day(row[10]),
        driving_licence_valid_until=_day(row[11]),
    )


def _day(value: date | str | None) -> date | None:
    """A date (a scalar subquery's on SQLite comes back as its ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _profiles(rows: Sequence[Any], bookings: Mapping[str, Bookings]) -> list[VolunteerProfile]:
    """Profiles of (columns..., 4 JSON texts) rows, decoding all JSON in one call."""
    width = len(_VOLUNTEER_COLUMNS)
    texts = [text or "null" for row in rows for text in row[width:]]
    decoded = json.loads("[" + ",".join(texts) + "]") if texts else []
    return [
        _volunteer_profile(row, decoded[4 * i : 4 * i + 4], bookings.get(row[0]))
        for i, row in enumerate(rows)
    ]


async def volunteer_rows(
    tx: Tx, *, now: datetime, volunteer_ids: Sequence[str] | None = None
) -> tuple[list[Any], dict[str, Bookings]]:
    """What `profiles_of` makes volunteer profiles of: every volunteer (by id), or
    ``volunteer_ids`` (unknown ids skipped), with their bookings."""
    bookings = await volunteer_bookings(tx, now=now, volunteer_ids=volunteer_ids)
    query = select(*_VOLUNTEER_COLUMNS, *(cast(column, Text) for column in _VOLUNTEER_JSON))
    rows: list[Any] = []
    if volunteer_ids is None:
        rows.extend(await tx.rows(query.order_by(Volunteer.id)))
    else:
        for part in chunks(volunteer_ids):
            rows.extend(await tx.rows(query.where(Volunteer.id.in_(part))))
    return rows, bookings


def profiles_of(rows: Sequence[Any], bookings: Mapping[str, Bookings]) -> list[VolunteerProfile]:
    """Profiles of the rows of `volunteer_rows` (pure Python: run it off the event loop
    when there are many)."""
    return _profiles(rows, bookings)


async def volunteer_profiles(
    tx: Tx, *, now: datetime, volunteer_ids: Sequence[str] | None = None
) -> list[VolunteerProfile]:
    """Profiles of every volunteer (by id), or of ``volunteer_ids`` (unknown ids skipped)."""
    return profiles_of(*await volunteer_rows(tx, now=now, volunteer_ids=volunteer_ids))


async def volunteer_cards(tx: Tx, volunteer_ids: Sequence[str]) -> dict[str, Row]:
    """What an organisation may see of proposed volunteers: no contact data."""
    query = select(
        Volunteer.id, Volunteer.name, Volunteer.area, Volunteer.skills, Volunteer.languages,
        Volunteer.birth_date,
    ).where(Volunteer.id.in_(volunteer_ids))  # fmt: skip
    return {row.id: row for row in await tx.rows(query)}


def volunteer_card(row: Row, today: date) -> dict[str, Any]:
    """A card of `volunteer_cards` as shown: the age instead of the birth date."""
    card = row.as_dict()
    birth_date = card.pop("birth_date")
    card["age"] = age_on(birth_date, today) if birth_date is not None else None
    return card


async def pool_fingerprint(tx: Tx, now: datetime) -> tuple[Any, ...]:
    """A cheap summary that changes whenever volunteers, sign-ups or booked gigs change
    (the `pool` cache's rule, `app.services.caches`), in one statement.

    - volunteers: count, sum of versions, newest `updated_at` (registration adds a row,
      erasure removes one, and every UPDATE bumps a version: the sum grows with each);
    - sign-ups: count, newest `updated_at` (new ones, cancellations, promotions);
    - gigs with confirmed people: count, sum of versions, newest `updated_at` (moving a
      gig changes its people's busy times without touching a sign-up);
    - the month in Europe/Amsterdam ("hours booked this month" starts over).
    """
    booked = Gig.confirmed_people > 0
    row = await tx.one(
        select(
            select(func.count()).select_from(Volunteer).scalar_subquery().label("volunteers"),
            select(func.sum(Volunteer.version)).scalar_subquery().label("volunteer_versions"),
            select(func.max(Volunteer.updated_at)).scalar_subquery().label("volunteers_at"),
            select(func.count()).select_from(Signup).scalar_subquery().label("signups"),
            select(func.max(Signup.updated_at)).scalar_subquery().label("signups_at"),
            select(func.count()).select_from(Gig).where(booked).scalar_subquery().label("gigs"),
            select(func.sum(Gig.version)).where(booked).scalar_subquery().label("gig_versions"),
            select(func.max(Gig.updated_at)).where(booked).scalar_subquery().label("gigs_at"),
        )
    )
    return (*row, month_bounds(now)[0])


def gig_profile(gig: Mapping[str, Any] | Any) -> GigProfile:
    """The matching view of a gig (an ORM object or a row mapping with every column)."""
    values = gig if isinstance(gig, Mapping) else {c: getattr(gig, c) for c in _GIG_FIELDS}
    return GigProfile(
        id=values["id"],
        category=values["category"],
        kind=values["kind"],
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        skills=tuple(values["skills"] or ()),
        languages=tuple(values["languages"] or ()),
        lat=values["lat"],
        lon=values["lon"],
        area=values["area"],
        postcode=values["postcode"],
        accessible=bool(values["accessible"]),
        guidance_available=bool(values["guidance_available"]),
        capacity=values["capacity"],
        spots_left=max(values["capacity"] - values["confirmed_people"], 0),
        group_size_min=values["group_size_min"],
        group_size_max=values["group_size_max"],
        status=values["status"],
        signup_deadline=values["signup_deadline"],
        requirements=Requirements(
            min_age=values["min_age"],
            vog=bool(values["requires_vog"]),
            driving_licence=bool(values["requires_driving_licence"]),
        ),
    )


def gig_profiles_of(gigs: Iterable[Any]) -> list[GigProfile]:
    """The matching views of gig rows; a row matching cannot take (times from before gig
    dates were bounded, say) is left out and logged, so the others are still scored."""
    profiles = []
    for gig in gigs:
        try:
            profiles.append(gig_profile(gig))
        except ValueError as error:
            logger.warning("gig %s left out of matching: %s", gig.id, error)
    return profiles


_GIG_FIELDS = (
    "id", "category", "kind", "starts_at", "ends_at", "skills", "languages", "lat", "lon",
    "area", "postcode", "accessible", "guidance_available", "capacity", "confirmed_people",
    "group_size_min", "group_size_max", "status", "signup_deadline", "min_age", "requires_vog",
    "requires_driving_licence",
)  # fmt: skip


def open_gigs_query(now: datetime) -> Select[Any]:
    """Every column of open one-off gigs one can still sign up for, soonest first."""
    return (
        select(Gig.__table__)
        .where(
            Gig.status == "open",
            Gig.kind == "one_off",
            Gig.starts_at > now,
            Gig.confirmed_people < Gig.capacity,
            or_(Gig.signup_deadline.is_(None), Gig.signup_deadline > now),
        )
        .order_by(Gig.starts_at, Gig.id)
    )
