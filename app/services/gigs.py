"""Gigs: create, read with visibility, update, and the lifecycle draft → open → done."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, delete, insert, select, update

from app.auth import Principal
from app.db import Database, Row, Tx, reads, writes
from app.errors import Conflict, Forbidden, NotFound, field_error
from app.etags import Tagged, check_if_match, etag_for
from app.models import Gig, GigSkill, Organization, Signup
from app.models.base import new_id, utcnow
from app.schemas.common import fold_text
from app.schemas.gig import (
    GigCreate,
    GigLocationRead,
    GigRead,
    GigRequirements,
    GigRequirementsRead,
    GigUpdate,
    check_gig_rules,
)
from app.services import events, places, waitlist
from app.services.caches import Caches, GigAnswer
from app.services.event_types import EventType

logger = logging.getLogger(__name__)

LOCATION_FIELDS = ("address", "postcode", "area", "lat", "lon", "online")
TIME_PLACE_FIELDS = ("starts_at", "ends_at", *LOCATION_FIELDS)


class GigNotEditable(Conflict):
    type, title = "gig-not-editable", "A cancelled or completed gig cannot change"


class InvalidTransition(Conflict):
    type, title = "invalid-status-transition", "The gig cannot move to that status"


def search_text(title: str, description: str | None) -> str:
    """What `q` searches: title and description, lower case, accents folded."""
    return fold_text(f"{title} {description or ''}")


GIG = select(Gig).where(Gig.id == bindparam("gig_id"))
_GIG_FOR_UPDATE = GIG.with_for_update()
_INSERT = insert(Gig).returning(*Gig.__table__.columns)
_ORGANIZATION_EXISTS = select(Organization.id).where(Organization.id == bindparam("id"))
_DROP_SKILLS = delete(GigSkill).where(GigSkill.gig_id == bindparam("of_gig"))
_ADD_SKILL = insert(GigSkill)


def tagged(gig: Row) -> Tagged[GigRead]:
    """The response model of a gig row, with its ETag."""
    return Tagged(to_read(gig), etag_for(gig.id, gig.version))


def _clean_skills(skills: list[str]) -> list[str]:
    return list(dict.fromkeys(skill.strip() for skill in skills if skill.strip()))


def _index_skills(tx: Tx, gig_id: str, skills: list[str]) -> None:
    """Replace the gig's normalised skills, the rows `?skill=` finds it by."""
    tx.defer(_DROP_SKILLS, of_gig=gig_id)
    for skill in dict.fromkeys(fold_text(skill) for skill in skills):
        tx.defer(_ADD_SKILL, gig_id=gig_id, skill=skill)


async def organization_for(tx: Tx, principal: Principal, requested: str | None) -> str:
    """The organisation a new gig is for: the key's own, or the one the admin names."""
    if principal.role == "organization":
        assert principal.organization_id is not None
        if requested is not None and requested != principal.organization_id:
            raise Forbidden("An organisation key posts gigs for its own organisation only.")
        return principal.organization_id
    if requested is None:
        raise field_error(["body", "organization_id"], "required when posting as the admin")
    if await tx.scalar(_ORGANIZATION_EXISTS, id=requested) is None:
        raise field_error(["body", "organization_id"], "no such organisation")
    return requested


@writes
async def create(
    tx: Tx, *, principal: Principal, gig_in: GigCreate, source: str = "api"
) -> Tagged[GigRead]:
    """Create a gig for the caller's organisation (or any, as the admin)."""
    return tagged(await insert_gig(tx, principal=principal, gig_in=gig_in, source=source))


def _recorded(
    tx: Tx, event_type: EventType, gig: Row, *, note: str | None = None
) -> Tagged[GigRead]:
    """The gig's response, recorded as ``event_type`` in the log."""
    read = tagged(gig)
    events.gig_event(tx, event_type, read.item, note=note)
    return read


