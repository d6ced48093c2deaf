"""`/api/v1/volunteers`."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, Request, Response

from app.auth import AuthenticatedPrincipal, Principal
from app.config import API_PREFIX
from app.dependencies import ChannelsDep, DatabaseDep, SettingsDep
from app.errors import Forbidden, NotFound, Unauthorized
from app.etags import IfMatch, Tagged
from app.idempotency import REDACT_HEADER, SUBJECT_HEADER
from app.models.base import utcnow
from app.schemas.volunteer import (
    LoginCodeRequest,
    LoginCodeSent,
    TokenIssued,
    TokenRequest,
    VolunteerCreate,
    VolunteerCreated,
    VolunteerExport,
    VolunteerRead,
    VolunteerUpdate,
)
from app.services import login_codes, rate_limits, volunteers

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


LOGIN_ADDRESS_LIMIT = 10  # login-code requests, and token exchanges, per client address
LOGIN_ADDRESS_PERIOD = 15 * 60
#: A login-code request takes at least this long, known contact or not.
LOGIN_CODE_SECONDS = 0.4


async def login_rate_limit(request: Request, db: DatabaseDep) -> None:
    """Login codes and token exchanges per client address (429 with Retry-After)."""
    client = request.client.host if request.client else "unknown"
    kind = "login-code" if request.url.path.endswith("login-codes") else "login-token"
    await rate_limits.check(db, key=f"{kind}:{client}", limit=LOGIN_ADDRESS_LIMIT,
                            period_seconds=LOGIN_ADDRESS_PERIOD)  # fmt: skip


@router.post(
    "/login-codes",
    status_code=202,
    summary="A lost token: send a 6-digit code to this e-mail or phone (anonymous)",
    description=(
        "Always 202 with the same body, known contact or not, after about the same time. A "
        "known contact gets a code by its own channel (WhatsApp for a phone number, e-mail "
        "for an address), valid 15 minutes for 5 tries; a new request replaces it. At most "
        "3 codes per contact per 15 minutes, and 10 requests per client address."
    ),
    dependencies=[Depends(login_rate_limit)],
    responses={429: {"description": "Too many requests from this address"}},
)
async def request_login_code(
    body: LoginCodeRequest, db: DatabaseDep, channels: ChannelsDep
) -> LoginCodeSent:
    started = time.monotonic()
    await login_codes.send(db, email=body.email, phone=body.phone, channels=channels,
                           now=utcnow())  # fmt: skip
    await asyncio.sleep(max(0.0, started + LOGIN_CODE_SECONDS - time.monotonic()))
    return LoginCodeSent(
        detail="If this contact is known, a code is on its way. It works for 15 minutes."
    )


@router.post(
    "/tokens",
    status_code=201,
    summary="Exchange a login code for a new token (earlier tokens stop working)",
    dependencies=[Depends(login_rate_limit)],
    responses={
        401: {"description": "The code is wrong, used, expired or tried 5 times"},
        429: {"description": "Too many requests from this address"},
    },
)
async def issue_token(body: TokenRequest, db: DatabaseDep, response: Response) -> TokenIssued:
    issued = await login_codes.exchange(db, email=body.email, phone=body.phone, code=body.code,
                                        now=utcnow())  # fmt: skip
    if issued is None:
        raise Unauthorized("The code is wrong or no longer valid: ask for a new one.")
    volunteer_id, token = issued
    response.headers["Cache-Control"] = "no-store"
    response.headers[SUBJECT_HEADER] = volunteer_id
    response.headers[REDACT_HEADER] = "access_token"
    return TokenIssued(volunteer_id=volunteer_id, access_token=token)


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
