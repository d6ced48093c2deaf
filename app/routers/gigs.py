"""`/api/v1/gigs`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import AwareDatetime

from app.auth import AuthenticatedPrincipal, CurrentPrincipal, OrganizationPrincipal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute
from app.errors import field_error
from app.etags import etag_for
from app.models import Gig
from app.pagination import Cursor, Limit, Page
from app.schemas.common import Category
from app.schemas.gig import GigCreate, GigKind, GigRead, GigUpdate
from app.services import gig_listing, gigs

router = APIRouter(prefix=f"{API_PREFIX}/gigs", tags=["gigs"], route_class=TransactionalRoute)
IfMatch = Annotated[str | None, Header(description="ETag from a GET; 412 when stale.")]


def _respond(response: Response, gig: Gig) -> GigRead:
    response.headers["ETag"] = etag_for(gig.id, gig.version)
    return gigs.to_read(gig)


def _parse_near(near: str | None) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat_text, lon_text = near.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise field_error(["query", "near"], "use `<lat>,<lon>`, e.g. `53.2194,6.5665`") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise field_error(["query", "near"], "latitude or longitude out of range")
    return lat, lon


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
    summary="List gigs (public: open ones; `status=cancelled|completed` lists those)",
    description=(
        "Filters combine. `category` matches any of the given ones; `skill` needs all of "
        "them; `q` needs every word in the title or description (case- and accent-insensitive). "
        f"`near` without `radius_km` uses {gig_listing.DEFAULT_RADIUS_KM:g} km. Drafts "
        "(`status=draft`) are listed only for their organisation and the admin."
    ),
)
def list_gigs(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(draft|open|cancelled|completed)$")] = "open",
    kind: GigKind | None = None,
    category: Annotated[list[Category] | None, Query(max_length=12)] = None,
    area: Annotated[str | None, Query(max_length=100)] = None,
    organization_id: Annotated[str | None, Query(max_length=40)] = None,
    starts_after: AwareDatetime | None = None,
    starts_before: AwareDatetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    skill: Annotated[list[str] | None, Query(max_length=10)] = None,
    accessible: bool | None = None,
    has_spots: bool | None = None,
    near: Annotated[str | None, Query(description="`<lat>,<lon>`", max_length=60)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=500)] = None,
    sort: Annotated[gig_listing.GigSort, Query()] = "starts_at",
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Response:
    point = _parse_near(near)
    if sort == "distance" and point is None:
        raise field_error(["query", "sort"], "`sort=distance` needs `near`")
    if radius_km is not None and point is None:
        raise field_error(["query", "radius_km"], "`radius_km` needs `near`")
    filters = gig_listing.GigFilters(
        status=status,
        kind=kind,
        categories=list(category or []),
        area=area,
        organization_id=organization_id,
        starts_after=starts_after,
        starts_before=starts_before,
        q=q,
        skills=[value[:60] for value in skill or []],
        accessible=accessible,
        has_spots=has_spots,
        near=point,
        radius_km=radius_km,
    )
    body = gig_listing.list_page(
        session=session, principal=principal, filters=filters, sort=sort, cursor=cursor, limit=limit
    )
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
