"""`/api/v1/volunteers`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.auth import AuthenticatedPrincipal, Principal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute, get_database
from app.errors import Forbidden, NotFound
from app.etags import IfMatch, etag_for
from app.idempotency import REDACT_HEADER, SUBJECT_HEADER
from app.models import Volunteer
from app.schemas.volunteer import (
    MembershipRead,
    VolunteerCreate,
    VolunteerCreated,
    VolunteerExport,
    VolunteerRead,
    VolunteerUpdate,
)
from app.services import rate_limits, signup_reads, volunteers

router = APIRouter(
    prefix=f"{API_PREFIX}/volunteers", tags=["volunteers"], route_class=TransactionalRoute
)


async def registration_rate_limit(request: Request) -> None:
    """Count a registration attempt per client address (429 with Retry-After past the limit)."""
    from starlette.concurrency import run_in_threadpool

    limit, period = request.app.state.settings.registration_limit
    client = request.client.host if request.client else "unknown"
    await run_in_threadpool(
        rate_limits.hit,
        get_database(request),
        key=f"register:{client}",
        limit=limit,
        period_seconds=period,
    )


def _own(principal: Principal, volunteer_id: str) -> None:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")


def _with_etag(response: Response, volunteer: Volunteer) -> None:
    response.headers["ETag"] = etag_for(volunteer.id, volunteer.version)


@router.post(
    "",
    status_code=201,
    summary="Register as a volunteer (anonymous, rate limited); the token is shown once",
    dependencies=[Depends(registration_rate_limit)],
    responses={429: {"description": "Too many registrations from this address"}},
)
def register_volunteer(
    body: VolunteerCreate, session: SessionDep, response: Response
) -> VolunteerCreated:
    volunteer, token = volunteers.register(session=session, volunteer_in=body)
    response.headers["Location"] = f"{API_PREFIX}/volunteers/{volunteer.id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers[SUBJECT_HEADER] = volunteer.id
    response.headers[REDACT_HEADER] = "access_token"
    _with_etag(response, volunteer)
    return VolunteerCreated.model_validate(
        {**VolunteerRead.model_validate(volunteer).model_dump(), "access_token": token}
    )


@router.get("/me", summary="The calling volunteer's own profile")
def get_me(
    principal: AuthenticatedPrincipal, session: SessionDep, response: Response
) -> VolunteerRead:
    if principal.volunteer_id is None:
        raise Forbidden("Only a volunteer's token has a /me.")
    volunteer = volunteers.get(session=session, volunteer_id=principal.volunteer_id)
    _with_etag(response, volunteer)
    return VolunteerRead.model_validate(volunteer)


@router.get("/{volunteer_id}", summary="A volunteer's profile (self, admin)")
def get_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, session: SessionDep, response: Response
) -> VolunteerRead:
    _own(principal, volunteer_id)
    volunteer = volunteers.get(session=session, volunteer_id=volunteer_id)
    _with_etag(response, volunteer)
    return VolunteerRead.model_validate(volunteer)


@router.patch("/{volunteer_id}", summary="Update a profile (self, admin)")
def update_volunteer(
    volunteer_id: str,
    body: VolunteerUpdate,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> VolunteerRead:
    _own(principal, volunteer_id)
    volunteer = volunteers.update(
        session=session, volunteer_id=volunteer_id, volunteer_in=body, if_match=if_match
    )
    _with_etag(response, volunteer)
    return VolunteerRead.model_validate(volunteer)


@router.delete(
    "/{volunteer_id}", status_code=204, summary="Erase the volunteer's personal data for good"
)
def erase_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, session: SessionDep
) -> Response:
    _own(principal, volunteer_id)
    volunteers.erase(session=session, volunteer_id=volunteer_id)
    return Response(status_code=204)


@router.get("/{volunteer_id}/export", summary="Every personal datum held (self, admin)")
def export_volunteer(
    volunteer_id: str, principal: AuthenticatedPrincipal, session: SessionDep
) -> VolunteerExport:
    _own(principal, volunteer_id)
    volunteer = volunteers.get(session=session, volunteer_id=volunteer_id)
    return VolunteerExport(
        profile=VolunteerRead.model_validate(volunteer),
        consent_at=volunteer.consent_at,
        memberships=[
            MembershipRead.model_validate(row)
            for row in volunteers.memberships(session=session, volunteer_id=volunteer_id)
        ],
        signups=signup_reads.history(session=session, volunteer_id=volunteer_id),
    )
