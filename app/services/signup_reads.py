"""Reading sign-ups: per gig (for its organisation), per volunteer, and hours for a CV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import bindparam, func, select

from app.db import Row, Tx, in_ids, reads
from app.errors import NotFound
from app.matching.requirements import age_on
from app.models import Association, Gig, Organization, Signup, SignupMember, Volunteer
from app.models.base import utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.gig import GigLocationRead
from app.schemas.signup import (
    GigSignupRead,
    SignupContact,
    SignupGig,
    SignupRead,
    VolunteerSignupRead,
)
from app.services import requirements, waitlist
from app.services.places import involving
from app.services.requirements import today

_MEMBERS = (
    select(SignupMember.signup_id, SignupMember.volunteer_id)
    .where(in_ids(SignupMember.signup_id, "signup_ids"))
    .order_by(SignupMember.volunteer_id)
)


async def member_ids(tx: Tx, signups: Sequence[Row]) -> dict[str, list[str]]:
    """The volunteers named in each group sign-up."""
    ids = [signup.id for signup in signups if signup.association_id is not None]
    named: dict[str, list[str]] = {signup_id: [] for signup_id in ids}
    if ids:
        for row in await tx.rows(_MEMBERS, signup_ids=ids):
            named[row.signup_id].append(row.volunteer_id)
    return named


async def to_read(tx: Tx, signups: Sequence[Row]) -> list[SignupRead]:
    """Response models for sign-up rows, with waitlist places and named members."""
    positions = await waitlist.positions(tx, signups)
    named = await member_ids(tx, signups)
    return [
        SignupRead(
            id=signup.id,
            gig_id=signup.gig_id,
            volunteer_id=signup.volunteer_id,
            association_id=signup.association_id,
            size=signup.size,
            member_ids=named.get(signup.id, []),
            status=signup.status,
            waitlist_position=positions.get(signup.id),
            attended=signup.attended,
            hours=signup.hours,
            created_at=signup.created_at,
            reconfirmed_at=signup.reconfirmed_at,
            checked_in_at=signup.checked_in_at,
            checked_out_at=signup.checked_out_at,
        )
        for signup in signups
    ]


_GIG_OWNER = select(
    Gig.organization_id,
    Gig.starts_at,
    Gig.ends_at,
    Gig.min_age,
    Gig.requires_vog,
    Gig.requires_driving_licence,
).where(Gig.id == bindparam("gig_id"))
_CONTACTS = select(
    Volunteer.id, Volunteer.name, Volunteer.email, Volunteer.phone, Volunteer.birth_date
).where(in_ids(Volunteer.id, "ids"))
_GROUP_CONTACTS = select(Association.id, Association.name, Association.email).where(
    in_ids(Association.id, "ids")
)
ACTIVE = ("confirmed", "waitlisted")
ContactScope = Literal["all", "name", "none"]


def contact_scope(signup: Row, *, admin: bool, gig_ended: bool) -> ContactScope:
    """What the gig's organisation may see of a sign-up's signer: `all`, `name` (the gig
    is over: enough for attendance) or `none` (cancelled). The admin sees all."""
    if admin:
        return "all"
    if signup.status not in ACTIVE:
        return "none"
    return "name" if gig_ended else "all"


def _contact(
    signup: Row, scope: ContactScope, people: dict[str, Row], groups: dict[str, Row]
) -> SignupContact | None:
    if scope == "none":
        return None
    if signup.volunteer_id in people:
        person = people[signup.volunteer_id]
        age = age_on(person.birth_date, today()) if person.birth_date else None
        contact = SignupContact(name=person.name, email=person.email, phone=person.phone, age=age)
    elif signup.association_id in groups:
        group = groups[signup.association_id]
        contact = SignupContact(name=group.name, email=group.email, phone=None, age=None)
    else:
        return None  # erased
    if scope == "all":
        return contact
    return SignupContact(name=contact.name, email=None, phone=None, age=contact.age)


def _people(signup: Row, named: dict[str, list[str]]) -> list[str]:
    if signup.volunteer_id is not None:
        return [signup.volunteer_id]
    return named.get(signup.id, [])


@reads
async def list_for_gig(
    tx: Tx,
    *,
    organization_id: str | None,
    gig_id: str,
    limit: int,
    cursor: str | None,
    requirements_met: bool | None = None,
) -> tuple[list[GigSignupRead], str | None]:
    """A gig's sign-ups in arrival order, each with whom to contact (see `contact_scope`)
    and the requirements it misses now; 404 unless the gig belongs to ``organization_id``
    (None: any, for the admin). With ``requirements_met``, only the active sign-ups that
    meet (true) or miss (false) the gig's requirements."""
    gig = await tx.row(_GIG_OWNER, gig_id=gig_id)
    if gig is None or (organization_id is not None and gig.organization_id != organization_id):
        raise NotFound("No such gig.")
    query = select(Signup).where(Signup.gig_id == gig_id)
    if cursor is not None:
        (after,) = decode_cursor(cursor, [int])
        query = query.where(Signup.queue_number > after)
    query = query.order_by(Signup.queue_number)
    if requirements_met is None:
        rows = await tx.rows(query.limit(limit + 1))
    else:
        # Decided per sign-up in Python (the rule is `app.matching.requirements`): the
        # active sign-ups after the cursor are read and filtered, then paged.
        rows = await tx.rows(query.where(Signup.status.in_(ACTIVE)))
        named = await member_ids(tx, rows)
        facts = await requirements.People.load(
            tx, [person for row in rows for person in _people(row, named)]
        )
        rows = [
            row for row in rows
            if (not facts.missing(gig, _people(row, named))) == requirements_met
        ][: limit + 1]  # fmt: skip
    page, next_cursor = split_page(rows, limit, lambda signup: [signup.queue_number])
    named = await member_ids(tx, page)
    facts = await requirements.People.load(
        tx, [person for row in page for person in _people(row, named)]
    )
    gig_ended = gig.ends_at <= utcnow()
    scopes = [contact_scope(s, admin=organization_id is None, gig_ended=gig_ended) for s in page]
    shown = [s for s, scope in zip(page, scopes, strict=True) if scope != "none"]
    volunteer_ids = [s.volunteer_id for s in shown if s.volunteer_id]
    association_ids = [s.association_id for s in shown if s.association_id]
    people = {row.id: row for row in await tx.rows(_CONTACTS, ids=volunteer_ids)}
    groups = {row.id: row for row in await tx.rows(_GROUP_CONTACTS, ids=association_ids)}
    items = [
        GigSignupRead(
            **read.model_dump(),
            contact=_contact(signup, scope, people, groups),
            missing_requirements=facts.missing(gig, _people(signup, named)),
        )
        for signup, scope, read in zip(page, scopes, await to_read(tx, page), strict=True)
    ]
    return items, next_cursor


