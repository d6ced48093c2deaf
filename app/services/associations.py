"""Student associations: CRUD, calendar tokens and members."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.etags import check_if_match, etag_for
from app.models import Association, AssociationMember, Volunteer
from app.models.base import utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.association import AssociationCreate, AssociationUpdate
from app.schemas.common import fold_text


class SlugTaken(Conflict):
    type, title = "slug-taken", "Another association has this slug"


class AlreadyMember(Conflict):
    type, title = "already-member", "The volunteer is already a member"


def slugify(name: str) -> str:
    """`Vindicat atque Polit` → `vindicat-atque-polit`."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_text(name)).strip("-")
    return slug[:80].strip("-") or "association"


def member_count_column() -> Any:
    """A correlated count of members, for selects of associations."""
    return (
        select(func.count())
        .select_from(AssociationMember)
        .where(AssociationMember.association_id == Association.id)
        .scalar_subquery()
    )


def _flush_slug(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise SlugTaken("Choose another `slug`.") from None


def create(*, session: Session, association_in: AssociationCreate) -> Association:
    """Create an association; the slug comes from the name unless given."""
    fields = association_in.model_dump()
    fields["slug"] = association_in.slug or slugify(association_in.name)
    association = Association(**fields)
    session.add(association)
    _flush_slug(session)
    return association


def get(*, session: Session, association_id: str, for_update: bool = False) -> Association:
    """One association, or 404."""
    query = select(Association).where(Association.id == association_id)
    if for_update:
        query = query.with_for_update()
    association = session.scalars(query).one_or_none()
    if association is None:
        raise NotFound("No such association.")
    return association


def member_count(*, session: Session, association_id: str) -> int:
    """Registered members of one association."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(AssociationMember)
            .where(AssociationMember.association_id == association_id)
        )
        or 0
    )


def list_page(
    *, session: Session, limit: int, cursor: str | None
) -> tuple[list[tuple[Association, int]], str | None]:
    """Associations in creation order, each with its member count."""
    query = select(Association, member_count_column())
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(Association.id > after_id)
    rows = [
        (row[0], int(row[1]))
        for row in session.execute(query.order_by(Association.id).limit(limit + 1))
    ]
    return split_page(rows, limit, lambda row: [row[0].id])


def update(
    *,
    session: Session,
    association_id: str,
    association_in: AssociationUpdate,
    if_match: str | None,
) -> Association:
    """Apply a partial update, if `If-Match` still holds."""
    association = get(session=session, association_id=association_id, for_update=True)
    check_if_match(if_match, etag_for(association.id, association.version))
    for field, value in association_in.changes().items():
        setattr(association, field, value)
    _flush_slug(session)
    return association


def rotate_calendar_token(*, session: Session, association_id: str) -> Association:
    """Give the association a new calendar token; the old one stops working."""
    association = get(session=session, association_id=association_id, for_update=True)
    association.calendar_token_version += 1
    association.updated_at = utcnow()
    session.flush()
    return association


def add_member(*, session: Session, association_id: str, volunteer_id: str) -> dict[str, Any]:
    """Add a volunteer to an association."""
    get(session=session, association_id=association_id)
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.")
    member = AssociationMember(association_id=association_id, volunteer_id=volunteer_id)
    session.add(member)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise AlreadyMember("The volunteer is already a member.") from None
    return {"volunteer_id": volunteer.id, "name": volunteer.name, "joined_at": member.joined_at}


def list_members(
    *, session: Session, association_id: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Members with their name and since when, oldest membership first."""
    get(session=session, association_id=association_id)
    query = (
        select(AssociationMember.volunteer_id, Volunteer.name, AssociationMember.joined_at)
        .join(Volunteer, Volunteer.id == AssociationMember.volunteer_id)
        .where(AssociationMember.association_id == association_id)
    )
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(AssociationMember.volunteer_id > after_id)
    rows = [
        dict(row)
        for row in session.execute(
            query.order_by(AssociationMember.volunteer_id).limit(limit + 1)
        ).mappings()
    ]
    return split_page(rows, limit, lambda row: [row["volunteer_id"]])


def remove_member(*, session: Session, association_id: str, volunteer_id: str) -> None:
    """End a membership; 404 when there is none."""
    result = session.execute(
        delete(AssociationMember).where(
            AssociationMember.association_id == association_id,
            AssociationMember.volunteer_id == volunteer_id,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("No such member.")
