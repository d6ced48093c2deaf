"""Check-in on the spot: the gig's code (its organisation) and the volunteer's check-in
and check-out."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import AuthenticatedPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, SettingsDep
from app.schemas.check_in import CheckInCodeRead, CheckInRequest
from app.schemas.signup import SignupRead
from app.services import check_in

router = APIRouter(prefix=API_PREFIX, tags=["sign-ups"])


@router.get(
    "/gigs/{gig_id}/check-in",
    tags=["gigs"],
    summary="The gig's current check-in code, link and QR code (its organisation, admin)",
)
async def get_check_in_code(
    gig_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep, settings: SettingsDep
) -> CheckInCodeRead:
    code = await check_in.code_for(
        db, principal=principal, gig_id=gig_id, base_url=settings.public_base_url
    )
    return CheckInCodeRead.model_validate(code, from_attributes=True)


@router.post(
    "/signups/{signup_id}/check-in",
    summary="Check in on the spot with the gig's code (the signer, admin)",
    description=(
        "From 30 minutes before the start until the end. Checking in again changes nothing."
    ),
)
async def check_in_signup(
    signup_id: str, body: CheckInRequest, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SignupRead:
    return await check_in.check_in(db, principal=principal, signup_id=signup_id, code=body.code)


@router.post(
    "/signups/{signup_id}/check-out",
    summary="Check out: attendance with the hours since check-in (the signer, admin)",
    description=(
        "Hours to the nearest quarter (at least one), at most the gig's duration plus one "
        "hour; recorded as attendance (`signup.attended`). The organisation may still "
        "correct it with `POST /signups/{id}/attendance`."
    ),
)
async def check_out_signup(
    signup_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SignupRead:
    return await check_in.check_out(db, principal=principal, signup_id=signup_id)
