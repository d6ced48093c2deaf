"""Student associations: CRUD, calendar tokens and members."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth import Principal
from app.config import API_PREFIX
from app.db import Row, Tx, reads, writes
from app.errors import Conflict, NotFound
from app.etags import Tagged, check_if_match, etag_for
from app.models import Association, AssociationMember, Volunteer
from app.models.base import new_id, utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.association import AssociationCreate, AssociationRead, AssociationUpdate
from app.schemas.common import fold_text
from app.services.calendar_tokens import calendar_token, instance_secret


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
        .label("member_count")
    )


ASSOCIATION = select(Association).where(Association.id == bindparam("association_id"))
_WITH_MEMBERS = select(Association, member_count_column()).where(
    Association.id == bindparam("association_id")
)


async def _reads(
    tx: Tx, rows: list[Row], principal: Principal, base_url: str
) -> list[AssociationRead]:
    """Response models; `calendar_url` (with its secret) for the association and the admin."""
    secret = None
    reads_: list[AssociationRead] = []
    for row in rows:
        calendar_url = None
        if principal.acts_for_association(row.id):
            secret = secret or await instance_secret(tx)
            token = calendar_token(secret, row)
            calendar_url = (
                f"{base_url}{API_PREFIX}/associations/{row.id}/calendar.ics?token={token}"
            )
        reads_.append(
            AssociationRead.model_validate({**row.as_dict(), "calendar_url": calendar_url})
        )
    return reads_


async def _tagged(
    tx: Tx, association_id: str, principal: Principal, base_url: str
) -> Tagged[AssociationRead]:
    row = await tx.row(_WITH_MEMBERS, association_id=association_id)
    if row is None:
        raise NotFound("No such association.")
    (read,) = await _reads(tx, [row], principal, base_url)
    return Tagged(read, etag_for(row.id, row.version))


async def _write_slugged(tx: Tx, statement: Any) -> None:
    try:
        async with tx.savepoint():
            await tx.run(statement)
    except IntegrityError:
        raise SlugTaken("Choose another `slug`.") from None


@writes
async def create(
    tx: Tx, *, principal: Principal, association_in: AssociationCreate, base_url: str
) -> Tagged[AssociationRead]:
    """Create an association; the slug comes from the name unless given."""
    fields = association_in.model_dump()
    fields["slug"] = association_in.slug or slugify(association_in.name)
    association_id = new_id("asc")
    now = utcnow()
    await _write_slugged(
        tx,
        insert(Association).values(**fields, id=association_id, created_at=now, updated_at=now),
    )
    return await _tagged(tx, association_id, principal, base_url)


@reads
async def get(
    tx: Tx, *, principal: Principal, association_id: str, base_url: str
) -> Tagged[AssociationRead]:
    """One association with its member count, or 404."""
    return await _tagged(tx, association_id, principal, base_url)


@reads
async def list_page(
    tx: Tx, *, principal: Principal, limit: int, cursor: str | None, base_url: str
) -> tuple[list[AssociationRead], str | None]:
    """Associations in creation order, each with its member count."""
    query = select(Association, member_count_column())
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(Association.id > after_id)
    rows = await tx.rows(query.order_by(Association.id).limit(limit + 1))
    page, next_cursor = split_page(rows, limit, lambda row: [row.id])
    return await _reads(tx, page, principal, base_url), next_cursor


async def _locked(tx: Tx, association_id: str) -> Row:
    row = await tx.row(ASSOCIATION.with_for_update(), association_id=association_id)
    if row is None:
        raise NotFound("No such association.")
    return row


@writes
async def update_association(
    tx: Tx,
    *,
    principal: Principal,
    association_id: str,
    association_in: AssociationUpdate,
    if_match: str | None,
    base_url: str,
) -> Tagged[AssociationRead]:
    """Apply a partial update, if `If-Match` still holds."""
    row = await _locked(tx, association_id)
    check_if_match(if_match, etag_for(row.id, row.version))
    changes = association_in.changes()
    if changes:
        await _write_slugged(
            tx,
            update(Association)
            .where(Association.id == association_id)
            .values(**changes, updated_at=utcnow()),
        )
    return await _tagged(tx, association_id, principal, base_url)


@writes
async def rotate_calendar_token(
    tx: Tx, *, principal: Principal, association_id: str, base_url: str
) -> Tagged[AssociationRead]:
    """Give the association a new calendar token; the old one stops working."""
    await _locked(tx, association_id)
    await tx.run(
        update(Association)
        .where(Association.id == association_id)
        .values(calendar_token_version=Association.calendar_token_version + 1, updated_at=utcnow())
    )
    return await _tagged(tx, association_id, principal, base_url)


_MEMBER = (
    select(AssociationMember.volunteer_id, Volunteer.name, AssociationMember.joined_at)
    .join(Volunteer, Volunteer.id == AssociationMember.volunteer_id)
    .where(
        AssociationMember.association_id == bindparam("association_id"),
        AssociationMember.volunteer_id == bindparam("volunteer_id"),
    )
)


@writes
async def add_member(tx: Tx, *, association_id: str, volunteer_id: str) -> Row:
    """Add a volunteer to an association."""
    if await tx.row(ASSOCIATION, association_id=association_id) is None:
        raise NotFound("No such association.")
    if await tx.scalar(select(Volunteer.id).where(Volunteer.id == volunteer_id)) is None:
        raise NotFound("No such volunteer.")
    try:
        async with tx.savepoint():
            await tx.run(
                insert(AssociationMember),
                association_id=association_id,
                volunteer_id=volunteer_id,
                joined_at=utcnow(),
            )
    except IntegrityError:
        raise AlreadyMember("The volunteer is already a member.") from None
    return await tx.one(_MEMBER, association_id=association_id, volunteer_id=volunteer_id)


@reads
async def list_members(
    tx: Tx, *, association_id: str, limit: int, cursor: str | None
) -> tuple[list[Row], str | None]:
    """Members with their name and since when, oldest membership first."""
    if await tx.row(ASSOCIATION, association_id=association_id) is None:
        raise NotFound("No such association.")
    query = (
        select(AssociationMember.volunteer_id, Volunteer.name, AssociationMember.joined_at)
        .join(Volunteer, Volunteer.id == AssociationMember.volunteer_id)
        .where(AssociationMember.association_id == association_id)
    )
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(AssociationMember.volunteer_id > after_id)
    rows = await tx.rows(query.order_by(AssociationMember.volunteer_id).limit(limit + 1))
    return split_page(rows, limit, lambda row: [row.volunteer_id])


@writes
async def remove_member(tx: Tx, *, association_id: str, volunteer_id: str) -> None:
    """End a membership; 404 when there is none."""
    removed = await tx.run(
        delete(AssociationMember).where(
            AssociationMember.association_id == association_id,
            AssociationMember.volunteer_id == volunteer_id,
        )
    )
    if removed == 0:
        raise NotFound("No such member.")


async def member_count(tx: Tx, association_id: str) -> int:
    """Registered members of one association."""
    return int(
        await tx.scalar(
            select(func.count())
            .select_from(AssociationMember)
            .where(AssociationMember.association_id == association_id)
        )
        or 0
    )
