"""`/api/v1/gigs`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth import (
    AuthenticatedPrincipal,
    CurrentPrincipal,
    OrganizationPrincipal,
    Principal,
    get_principal,
)
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, caches_of, database_of
from app.etags import IfMatch, Tagged
from app.hot_routes import HotRoute
from app.pagination import Page
from app.routers.gig_filters import GigListQuery, list_request, query_parameters
from app.schemas.gig import GigCreate, GigRead, GigUpdate
from app.services import gig_listing, gigs
from app.services.gig_list_sql import DEFAULT_RADIUS_KM

router = APIRouter(prefix=f"{API_PREFIX}/gigs", tags=["gigs"])


def _respond(response: Response, gig: Tagged[GigRead]) -> GigRead:
    response.headers["ETag"] = gig.etag
    return gig.item


@router.post(
    "", status_code=201, summary="Post a gig (an organisation key for itself, the admin for any)"
)
async def create_gig(
    body: GigCreate, principal: OrganizationPrincipal, db: DatabaseDep, response: Response
) -> GigRead:
    gig = await gigs.create(db, principal=principal, gig_in=body)
    response.headers["Location"] = f"{API_PREFIX}/gigs/{gig.item.id}"
    return _respond(response, gig)


@router.get(
    "",
    response_model=Page[GigRead],
    openapi_extra=query_parameters(GigListQuery),
    summary="List gigs (public: open ones; `status=cancelled|completed` lists those)",
    description=(
        "Filters combine. Without `starts_after` the list starts now: only gigs that have not "
        "started. `category` matches any of the given ones; `skill` needs all of them; `q` "
        "needs every word in the title or description, and `area` the gig's area (both case- "
        "and accent-insensitive). "
        f"`near` without `radius_km` uses {DEFAULT_RADIUS_KM:g} km. Drafts "
        "(`status=draft`) are listed only for their organisation and the admin."
    ),
)
async def list_gigs(request: Request, principal: CurrentPrincipal) -> Response:
    return await _list_answer(request, principal)


async def _list_gigs(request: Request) -> Response:
    """The hot route of `GET /gigs` (`app.hot_routes`): the query is read by the
    service, and only when no kept answer will do."""
    return await _list_answer(request, await get_principal(request))


async def _list_answer(request: Request, principal: Principal) -> Response:
    body = await gig_listing.list_json(
        database_of(request),
        caches_of(request),
        principal=principal,
        query_string=request.scope["query_string"],
        parse=lambda: list_request(request),
    )
    return Response(body, media_type="application/json")


@router.get(
    "/{gig_id}",
    response_model=GigRead,
    summary="One gig (drafts: their organisation and the admin only)",
)
async def get_gig(request: Request, gig_id: str, principal: CurrentPrincipal) -> Response:
    return await _gig_answer(request, principal)


async def _read_gig(request: Request) -> Response:
    """The hot route of `GET /gigs/{id}` (`app.hot_routes`)."""
    return await _gig_answer(request, await get_principal(request))


async def _gig_answer(request: Request, principal: Principal) -> Response:
    gig = await gigs.read_json(
        database_of(request),
        caches_of(request),
        principal=principal,
        gig_id=request.path_params["gig_id"],
    )
    return Response(gig.body, media_type="application/json", headers={"ETag": gig.etag})


@router.patch("/{gig_id}", summary="Update a gig (its organisation, admin); publish a draft")
async def update_gig(
    gig_id: str,
    body: GigUpdate,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    response: Response,
    if_match: IfMatch = None,
) -> GigRead:
    gig = await gigs.update_gig(
        db, principal=principal, gig_id=gig_id, gig_in=body, if_match=if_match
    )
    return _respond(response, gig)


@router.post("/{gig_id}/cancel", summary="Cancel a gig and its sign-ups (its organisation, admin)")
async def cancel_gig(
    gig_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep, response: Response
) -> GigRead:
    return _respond(response, await gigs.cancel(db, principal=principal, gig_id=gig_id))


@router.post("/{gig_id}/complete", summary="Mark an open gig as done (its organisation, admin)")
async def complete_gig(
    gig_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep, response: Response
) -> GigRead:
    return _respond(response, await gigs.complete(db, principal=principal, gig_id=gig_id))


#: The polled reads, answered ahead of the routes above (`app.hot_routes`).
hot_routes = [
    HotRoute(f"{API_PREFIX}/gigs", _list_gigs),
    HotRoute(f"{API_PREFIX}/gigs/{{gig_id}}", _read_gig),
]
