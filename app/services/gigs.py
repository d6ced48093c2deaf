"""Gigs: create, read with visibility, update, and the lifecycle draft → open → done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, delete, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import Conflict, Forbidden, NotFound, field_error
from app.etags import check_if_match, etag_for
from app.models import Gig, GigSkill, Organization
from app.models.base import utcnow
from app.schemas.common import fold_text
from app.schemas.gig import GigCreate, GigLocationRead, GigRead, GigUpdate, check_gig_rules
from app.services import signups

LOCATION_FIELDS = ("address", "postcode", "area", "lat", "lon", "online")
TIME_PLACE_FIELDS = ("starts_at", "ends_at", *LOCATION_FIELDS)


class GigNotEditable(Conflict):
    type, title = "gig-not-editable", "A cancelled or completed gig cannot change"


class InvalidTransition(Conflict):
    type, title = "invalid-status-transition", "The gig cannot move to that status"


def search_text(title: str, description: str | None) -> str:
    """What `q` searches: title and description, lower case, accents folded."""
    return fold_text(f"{title} {description or ''}")


def _set_skills(session: Session, gig: Gig, skills: list[str]) -> None:
    unique = list(dict.fromkeys(skill.strip() for skill in skills if skill.strip()))
    gig.skills = unique
    session.execute(delete(GigSkill).where(GigSkill.gig_id == gig.id))
    normalised = dict.fromkeys(fold_text(skill) for skill in unique)
    session.add_all(GigSkill(gig_id=gig.id, skill=skill) for skill in normalised)


def _organization_for(session: Session, principal: Principal, requested: str | None) -> str:
    if principal.role == "organization":
        assert principal.organization_id is not None
        if requested is not None and requested != principal.organization_id:
            raise Forbidden("An organisation key posts gigs for its own organisation only.")
        return principal.organization_id
    if requested is None:
        raise field_error(["body", "organization_id"], "required when posting as the admin")
    if session.get(Organization, requested) is None:
        raise field_error(["body", "organization_id"], "no such organisation")
    return requested


def create(
    *, session: Session, principal: Principal, gig_in: GigCreate, source: str = "api"
) -> Gig:
    """Create a gig for the caller's organisation (or any, as the admin)."""
    check_gig_rules(
        kind=gig_in.kind,
        starts_at=gig_in.starts_at,
        ends_at=gig_in.ends_at,
        signup_deadline=gig_in.signup_deadline,
        capacity=gig_in.capacity,
        group_size_min=gig_in.group_size_min,
        group_size_max=gig_in.group_size_max,
    )
    organization_id = _organization_for(session, principal, gig_in.organization_id)
    fields = gig_in.model_dump(exclude={"organization_id", "location", "skills"})
    gig = Gig(
        **fields,
        **gig_in.location.model_dump(),
        organization_id=organization_id,
        source=source,
        search_text=search_text(gig_in.title, gig_in.description),
    )
    session.add(gig)
    session.flush()
    _set_skills(session, gig, gig_in.skills)
    session.flush()
    return gig


def may_see(principal: Principal, organization_id: str, status: str) -> bool:
    """Drafts are for their organisation and the admin; everything else is public."""
    return status != "draft" or principal.acts_for_organization(organization_id)


def get_visible(
    *, session: Session, principal: Principal, gig_id: str, for_update: bool = False
) -> Gig:
    """A gig the caller may see, or 404."""
    query = select(Gig).where(Gig.id == gig_id)
    if for_update:
        query = query.with_for_update()
    gig = session.scalars(query).one_or_none()
    if gig is None or not may_see(principal, gig.organization_id, gig.status):
        raise NotFound("No such gig.")
    return gig


def get_owned(*, session: Session, principal: Principal, gig_id: str) -> Gig:
    """A gig the caller may change (its organisation or the admin), locked for the update."""
    gig = get_visible(session=session, principal=principal, gig_id=gig_id, for_update=True)
    if not principal.acts_for_organization(gig.organization_id):
        raise Forbidden("Only the gig's organisation and the admin may change it.")
    return gig


