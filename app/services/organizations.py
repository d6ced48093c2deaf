"""Organisations: create, read, list and update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.auth import Principal
from app.errors import Conflict, NotFound
from app.etags import check_if_match, etag_for
from app.models import Organization, OrganizationWhatsappNumber
from app.models.base import utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.organization import OrganizationCreate, OrganizationUpdate


def _set_whatsapp_numbers(session: Session, organization: Organization, numbers: list[str]) -> None:
    unique = list(dict.fromkeys(numbers))
    taken = session.scalars(
        select(OrganizationWhatsappNumber).where(
            OrganizationWhatsappNumber.number.in_(unique),
            OrganizationWhatsappNumber.organization_id != organization.id,
        )
    ).first()
    if taken is not None:
        raise Conflict(f"{taken.number} already belongs to another organisation.")
    organization.whatsapp_numbers = [
        OrganizationWhatsappNumber(number=number, position=index)
        for index, number in enumerate(unique)
    ]
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another request took the number between the check and this write.
        raise Conflict("A number belongs to another organisation.") from None


def create(*, session: Session, organization_in: OrganizationCreate) -> Organization:
    """Create an organisation."""
    fields = organization_in.model_dump(exclude={"whatsapp_numbers"})
    organization = Organization(**fields)
    organization.whatsapp_numbers = []
    session.add(organization)
    _set_whatsapp_numbers(session, organization, organization_in.whatsapp_numbers)
    session.flush()
    return organization


def get(*, session: Session, organization_id: str, for_update: bool = False) -> Organization:
    """One organisation, or 404."""
    query = (
        select(Organization)
        .where(Organization.id == organization_id)
        .options(selectinload(Organization.whatsapp_numbers))
    )
    if for_update:
        query = query.with_for_update()
    organization = session.scalars(query).one_or_none()
    if organization is None:
        raise NotFound("No such organisation.")
    return organization


def list_page(
    *, session: Session, limit: int, cursor: str | None, numbers_for: Principal
) -> tuple[list[dict[str, Any]], str | None]:
    """Organisations in creation order (ids sort by creation time), as plain rows.

    A list is read with Core, not the ORM: several times faster for a page of rows.
    `whatsapp_numbers` is filled in only for rows that ``numbers_for`` may see (else None).
    """
    query = select(*Organization.__table__.columns)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(Organization.id > after_id)
    rows = [
        dict(row)
        for row in session.execute(query.order_by(Organization.id).limit(limit + 1)).mappings()
    ]
    page, next_cursor = split_page(rows, limit, lambda row: [row["id"]])
    visible = [row["id"] for row in page if numbers_for.acts_for_organization(row["id"])]
    numbers: dict[str, list[str]] = {organization_id: [] for organization_id in visible}
    if visible:
        entries = session.execute(
            select(OrganizationWhatsappNumber.organization_id, OrganizationWhatsappNumber.number)
            .where(OrganizationWhatsappNumber.organization_id.in_(visible))
            .order_by(OrganizationWhatsappNumber.position)
        )
        for organization_id, number in entries:
            numbers[organization_id].append(number)
    for row in page:
        row["whatsapp_numbers"] = numbers.get(row["id"])
    return page, next_cursor


def update(
    *,
    session: Session,
    organization_id: str,
    organization_in: OrganizationUpdate,
    if_match: str | None,
) -> Organization:
    """Apply a partial update, if the caller's `If-Match` still holds."""
    organization = get(session=session, organization_id=organization_id, for_update=True)
    check_if_match(if_match, etag_for(organization.id, organization.version))
    changes = organization_in.changes()
    numbers = changes.pop("whatsapp_numbers", None)
    for field, value in changes.items():
        setattr(organization, field, value)
    if numbers is not None:
        _set_whatsapp_numbers(session, organization, numbers)
        session.flush()
    if numbers is not None or changes:
        # Also for a change of numbers only: the row's version (and so its ETag) moves on.
        organization.updated_at = utcnow()
        session.flush()
    return organization
