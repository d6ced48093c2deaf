"""`/api/v1/organizations`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AdminPrincipal, AuthenticatedPrincipal, CurrentPrincipal, Principal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute
from app.errors import Forbidden
from app.etags import IfMatch, etag_for
from app.models import Organization
from app.pagination import Cursor, Limit, Page
from app.schemas.organization import OrganizationCreate, OrganizationRead, OrganizationUpdate
from app.services import organizations

router = APIRouter(
    prefix=f"{API_PREFIX}/organizations", tags=["organizations"], route_class=TransactionalRoute
)


def _read(organization: Organization, principal: Principal) -> OrganizationRead:
    visible = principal.acts_for_organization(organization.id)
    return OrganizationRead.model_validate(
        {
            **{field: getattr(organization, field) for field in OrganizationRead.model_fields},
            "whatsapp_numbers": [entry.number for entry in organization.whatsapp_numbers]
            if visible
            else None,
        }
    )


def _with_etag(response: Response, organization: Organization) -> None:
    response.headers["ETag"] = etag_for(organization.id, organization.version)


@router.post("", status_code=201, summary="Create an organisation (admin)")
def create_organization(
    body: OrganizationCreate, principal: AdminPrincipal, session: SessionDep, response: Response
) -> OrganizationRead:
    organization = organizations.create(session=session, organization_in=body)
    response.headers["Location"] = f"/api/v1/organizations/{organization.id}"
    _with_etag(response, organization)
    return _read(organization, principal)


@router.get("", summary="List organisations (public)")
def list_organizations(
    principal: CurrentPrincipal, session: SessionDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[OrganizationRead]:
    rows, next_cursor = organizations.list_page(
        session=session, limit=limit, cursor=cursor, numbers_for=principal
    )
    return Page(
        items=[OrganizationRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{organization_id}", summary="One organisation (public)")
def get_organization(
    organization_id: str, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> OrganizationRead:
    organization = organizations.get(session=session, organization_id=organization_id)
    _with_etag(response, organization)
    return _read(organization, principal)


@router.patch("/{organization_id}", summary="Update an organisation (admin, its own key)")
def update_organization(
    organization_id: str,
    body: OrganizationUpdate,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationRead:
    if not principal.acts_for_organization(organization_id):
        # Organisations are public, so hiding this one behind a 404 would hide nothing.
        raise Forbidden("Only the admin and the organisation itself may change it.")
    organization = organizations.update(
        session=session, organization_id=organization_id, organization_in=body, if_match=if_match
    )
    _with_etag(response, organization)
    return _read(organization, principal)
