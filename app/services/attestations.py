"""Attestations: record that a VOG or driving licence was seen, and who may read them."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from app.auth import Principal
from app.db import Row, Tx, reads, writes
from app.errors import NotFound, field_error
from app.models import Attestation, Volunteer
from app.models.base import new_id, utcnow
from app.schemas.attestation import AttestationCreate, AttestationRead
from app.services.requirements import today

_VOLUNTEER = select(Volunteer.id).where(Volunteer.id == bindparam("volunteer_id")).with_for_update()
_OF_VOLUNTEER = (
    select(Attestation)
    .where(Attestation.volunteer_id == bindparam("volunteer_id"))
    .order_by(Attestation.created_at, Attestation.id)
)
# The volunteer's row changes with it: its version moves the matching pool's fingerprint.
_TOUCH = update(Volunteer).where(Volunteer.id == bindparam("volunteer_id"))


def _read(row: Row) -> AttestationRead:
    return AttestationRead.model_validate(row.as_dict())


@writes
async def record(
    tx: Tx, *, principal: Principal, volunteer_id: str, attestation_in: AttestationCreate
) -> AttestationRead:
    """Record an attestation (an organisation key or the admin)."""
    if await tx.row(_VOLUNTEER, volunteer_id=volunteer_id) is None:
        raise NotFound("No such volunteer.")
    day = today()
    if attestation_in.valid_until < day:
        raise field_error(["body", "valid_until"], "has passed: record a valid one")
    seen_on = attestation_in.seen_on or day
    if seen_on > day:
        raise field_error(["body", "seen_on"], "cannot be in the future")
    attestation_id = new_id("att")
    now = utcnow()
    await tx.run(
        insert(Attestation),
        id=attestation_id,
        volunteer_id=volunteer_id,
        kind=attestation_in.kind,
        valid_until=attestation_in.valid_until,
        seen_on=seen_on,
        organization_id=None if principal.is_admin else principal.organization_id,
        created_at=now,
    )
    await tx.run(_TOUCH.values(updated_at=now), volunteer_id=volunteer_id)
    return _read(await tx.one(select(Attestation).where(Attestation.id == attestation_id)))


def _visible(principal: Principal, rows: list[Row]) -> list[Row]:
    """The volunteer and the admin see all; an organisation those it recorded."""
    if principal.is_admin or principal.role == "volunteer":
        return rows
    if principal.role != "organization":
        return []
    return [row for row in rows if row.organization_id == principal.organization_id]


@reads
async def list_visible(tx: Tx, *, principal: Principal, volunteer_id: str) -> list[AttestationRead]:
    """A volunteer's attestations as the caller may see them; 404 when it may see none."""
    if principal.role == "volunteer" and not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    rows = list(await tx.rows(_OF_VOLUNTEER, volunteer_id=volunteer_id))
    exists = await tx.row(select(Volunteer.id).where(Volunteer.id == volunteer_id))
    shown = _visible(principal, rows)
    if exists is None or (not shown and not principal.acts_for_volunteer(volunteer_id)):
        raise NotFound("No such volunteer.")
    return [_read(row) for row in shown]


async def of_volunteer(tx: Tx, volunteer_id: str) -> list[AttestationRead]:
    """Every attestation of a volunteer (the export of personal data)."""
    return [_read(row) for row in await tx.rows(_OF_VOLUNTEER, volunteer_id=volunteer_id)]