async def insert_gig(tx: Tx, *, principal: Principal, gig_in: GigCreate, source: str) -> Row:
    """Insert a gig in the caller's transaction; its row."""
    row = await _insert_gig(tx, _INSERT, principal=principal, gig_in=gig_in, source=source)
    assert row is not None  # a plain INSERT ... RETURNING always has its row
    return row


async def insert_occurrence(
    tx: Tx, *, principal: Principal, gig_in: GigCreate, series_id: str, series_day: date
) -> Row | None:
    """Insert a series' occurrence of ``series_day``; None when it exists already (made
    by another process, or earlier: `ix_gigs_series_day`)."""
    statement = (
        tx.insert(Gig)
        .on_conflict_do_nothing(index_elements=["series_id", "series_day"])
        .returning(*Gig.__table__.columns)
    )
    return await _insert_gig(
        tx, statement, principal=principal, gig_in=gig_in, source="api",
        series_id=series_id, series_day=series_day,
    )  # fmt: skip


async def _insert_gig(
    tx: Tx, statement: Any, *, principal: Principal, gig_in: GigCreate, source: str,
    **series: Any,
) -> Row | None:  # fmt: skip
    now = utcnow()
    check_gig_rules(
        kind=gig_in.kind,
        starts_at=gig_in.starts_at,
        ends_at=gig_in.ends_at,
        signup_deadline=gig_in.signup_deadline,
        capacity=gig_in.capacity,
        group_size_min=gig_in.group_size_min,
        group_size_max=gig_in.group_size_max,
        now=now,
    )
    organization_id = await organization_for(tx, principal, gig_in.organization_id)
    gig_id = new_id("gig")
    skills = _clean_skills(gig_in.skills)
    fields = gig_in.model_dump(exclude={"organization_id", "location", "skills", "requirements"})
    row = await tx.row(
        statement,
        {**fields, **gig_in.location.model_dump(), **requirement_columns(gig_in.requirements)},
        id=gig_id,
        organization_id=organization_id,
        source=source,
        skills=skills,
        search_text=search_text(gig_in.title, gig_in.description),
        created_at=now,
        updated_at=now,
        **series,
    )
    if row is None:
        return None
    _index_skills(tx, gig_id, skills)
    events.gig_event(tx, "gig.created", to_read(row))
    return row


@reads
async def get_visible(tx: Tx, *, principal: Principal, gig_id: str) -> Tagged[GigRead]:
    """A gig the caller may see, or 404."""
    return tagged(await visible_row(tx, principal=principal, gig_id=gig_id))


#: How FastAPI writes a `GigRead` response, so a kept answer is byte for byte the same.
_GIG_READ_JSON = TypeAdapter(GigRead)


async def read_json(
    database: Database, caches: Caches, *, principal: Principal, gig_id: str
) -> GigAnswer:
    """`GET /gigs/{id}`: the gig as the JSON of `GigRead` with its ETag, or 404.

    From `caches.gig_reads` while nothing was committed since the row was read (one
    data-version check, no query); otherwise one query. Who may see the gig is checked
    either way.
    """
    try:
        version = await database.data_version()
    except Exception:  # answered as if there were no cache; the read itself decides
        logger.warning("gig reads: no data version", exc_info=True)
        version = None
    answer = caches.gig_reads.get(gig_id, version)
    if answer is None:
        async with database.read() as tx:
            gig = await tx.row(GIG, gig_id=gig_id)
        if gig is None:
            raise NotFound("No such gig.")
        answer = GigAnswer(
            data_version=version,
            body=_GIG_READ_JSON.dump_json(to_read(gig), by_alias=True),
            etag=etag_for(gig.id, gig.version),
            organization_id=gig.organization_id,
            status=gig.status,
        )
        if version is not None:
            caches.gig_reads.put(gig_id, answer)
    if not principal.may_see_gig(answer.organization_id, answer.status):
        raise NotFound("No such gig.")
    return answer


