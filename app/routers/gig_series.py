"""`/api/v1/gig-series`: recurring gigs whose occurrences are ordinary gigs."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AuthenticatedPrincipal, CurrentPrincipal, OrganizationPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep
from app.schemas.gig_series import (
    GigSeriesCreate,
    GigSeriesRead,
    GigSeriesUpdate,
    GigSeriesUpdated,
    SeriesSignupResult,
)
from app.schemas.signup import SignupCreate
from app.services import gig_series

router = APIRouter(prefix=f"{API_PREFIX}/gig-series", tags=["gigs"])


@router.post(
    "",
    status_code=201,
    summary="Post a recurring gig (an organisation key for itself, the admin for any)",
    description=(
        "The gig's `starts_at`/`ends_at` are the first occurrence; the others follow the "
        "RRULE in Europe/Amsterdam time (10:00 stays 10:00 across daylight saving). "
        "Occurrences are ordinary gigs with a `series_id`, made at once for the first 13 "
        "weeks and then kept 13 weeks ahead."
    ),
)
async def create_gig_series(
    body: GigSeriesCreate, principal: OrganizationPrincipal, db: DatabaseDep, response: Response
) -> GigSeriesRead:
    series = await gig_series.create(db, principal=principal, series_in=body)
    response.headers["Location"] = f"{API_PREFIX}/gig-series/{series.id}"
    return series


@router.get("/{series_id}", summary="A gig series and its occurrences to come")
async def get_gig_series(
    series_id: str, principal: CurrentPrincipal, db: DatabaseDep
) -> GigSeriesRead:
    return await gig_series.get(db, principal=principal, series_id=series_id)


@router.patch(
    "/{series_id}",
    summary="Change every future occurrence (its organisation, admin)",
    description=(
        "Title, description, time of day, place and capacity; sign-ups stay. A field "
        "changed on one occurrence alone (`PATCH /gigs/{id}`) stays as it is there. A "
        "capacity below an occurrence's confirmed people is not applied to it: "
        "`capacity_kept` lists those."
    ),
)
async def update_gig_series(
    series_id: str, body: GigSeriesUpdate, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> GigSeriesUpdated:
    return await gig_series.change(db, principal=principal, series_id=series_id, gig_in=body.gig)


@router.post(
    "/{series_id}/cancel",
    summary="Cancel every future occurrence and their sign-ups (its organisation, admin)",
)
async def cancel_gig_series(
    series_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> GigSeriesRead:
    return await gig_series.cancel(db, principal=principal, series_id=series_id)


@router.post(
    "/{series_id}/signups",
    summary="Sign up for every future occurrence (a volunteer, or a group)",
    description=(
        "Each occurrence is checked like a single sign-up, in a transaction of its own: the "
        "answer lists each one's outcome, a status or the problem type (`gig-full`, "
        "`time-conflict`, `requirements-not-met`, ...)."
    ),
)
async def create_series_signups(
    series_id: str, body: SignupCreate, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> SeriesSignupResult:
    items = await gig_series.sign_up(db, principal=principal, series_id=series_id, signup_in=body)
    return SeriesSignupResult(items=items)