#: The place of a gig as the gig itself returns it (`GigRead.location`).
_LOCATION_FIELDS = tuple(GigLocationRead.model_fields)
#: A sign-up with its gig in short (`SignupGig`), read in the same statement.
_WITH_GIG = select(
    Signup,
    Gig.title.label("gig_title"),
    Gig.starts_at.label("gig_starts_at"),
    Gig.ends_at.label("gig_ends_at"),
    Gig.status.label("gig_status"),
    *(getattr(Gig, name).label(f"gig_{name}") for name in _LOCATION_FIELDS),
).join(Gig, Gig.id == Signup.gig_id)


def _gig_in_short(row: Row) -> SignupGig:
    location = {name: row[f"gig_{name}"] for name in _LOCATION_FIELDS}
    return SignupGig(
        id=row.gig_id,
        title=row.gig_title,
        starts_at=row.gig_starts_at,
        ends_at=row.gig_ends_at,
        location=GigLocationRead(**location),
        status=row.gig_status,
    )


@reads
async def list_for_volunteer(
    tx: Tx, *, volunteer_id: str, limit: int, cursor: str | None
) -> tuple[list[VolunteerSignupRead], str | None]:
    """The sign-ups a volunteer is part of (alone or named in a group), oldest first, each
    with its gig in short (joined, not read per sign-up)."""
    query = _WITH_GIG.where(involving([volunteer_id]))
    if cursor is not None:
        (after,) = decode_cursor(cursor, [str])
        query = query.where(Signup.id > after)
    rows = await tx.rows(query.order_by(Signup.id).limit(limit + 1))
    page, next_cursor = split_page(rows, limit, lambda signup: [signup.id])
    items = [
        VolunteerSignupRead(**read.model_dump(), gig=_gig_in_short(row))
        for row, read in zip(page, await to_read(tx, page), strict=True)
    ]
    return items, next_cursor


