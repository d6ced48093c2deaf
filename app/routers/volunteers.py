"""`/api/v1/volunteers`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.auth import AuthenticatedPrincipal, Principal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, SettingsDep
from app.errors import Forbidden, NotFound
from app.etags import IfMatch, Tagged
from app.idempotency import REDACT_HEADER, SUBJECT_HEADER
from app.schemas.volunteer import (
    VolunteerCreate,
    VolunteerCreated,
    VolunteerExport,
    VolunteerRead,
    VolunteerUpdate,
)
from app.services import rate_limits, volunteers

router = APIRouter(prefix=f"{API_PREFIX}/volunteers", tags=["volunteers"])


async def registration_rate_limit(request: Request, db: DatabaseDep, settings: SettingsDep) -> None:
    """Count a registration attempt per client address (429 with Retry-After past the limit)."""
    limit, period = settings.registration_limit
    client = request.client.host if request.client else "unknown"
    await rate_limits.check(db, key=f"register:{client}", limit=limit, period_seconds=period)


def _own(principal: Principal, volunteer_id: str) -> None:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")


def _respond(response: Response, volunteer: Tagged[VolunteerRead]) -> VolunteerRead:
    response.headers["ETag"] = volunteer.etag
    return volunteer.item


@router.post(
    "",
    status_code=201,
    summary="Register as a volunteer (anonymous, rate limited); the token is shown once",
    dependencies=[Depends(registration_rate_limit)],
    responses={429: {"description": "Too many registrations from this address"}},
)
async def register_volunteer(
    body: VolunteerCreate, db: DatabaseDep, response: Response
) -> VolunteerCreated:
    volunteer, token = await volunteers.register(db, volunteer_in=body)
    response.headers["Location"] = f"{API_PREFIX}/volunteers/{volunteer.item.id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers[SUBJECT_HEADER] = volunteer.item.id
    response.headers[REDACT_HEADER] = "access_token"
    read = _respond(response, volunteer)
    return VolunteerCreated.model_validate({**read.model_dump(), "access_token": token})


@router.get("/me", summary="The calling volunteer's own profile")
async def get_me(
    principal: AuthenticatedPrincipal, db: DatabaseDep, response: Response
) -> VolunteerRead:
    if principal.volunteer_id is None:
        raise Forbidden("Only a volunteer's token has a /me.")
    return _respond(response, await volunteers.get(db, volunteer_id=principal.volunteer_id))


@router.get("/{volunteer_id}", summary="A volunteer's profile (self, admin)")
async def get_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep, response: Response
) -> VolunteerRead:
    _own(principal, volunteer_id)
    return _respond(response, await volunteers.get(db, volunteer_id=volunteer_id))


@router.patch("/{volunteer_id}", summary="Update a profile (self, admin)")
async def update_volunteer(
    volunteer_id: str,
    body: VolunteerUpdate,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    response: Response,
    if_match: IfMatch = None,
) -> VolunteerRead:
    _own(principal, volunteer_id)
    volunteer = await volunteers.update_volunteer(
        db, volunteer_id=volunteer_id, volunteer_in=body, if_match=if_match
    )
    return _respond(response, volunteer)


@router.delete(
    "/{volunteer_id}", status_code=204, summary="Erase the volunteer's personal data for good"
)
async def erase_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> Response:
    _own(principal, volunteer_id)
    await volunteers.erase(db, volunteer_id=volunteer_id)
    return Response(status_code=204)


@router.get("/{volunteer_id}/export", summary="Every personal datum held (self, admin)")
async def export_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> VolunteerExport:
    _own(principal, volunteer_id)
    return await volunteers.export(db, volunteer_id=volunteer_id)
