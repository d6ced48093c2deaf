"""`/api/v1/organizations`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AdminPrincipal, AuthenticatedPrincipal, CurrentPrincipal
from app.config import API_PREFIX
from app.dependencies import ChannelsDep, DatabaseDep
from app.errors import Forbidden
from app.etags import IfMatch, Tagged
from app.pagination import Cursor, Limit, Page
from app.schemas.organization import OrganizationCreate, OrganizationRead, OrganizationUpdate
from app.services import organizations

router = APIRouter(prefix=f"{API_PREFIX}/organizations", tags=["organizations"])


def _respond(response: Response, organization: Tagged[OrganizationRead]) -> OrganizationRead:
    response.headers["ETag"] = organization.etag
    return organization.item


@router.post("", status_code=201, summary="Create an organisation (admin)")
async def create_organization(
    body: OrganizationCreate,
    principal: AdminPrincipal,
    db: DatabaseDep,
    channels: ChannelsDep,
    response: Response,
) -> OrganizationRead:
    organization = await organizations.create(
        db, principal=principal, organization_in=body, channels=channels
    )
    response.headers["Location"] = f"{API_PREFIX}/organizations/{organization.item.id}"
    return _respond(response, organization)


@router.get("", summary="List organisations (public)")
async def list_organizations(
    principal: CurrentPrincipal, db: DatabaseDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[OrganizationRead]:
    items, next_cursor = await organizations.list_page(
        db, limit=limit, cursor=cursor, numbers_for=principal
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{organization_id}", summary="One organisation (public)")
async def get_organization(
    organization_id: str, principal: CurrentPrincipal, db: DatabaseDep, response: Response
) -> OrganizationRead:
    organization = await organizations.get(db, principal=principal, organization_id=organization_id)
    return _respond(response, organization)


@router.patch("/{organization_id}", summary="Update an organisation (admin, its own key)")
async def update_organization(
    organization_id: str,
    body: OrganizationUpdate,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    channels: ChannelsDep,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationRead:
    if not principal.acts_for_organization(organization_id):
        # Organisations are public, so hiding this one behind a 404 would hide nothing.
        raise Forbidden("Only the admin and the organisation itself may change it.")
    organization = await organizations.update_organization(
        db,
        principal=principal,
        organization_id=organization_id,
        organization_in=body,
        if_match=if_match,
        channels=channels,
    )
    return _respond(response, organization)