async def history(tx: Tx, *, volunteer_id: str) -> list[dict[str, Any]]:
    """Every sign-up of a volunteer with its gig, for the export of personal data."""
    rows = await tx.rows(
        select(Signup, Gig.title.label("gig_title"), Gig.starts_at.label("gig_starts_at"))
        .join(Gig, Gig.id == Signup.gig_id)
        .where(involving([volunteer_id]))
        .order_by(Signup.id)
    )
    return [
        {
            "signup_id": row.id,
            "gig_id": row.gig_id,
            "gig_title": row.gig_title,
            "gig_starts_at": row.gig_starts_at.isoformat(),
            "status": row.status,
            "attended": row.attended,
            "hours": row.hours,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def _format_hours(hours: float, lang: str) -> str:
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "nl" else text


def statement(name: str, by_organization: list[dict[str, Any]], total: float, lang: str) -> str:
    """A plain sentence for a CV naming the person, each organisation and the hours."""
    if not by_organization:
        if lang == "en":
            return f"{name} has no volunteering hours recorded yet."
        return f"{name} heeft nog geen vrijwilligersuren geregistreerd."
    if lang == "en":
        parts = [
            f"{_format_hours(row['hours'], 'en')} {'hour' if row['hours'] == 1 else 'hours'} "
            f"with {row['name']}"
            for row in by_organization
        ]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        total_text = _format_hours(total, "en")
        return f"{name} volunteered {total_text} hours through Klusmakelaar Groningen: {listed}."
    parts = [
        f"{_format_hours(row['hours'], 'nl')} uur bij {row['name']}" for row in by_organization
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]
    total_text = _format_hours(total, "nl")
    return (
        f"{name} heeft via Klusmakelaar Groningen {total_text} uur vrijwilligerswerk gedaan: "
        f"{listed}."
    )


@reads
async def hours(tx: Tx, *, volunteer_id: str, lang: str) -> dict[str, Any]:
    """Recorded hours of a volunteer: total, per organisation, and the CV statement."""
    name = await tx.scalar(select(Volunteer.name).where(Volunteer.id == volunteer_id))
    if name is None:
        raise NotFound("No such volunteer.")
    total_hours = func.sum(Signup.hours).label("hours")
    rows = await tx.rows(
        select(Organization.id, Organization.name, total_hours)
        .join(Gig, Gig.id == Signup.gig_id)
        .join(Organization, Organization.id == Gig.organization_id)
        .where(involving([volunteer_id]), Signup.attended.is_(True), Signup.hours.is_not(None))
        .group_by(Organization.id, Organization.name)
        .order_by(total_hours.desc(), Organization.name)
    )
    by_organization: list[dict[str, Any]] = [
        {"organization_id": row.id, "name": row.name, "hours": round(float(row.hours or 0), 2)}
        for row in rows
    ]
    total = round(sum(float(row["hours"]) for row in by_organization), 2)
    return {
        "total_hours": total,
        "by_organization": by_organization,
        "statement": statement(name, by_organization, total, lang),
    }