async def visible_row(tx: Tx, *, principal: Principal, gig_id: str) -> Row:
    """The row of a gig the caller may see, or 404."""
    gig = await tx.row(GIG, gig_id=gig_id)
    if gig is None or not principal.may_see_gig(gig.organization_id, gig.status):
        raise NotFound("No such gig.")
    return gig


async def _owned(tx: Tx, principal: Principal, gig_id: str) -> Row:
    """A gig the caller may change (its organisation or the admin), locked for the update."""
    gig = await tx.row(_GIG_FOR_UPDATE, gig_id=gig_id)
    if gig is None or not principal.may_see_gig(gig.organization_id, gig.status):
        raise NotFound("No such gig.")
    if not principal.acts_for_organization(gig.organization_id):
        raise Forbidden("Only the gig's organisation and the admin may change it.")
    return gig


#: What a series changes on its occurrences (`gig_series.change`).
SERIES_FIELDS = frozenset({"title", "description", "starts_at", "ends_at", "location", "capacity"})


@writes
async def update_gig(
    tx: Tx,
    *,
    principal: Principal,
    gig_id: str,
    gig_in: GigUpdate,
    if_match: str | None,
    by_series: bool = False,
) -> Tagged[GigRead]:
    """Apply a partial update; publishing is `{"status": "open"}` on a draft. A series'
    occurrence changed alone (not ``by_series``) no longer follows the series for the
    fields changed."""
    gig = await _owned(tx, principal, gig_id)
    check_if_match(if_match, etag_for(gig.id, gig.version))
    if gig.status in ("cancelled", "completed"):
        raise GigNotEditable(f"The gig is {gig.status}.")
    changes = gig_in.changes()
    detached = SERIES_FIELDS & changes.keys()
    location = changes.pop("location", None)
    if location is not None:
        changes.update(gig_in.location.model_dump() if gig_in.location else {})
    if "requirements" in changes:
        changes.update(requirement_columns(changes.pop("requirements")))
    status = changes.pop("status", None)
    if status == "draft" and gig.status == "open":
        raise InvalidTransition("A published gig cannot go back to draft; cancel it instead.")
    merged = {field: changes.get(field, gig[field]) for field in
              ("kind", "starts_at", "ends_at", "signup_deadline", "capacity",
               "group_size_min", "group_size_max")}  # fmt: skip
    # The bounds on times hold when they change, and when a draft is published.
    retimed = "starts_at" in changes or "ends_at" in changes or status == "open"
    check_gig_rules(**merged, now=utcnow() if retimed else None)
    raised = capacity_raised(gig, changes.get("capacity"))
    if "kind" in changes and changes["kind"] != gig.kind and has_signups(gig):
        raise Conflict("The kind of a gig with sign-ups cannot change.")
    values: dict[str, Any] = dict(changes)
    moved = any(field in changes and changes[field] != gig[field] for field in TIME_PLACE_FIELDS)
    if moved:
        values["sequence"] = gig.sequence + 1
    if "skills" in changes:
        values["skills"] = _clean_skills(changes["skills"] or [])
        _index_skills(tx, gig.id, values["skills"])
    if "title" in changes or "description" in changes:
        values["search_text"] = search_text(
            changes.get("title", gig.title), changes.get("description", gig.description)
        )
    if status == "open":
        values["status"] = "open"
    if gig.series_id is not None and not by_series and detached:
        values["series_detached"] = sorted(detached | set(gig.series_detached or []))
    await tx.run(update(Gig).where(Gig.id == gig.id).values(**values, updated_at=utcnow()))
    promoted = []
    if raised:
        promoted = await waitlist.promote(tx, await tx.one(places.LOCK_GIG, gig_id=gig.id))
    # Publishing a draft is, for everyone but its organisation, the gig's creation.
    published = status == "open" and gig.status == "draft"
    # People signed up are told of a new time or place (`services.messages`).
    updated = _recorded(
        tx,
        "gig.created" if published else "gig.updated",
        await tx.one(GIG, gig_id=gig.id),
        note=events.TIME_PLACE_CHANGED if moved and not published else None,
    )
    await events.signup_events(tx, "signup.promoted", promoted)
    return updated


