"""Sign-ups: per gig, `/api/v1/signups/...`, and a volunteer's sign-ups and hours."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.auth import AuthenticatedPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep
from app.errors import NotFound
from app.pagination import Cursor, Limit, Page
from app.schemas.signup import (
    AttendanceRecord,
    GigSignupRead,
    SignupCreate,
    SignupRead,
    VolunteerHours,
    VolunteerSignupRead,
)
from app.services import signup_reads, signups

router = APIRouter(prefix=API_PREFIX, tags=["sign-ups"])
Lang = Annotated[Literal["nl", "en"], Query(description="Language of the statement.")]
RequirementsMet = Annotated[
    bool | None,
    Query(
        description="`false`: only the confirmed or waitlisted sign-ups that miss one of the "
        "gig's requirements now (say, a VOG that expires before the gig); `true`: only those "
        "that meet them all."
    ),
]


@router.post(
    "/gigs/{gig_id}/signups",
    status_code=201,
    response_model=SignupRead,
    summary="Sign up: a volunteer (one-off gigs) or a group (group gigs)",
    responses={
        409: {
            "description": "gig-full, already-signed-up, time-conflict, gig-not-open, "
            "signup-closed, requirements-not-met (with `missing`: the unmet keys of the gig's "
            "`requirements`)"
        }
    },
)
async def create_signup(
    gig_id: str, body: SignupCreate, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> Response:
    signup = await signups.sign_up(db, principal=principal, gig_id=gig_id, signup_in=body)
    # Serialised here, once: the hot write path of the API.
    return Response(
        signup.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"{API_PREFIX}/signups/{signup.id}"},
    )


@router.get(
    "/gigs/{gig_id}/signups", summary="A gig's sign-ups with contacts (its organisation, admin)"
)
async def list_gig_signups(
    gig_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    cursor: Cursor = None,
    limit: Limit = 50,
    requirements_met: RequirementsMet = None,
) -> Page[GigSignupRead]:
    if not (principal.is_admin or principal.role == "organization"):
        raise NotFound("No such gig.")
    items, next_cursor = await signup_reads.list_for_gig(
        db,
        organization_id=None if principal.is_admin else principal.organization_id,
        gig_id=gig_id,
        limit=limit,
        cursor=cursor,
        requirements_met=requirements_met,
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/signups/{signup_id}", summary="One sign-up (its signer, the gig's organisation, admin)"
)
async def get_signup(
    signup_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SignupRead:
    return await signups.get_visible(db, principal=principal, signup_id=signup_id)


@router.post(
    "/signups/{signup_id}/cancel",
    summary="Cancel a sign-up; the waitlist moves up (the signer, the gig's organisation, admin)",
)
async def cancel_signup(
    signup_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SignupRead:
    return await signups.cancel(db, principal=principal, signup_id=signup_id)


@router.post(
    "/signups/{signup_id}/attendance",
    summary="Record attendance and hours after the gig started (the gig's organisation, admin)",
)
async def record_attendance(
    signup_id: str, body: AttendanceRecord, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SignupRead:
    return await signups.record_attendance(
        db, principal=principal, signup_id=signup_id, record=body
    )


@router.get(
    "/volunteers/{volunteer_id}/signups",
    tags=["volunteers"],
    summary="A volunteer's sign-ups, each with its gig in short (self, admin)",
)
async def list_volunteer_signups(
    volunteer_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[VolunteerSignupRead]:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    items, next_cursor = await signup_reads.list_for_volunteer(
        db, volunteer_id=volunteer_id, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/volunteers/{volunteer_id}/hours",
    tags=["volunteers"],
    summary="Recorded hours per organisation and a statement for a CV (self, admin)",
)
async def volunteer_hours(
    volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep, lang: Lang = "nl"
) -> VolunteerHours:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    return VolunteerHours.model_validate(
        await signup_reads.hours(db, volunteer_id=volunteer_id, lang=lang)
    )
