"""Organisations: create, read, list and update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth import Principal
from app.db import Row, Tx, in_ids, reads, writes
from app.errors import Conflict, NotFound
from app.etags import Tagged, check_if_match, etag_for
from app.integrations.channels import Channels
from app.models import Organization, OrganizationWhatsappNumber
from app.models.base import new_id, utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.organization import OrganizationCreate, OrganizationRead, OrganizationUpdate
from app.services import number_claims

_ORGANIZATION = select(Organization).where(Organization.id == bindparam("organization_id"))
_NUMBERS = (
    select(OrganizationWhatsappNumber.organization_id, OrganizationWhatsappNumber.number)
    .where(in_ids(OrganizationWhatsappNumber.organization_id, "ids"))
    .order_by(OrganizationWhatsappNumber.position)
)
_TAKEN = select(OrganizationWhatsappNumber.number).where(
    in_ids(OrganizationWhatsappNumber.number, "numbers"),
    OrganizationWhatsappNumber.organization_id != bindparam("organization_id"),
)
_DROP_NUMBERS = delete(OrganizationWhatsappNumber).where(
    OrganizationWhatsappNumber.organization_id == bindparam("organization_id")
)
_ADD_NUMBER = insert(OrganizationWhatsappNumber)


async def _numbers_by_organization(tx: Tx, ids: list[str]) -> dict[str, list[str]]:
    numbers: dict[str, list[str]] = {organization_id: [] for organization_id in ids}
    if ids:
        for row in await tx.rows(_NUMBERS, ids=ids):
            numbers[row.organization_id].append(row.number)
    return numbers


def _read(
    row: Row, numbers: list[str] | None, pending: list[str] | None = None
) -> OrganizationRead:
    return OrganizationRead.model_validate(
        {**row.as_dict(), "whatsapp_numbers": numbers, "whatsapp_numbers_pending": pending}
    )


async def _tagged(tx: Tx, organization_id: str, principal: Principal) -> Tagged[OrganizationRead]:
    row = await tx.row(_ORGANIZATION, organization_id=organization_id)
    if row is None:
        raise NotFound("No such organisation.")
    numbers = pending = None
    if principal.acts_for_organization(row.id):
        numbers = (await _numbers_by_organization(tx, [row.id]))[row.id]
        pending = await number_claims.pending(tx, row.id)
    return Tagged(_read(row, numbers, pending), etag_for(row.id, row.version))


async def _set_whatsapp_numbers(
    tx: Tx,
    organization_id: str,
    numbers: list[str],
    principal: Principal,
    channels: Channels | None,
) -> None:
    """The admin's numbers are active at once (409 when one is another organisation's);
    an organisation's own key keeps its active ones and claims the others
    (`number_claims`), with the same answer whoever a number belongs to."""
    unique = list(dict.fromkeys(numbers))
    if not principal.is_admin:
        active = (await _numbers_by_organization(tx, [organization_id]))[organization_id]
        await tx.run(
            delete(OrganizationWhatsappNumber).where(
                OrganizationWhatsappNumber.organization_id == organization_id,
                OrganizationWhatsappNumber.number.not_in(unique or [""]),
            )
        )
        await number_claims.claim(tx, channels=channels, organization_id=organization_id,
                                  numbers=[n for n in unique if n not in active])  # fmt: skip
        return
    await number_claims.drop(tx, organization_id)
    taken = await tx.scalar(_TAKEN, numbers=unique, organization_id=organization_id)
    if taken is not None:
        raise Conflict(f"{taken} already belongs to another organisation.")
    await tx.run(_DROP_NUMBERS, organization_id=organization_id)
    try:
        async with tx.savepoint():
            await tx.run_many(
                _ADD_NUMBER,
                [{"number": number, "organization_id": organization_id, "position": index}
                 for index, number in enumerate(unique)],
            )  # fmt: skip
    except IntegrityError:
        # Another request took the number between the check and this write.
        raise Conflict("A number belongs to another organisation.") from None


@writes
async def create(
    tx: Tx,
    *,
    principal: Principal,
    organization_in: OrganizationCreate,
    channels: Channels | None = None,
) -> Tagged[OrganizationRead]:
    """Create an organisation."""
    organization_id = new_id("org")
    now = utcnow()
    fields = organization_in.model_dump(exclude={"whatsapp_numbers"})
    await tx.run(insert(Organization), fields, id=organization_id, created_at=now, updated_at=now)
    await _set_whatsapp_numbers(
        tx, organization_id, organization_in.whatsapp_numbers, principal, channels
    )
    return await _tagged(tx, organization_id, principal)


@reads
async def get(tx: Tx, *, principal: Principal, organization_id: str) -> Tagged[OrganizationRead]:
    """One organisation (its numbers for the admin and itself only), or 404."""
    return await _tagged(tx, organization_id, principal)


@reads
async def list_page(
    tx: Tx, *, limit: int, cursor: str | None, numbers_for: Principal
) -> tuple[list[OrganizationRead], str | None]:
    """Organisations in creation order (ids sort by creation time).

    `whatsapp_numbers` is filled in only for rows that ``numbers_for`` may see (else None).
    """
    query = select(Organization)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(Organization.id > after_id)
    rows = await tx.rows(query.order_by(Organization.id).limit(limit + 1))
    page, next_cursor = split_page(rows, limit, lambda row: [row.id])
    visible = [row.id for row in page if numbers_for.acts_for_organization(row.id)]
    numbers = await _numbers_by_organization(tx, visible)
    return [_read(row, numbers.get(row.id)) for row in page], next_cursor


@writes
async def update_organization(
    tx: Tx,
    *,
    principal: Principal,
    organization_id: str,
    organization_in: OrganizationUpdate,
    if_match: str | None,
    channels: Channels | None = None,
) -> Tagged[OrganizationRead]:
    """Apply a partial update, if the caller's `If-Match` still holds."""
    row = await tx.row(_ORGANIZATION.with_for_update(), organization_id=organization_id)
    if row is None:
        raise NotFound("No such organisation.")
    check_if_match(if_match, etag_for(row.id, row.version))
    changes: dict[str, Any] = organization_in.changes()
    numbers = changes.pop("whatsapp_numbers", None)
    if numbers is not None:
        await _set_whatsapp_numbers(tx, organization_id, numbers, principal, channels)
    if numbers is not None or changes:
        # Also for a change of numbers only: the row's version (and so its ETag) moves on.
        await tx.run(
            update(Organization)
            .where(Organization.id == organization_id)
            .values(**changes, updated_at=utcnow())
        )
    return await _tagged(tx, organization_id, principal)