def has_signups(gig: Row) -> bool:
    """Whether anyone is confirmed or waiting for the gig."""
    return bool(gig.confirmed_people > 0 or gig.waitlist_count > 0)


def capacity_raised(gig: Row, new_capacity: int | None) -> bool:
    """Check a capacity change against the people confirmed; True when it grows."""
    if new_capacity is None or new_capacity == gig.capacity:
        return False
    if new_capacity < gig.confirmed_people:
        raise Conflict(
            f"{gig.confirmed_people} people are confirmed; "
            "cancel sign-ups before lowering the capacity."
        )
    return bool(new_capacity > gig.capacity)


_ACTIVE_SIGNUPS = (
    select(Signup.id)
    .where(Signup.gig_id == bindparam("of_gig"), Signup.status != "cancelled")
    .order_by(Signup.queue_number)
)
_CANCEL_SIGNUPS = (
    update(Signup)
    .where(Signup.gig_id == bindparam("of_gig"), Signup.status != "cancelled")
    .values(status="cancelled", cancelled_at=bindparam("now"))
)


@writes
async def cancel(tx: Tx, *, principal: Principal, gig_id: str) -> Tagged[GigRead]:
    """Cancel a draft or open gig, and every sign-up for it."""
    gig = await _owned(tx, principal, gig_id)
    if gig.status in ("cancelled", "completed"):
        raise InvalidTransition(f"The gig is already {gig.status}.")
    now = utcnow()
    active = await tx.scalars(_ACTIVE_SIGNUPS, of_gig=gig.id)
    tx.defer(_CANCEL_SIGNUPS, of_gig=gig.id, now=now)
    await tx.run(
        update(Gig)
        .where(Gig.id == gig.id)
        .values(status="cancelled", confirmed_people=0, waitlist_count=0, updated_at=now)
    )
    cancelled = _recorded(tx, "gig.cancelled", await tx.one(GIG, gig_id=gig.id))
    await events.signup_events(tx, "signup.cancelled", active)
    return cancelled


@writes
async def complete(tx: Tx, *, principal: Principal, gig_id: str) -> Tagged[GigRead]:
    """Mark an open gig as done; its sign-ups stay."""
    gig = await _owned(tx, principal, gig_id)
    if gig.status != "open":
        raise InvalidTransition(f"Only an open gig can be completed; this one is {gig.status}.")
    await tx.run(
        update(Gig).where(Gig.id == gig.id).values(status="completed", updated_at=utcnow())
    )
    return _recorded(tx, "gig.completed", await tx.one(GIG, gig_id=gig.id))


_READ_FIELDS = (
    "id", "organization_id", "title", "description", "category", "kind", "starts_at", "ends_at",
    "signup_deadline", "capacity", "group_size_min", "group_size_max", "skills", "languages",
    "accessible", "guidance_available", "repeatable", "series_id", "status", "waitlist_count",
    "source", "created_at", "updated_at",
)  # fmt: skip


def requirement_columns(requirements: GigRequirements) -> dict[str, Any]:
    """The gig's columns of its requirements."""
    return {
        "min_age": requirements.min_age,
        "requires_vog": requirements.vog,
        "requires_driving_licence": requirements.driving_licence,
    }


def to_read(gig: Mapping[str, Any] | Row) -> GigRead:
    """The response model of a gig row, without re-validation."""
    location = GigLocationRead.model_construct(**{field: gig[field] for field in LOCATION_FIELDS})
    requirements = GigRequirementsRead.model_construct(
        min_age=gig["min_age"],
        vog=bool(gig["requires_vog"]),
        driving_licence=bool(gig["requires_driving_licence"]),
    )
    return GigRead.model_construct(
        **{field: gig[field] for field in _READ_FIELDS},
        location=location,
        requirements=requirements,
        spots_left=max(gig["capacity"] - gig["confirmed_people"], 0),
        distance_km=None,
    )
