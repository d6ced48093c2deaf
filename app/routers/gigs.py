"""`/api/v1/gigs`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth import AuthenticatedPrincipal, CurrentPrincipal, OrganizationPrincipal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute, get_database
from app.errors import field_error
from app.etags import IfMatch, etag_for
from app.models import Gig
from app.pagination import Page
from app.routers.gig_filters import GigListQuery, query_parameters, read_query
from app.schemas.gig import GigCreate, GigRead, GigUpdate
from app.services import gig_listing, gigs
from app.services.list_cache import ListCache

router = APIRouter(prefix=f"{API_PREFIX}/gigs", tags=["gigs"], route_class=TransactionalRoute)


def _respond(response: Response, gig: Gig) -> GigRead:
    response.headers["ETag"] = etag_for(gig.id, gig.version)
    return gigs.to_read(gig)


@router.post(
    "", status_code=201, summary="Post a gig (an organisation key for itself, the admin for any)"
)
def create_gig(
    body: GigCreate, principal: OrganizationPrincipal, session: SessionDep, response: Response
) -> GigRead:
    gig = gigs.create(session=session, principal=principal, gig_in=body)
    response.headers["Location"] = f"{API_PREFIX}/gigs/{gig.id}"
    return _respond(response, gig)


@router.get(
    "",
    response_model=Page[GigRead],
    openapi_extra=query_parameters(GigListQuery),
    summary="List gigs (public: open ones; `status=cancelled|completed` lists those)",
    description=(
        "Filters combine. `category` matches any of the given ones; `skill` needs all of "
        "them; `q` needs every word in the title or description (case- and accent-insensitive). "
        f"`near` without `radius_km` uses {gig_listing.DEFAULT_RADIUS_KM:g} km. Drafts "
        "(`status=draft`) are listed only for their organisation and the admin."
    ),
)
async def list_gigs(request: Request, principal: CurrentPrincipal) -> Response:
    cache: ListCache = request.app.state.list_cache
    key: bytes = request.scope["query_string"]
    version = await cache.version()
    body = cache.get(key, version)
    if body is not None:
        return Response(body, media_type="application/json")
    query = read_query(GigListQuery, request)
    filters = query.filters()
    if query.sort == "distance" and filters.near is None:
        raise field_error(["query", "sort"], "`sort=distance` needs `near`")
    body = await gig_listing.list_page(
        get_database(request),
        principal=principal,
        filters=filters,
        sort=query.sort,
        cursor=query.cursor,
        limit=query.limit,
    )
    if filters.status != "draft":  # the same for every caller
        cache.put(key, version, body)
    return Response(body, media_type="application/json")


@router.get("/{gig_id}", summary="One gig (drafts: their organisation and the admin only)")
def get_gig(
    gig_id: str, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> GigRead:
    return _respond(response, gigs.get_visible(session=session, principal=principal, gig_id=gig_id))


@router.patch("/{gig_id}", summary="Update a gig (its organisation, admin); publish a draft")
def update_gig(
    gig_id: str,
    body: GigUpdate,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> GigRead:
    gig = gigs.update(
        session=session, principal=principal, gig_id=gig_id, gig_in=body, if_match=if_match
    )
    return _respond(response, gig)


@router.post("/{gig_id}/cancel", summary="Cancel a gig and its sign-ups (its organisation, admin)")
def cancel_gig(
    gig_id: str, principal: AuthenticatedPrincipal, session: SessionDep, response: Response
) -> GigRead:
    return _respond(response, gigs.cancel(session=session, principal=principal, gig_id=gig_id))


@router.post("/{gig_id}/complete", summary="Mark an open gig as done (its organisation, admin)")
def complete_gig(
    gig_id: str, principal: AuthenticatedPrincipal, session: SessionDep, response: Response
) -> GigRead:
    return _respond(response, gigs.complete(session=session, principal=principal, gig_id=gig_id))
