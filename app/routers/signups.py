"""Sign-ups: per gig, `/api/v1/signups/...`, and a volunteer's sign-ups and hours."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.auth import AuthenticatedPrincipal, BearerToken, resolve_token
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute, get_database, run_transaction
from app.errors import NotFound, Unauthorized
from app.pagination import Cursor, Limit, Page
from app.schemas.signup import (
    AttendanceRecord,
    GigSignupRead,
    SignupCreate,
    SignupRead,
    VolunteerHours,
)
from app.services import gigs, signup_reads, signups
from app.sql_batch import run_steps_async

router = APIRouter(prefix=API_PREFIX, tags=["sign-ups"], route_class=TransactionalRoute)
Lang = Annotated[Literal["nl", "en"], Query(description="Language of the statement.")]


@router.post(
    "/gigs/{gig_id}/signups",
    status_code=201,
    response_model=SignupRead,
    summary="Sign up: a volunteer (one-off gigs) or a group (group gigs)",
    responses={
        409: {
            "description": "gig-full, already-signed-up, time-conflict, gig-not-open, signup-closed"
        }
    },
)
async def create_signup(
    gig_id: str, body: SignupCreate, token: BearerToken, request: Request
) -> Response:
    database = get_database(request)
    settings = request.app.state.settings
    if database.is_sqlite:
        # The token first, outside the transaction: a bad one must not queue for the
        # database's single write lock.
        principal = await resolve_token(database, settings, token)
        if principal is None:
            raise Unauthorized("The token is unknown or revoked.")
        signup = await run_transaction(
            database,
            lambda session: signups.create(
                session=session, principal=principal, gig_id=gig_id, signup_in=body
            ),
        )
    else:
        # On the event loop (psycopg asyncio, no worker thread), the token resolved as the
        # transaction's first read: one round trip less on the API's hot write path.
        signup = await run_steps_async(
            database,
            lambda: signups.sign_up_steps(
                "postgresql", gig_id=gig_id, signup_in=body, settings=settings, token=token
            ),
        )
    return Response(
        signup.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"{API_PREFIX}/signups/{signup.id}"},
    )


@router.get(
    "/gigs/{gig_id}/signups", summary="A gig's sign-ups with contacts (its organisation, admin)"
)
def list_gig_signups(
    gig_id: str,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[GigSignupRead]:
    gig = gigs.get_visible(session=session, principal=principal, gig_id=gig_id)
    if not principal.acts_for_organization(gig.organization_id):
        raise NotFound("No such gig.")
    items, next_cursor = signup_reads.list_for_gig(
        session=session, gig=gig, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/signups/{signup_id}", summary="One sign-up (its signer, the gig's organisation, admin)"
)
def get_signup(
    signup_id: str, principal: AuthenticatedPrincipal, session: SessionDep
) -> SignupRead:
    signup = signups.get_visible(session=session, principal=principal, signup_id=signup_id)
    return signup_reads.to_read(session, [signup])[0]


@router.post(
    "/signups/{signup_id}/cancel",
    summary="Cancel a sign-up; the waitlist moves up (the signer, the gig's organisation, admin)",
)
def cancel_signup(
    signup_id: str, principal: AuthenticatedPrincipal, session: SessionDep
) -> SignupRead:
    signup = signups.cancel(session=session, principal=principal, signup_id=signup_id)
    return signup_reads.to_read(session, [signup])[0]


@router.post(
    "/signups/{signup_id}/attendance",
    summary="Record attendance and hours after the gig started (the gig's organisation, admin)",
)
def record_attendance(
    signup_id: str, body: AttendanceRecord, principal: AuthenticatedPrincipal, session: SessionDep
) -> SignupRead:
    signup = signups.record_attendance(
        session=session, principal=principal, signup_id=signup_id, record=body
    )
    return signup_reads.to_read(session, [signup])[0]


@router.get(
    "/volunteers/{volunteer_id}/signups",
    tags=["volunteers"],
    summary="A volunteer's sign-ups (self, admin)",
)
def list_volunteer_signups(
    volunteer_id: str,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[SignupRead]:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    items, next_cursor = signup_reads.list_for_volunteer(
        session=session, volunteer_id=volunteer_id, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/volunteers/{volunteer_id}/hours",
    tags=["volunteers"],
    summary="Recorded hours per organisation and a statement for a CV (self, admin)",
)
def volunteer_hours(
    volunteer_id: str, principal: AuthenticatedPrincipal, session: SessionDep, lang: Lang = "nl"
) -> VolunteerHours:
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    return VolunteerHours.model_validate(
        signup_reads.hours(session=session, volunteer_id=volunteer_id, lang=lang)
    )