def update(
    *, session: Session, principal: Principal, gig_id: str, gig_in: GigUpdate, if_match: str | None
) -> Gig:
    """Apply a partial update; publishing is `{"status": "open"}` on a draft."""
    gig = get_owned(session=session, principal=principal, gig_id=gig_id)
    check_if_match(if_match, etag_for(gig.id, gig.version))
    if gig.status in ("cancelled", "completed"):
        raise GigNotEditable(f"The gig is {gig.status}.")
    changes = gig_in.changes()
    location = changes.pop("location", None)
    if location is not None:
        changes.update(gig_in.location.model_dump() if gig_in.location else {})
    status = changes.pop("status", None)
    if status == "draft" and gig.status == "open":
        raise InvalidTransition("A published gig cannot go back to draft; cancel it instead.")
    merged = {field: changes.get(field, getattr(gig, field)) for field in
              ("kind", "starts_at", "ends_at", "signup_deadline", "capacity",
               "group_size_min", "group_size_max")}  # fmt: skip
    check_gig_rules(**merged)
    raised = apply_capacity_change(session=session, gig=gig, new_capacity=changes.get("capacity"))
    if "kind" in changes and changes["kind"] != gig.kind and has_signups(session=session, gig=gig):
        raise Conflict("The kind of a gig with sign-ups cannot change.")
    if any(
        field in changes and changes[field] != getattr(gig, field) for field in TIME_PLACE_FIELDS
    ):
        gig.sequence += 1
    skills = changes.pop("skills", None)
    for field, value in changes.items():
        setattr(gig, field, value)
    if skills is not None:
        _set_skills(session, gig, skills)
    if "title" in changes or "description" in changes:
        gig.search_text = search_text(gig.title, gig.description)
    if status == "open":
        gig.status = "open"
    gig.updated_at = utcnow()
    session.flush()
    if raised and gig.status == "open":
        signups.promote(session=session, gig=gig)
    return gig


def has_signups(*, session: Session, gig: Gig) -> bool:
    """Whether anyone is confirmed or waiting for the gig."""
    return gig.confirmed_people > 0 or gig.waitlist_count > 0


def apply_capacity_change(*, session: Session, gig: Gig, new_capacity: int | None) -> bool:
    """Check a capacity change against the people confirmed; True when it grows."""
    if new_capacity is None or new_capacity == gig.capacity:
        return False
    if new_capacity < gig.confirmed_people:
        raise Conflict(
            f"{gig.confirmed_people} people are confirmed; "
            "cancel sign-ups before lowering the capacity."
        )
    return new_capacity > gig.capacity


def cancel(*, session: Session, principal: Principal, gig_id: str) -> Gig:
    """Cancel a draft or open gig."""
    gig = get_owned(session=session, principal=principal, gig_id=gig_id)
    if gig.status in ("cancelled", "completed"):
        raise InvalidTransition(f"The gig is already {gig.status}.")
    gig.status = "cancelled"
    signups.cancel_all(session=session, gig=gig)
    gig.updated_at = utcnow()
    session.flush()
    return gig


def complete(*, session: Session, principal: Principal, gig_id: str) -> Gig:
    """Mark an open gig as done; its sign-ups stay."""
    gig = get_owned(session=session, principal=principal, gig_id=gig_id)
    if gig.status != "open":
        raise InvalidTransition(f"Only an open gig can be completed; this one is {gig.status}.")
    gig.status = "completed"
    gig.updated_at = utcnow()
    session.flush()
    return gig


_READ_FIELDS = (
    "id", "organization_id", "title", "description", "category", "kind", "starts_at", "ends_at",
    "signup_deadline", "capacity", "group_size_min", "group_size_max", "skills", "languages",
    "accessible", "guidance_available", "repeatable", "status", "waitlist_count", "source",
    "created_at", "updated_at",
)  # fmt: skip


def to_read(gig: Gig | Mapping[str, Any] | RowMapping) -> GigRead:
    """The response model of a gig row (ORM object or Core mapping), without re-validation."""
    values: Mapping[str, Any] | RowMapping = (
        {
            field: getattr(gig, field)
            for field in (*_READ_FIELDS, *LOCATION_FIELDS, "confirmed_people")
        }
        if isinstance(gig, Gig)
        else gig
    )
    location = GigLocationRead.model_construct(
        **{field: values[field] for field in LOCATION_FIELDS}
    )
    return GigRead.model_construct(
        **{field: values[field] for field in _READ_FIELDS},
        location=location,
        spots_left=max(values["capacity"] - values["confirmed_people"], 0),
        distance_km=None,
    )
