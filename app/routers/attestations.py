"""`/api/v1/volunteers/{id}/attestations`: a VOG or driving licence seen, never stored."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AuthenticatedPrincipal, OrganizationPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep
from app.pagination import Page
from app.schemas.attestation import AttestationCreate, AttestationRead
from app.services import attestations

router = APIRouter(prefix=f"{API_PREFIX}/volunteers", tags=["volunteers"])


@router.post(
    "/{volunteer_id}/attestations",
    status_code=201,
    summary="Record that a VOG or driving licence was seen (an organisation key, admin)",
    description=(
        "Only what, when seen and until when: the document itself is never stored. The "
        "recording organisation can list it afterwards; the volunteer and the admin see all."
    ),
)
async def create_attestation(
    volunteer_id: str,
    body: AttestationCreate,
    principal: OrganizationPrincipal,
    db: DatabaseDep,
    response: Response,
) -> AttestationRead:
    attestation = await attestations.record(
        db, principal=principal, volunteer_id=volunteer_id, attestation_in=body
    )
    response.headers["Location"] = f"{API_PREFIX}/volunteers/{volunteer_id}/attestations"
    return attestation


@router.get(
    "/{volunteer_id}/attestations",
    summary="A volunteer's attestations (self, admin; an organisation those it recorded)",
    description="All on one page (a person has a few): `next_cursor` is always null.",
)
async def list_attestations(
    volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> Page[AttestationRead]:
    items = await attestations.list_visible(db, principal=principal, volunteer_id=volunteer_id)
    return Page(items=items, next_cursor=None)
