"""`/api/v1/associations` and their members."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AdminPrincipal, AuthenticatedPrincipal, CurrentPrincipal, Principal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, SettingsDep
from app.errors import Forbidden, NotFound
from app.etags import IfMatch, Tagged
from app.idempotency import REDACT_HEADER, SUBJECT_HEADER
from app.pagination import Cursor, Limit, Page
from app.schemas.association import (
    AssociationCreate,
    AssociationRead,
    AssociationUpdate,
    MemberAdd,
    MemberRead,
)
from app.services import associations

router = APIRouter(prefix=f"{API_PREFIX}/associations", tags=["associations"])


def _respond(response: Response, association: Tagged[AssociationRead]) -> AssociationRead:
    response.headers["ETag"] = association.etag
    return association.item


def _must_act_for(principal: Principal, association_id: str) -> None:
    if not principal.acts_for_association(association_id):
        raise Forbidden("Only the admin and the association itself may do this.")


@router.post("", status_code=201, summary="Create an association (admin)")
async def create_association(
    body: AssociationCreate,
    principal: AdminPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
) -> AssociationRead:
    association = await associations.create(
        db, principal=principal, association_in=body, base_url=settings.public_base_url
    )
    response.headers["Location"] = f"{API_PREFIX}/associations/{association.item.id}"
    return _respond(response, association)


@router.get("", summary="List associations (public)")
async def list_associations(
    principal: CurrentPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AssociationRead]:
    items, next_cursor = await associations.list_page(
        db, principal=principal, limit=limit, cursor=cursor, base_url=settings.public_base_url
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{association_id}", summary="One association (public)")
async def get_association(
    association_id: str,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
) -> AssociationRead:
    association = await associations.get(
        db, principal=principal, association_id=association_id, base_url=settings.public_base_url
    )
    return _respond(response, association)


@router.patch("/{association_id}", summary="Update an association (admin, its own key)")
async def update_association(
    association_id: str,
    body: AssociationUpdate,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatch = None,
) -> AssociationRead:
    _must_act_for(principal, association_id)
    association = await associations.update_association(
        db,
        principal=principal,
        association_id=association_id,
        association_in=body,
        if_match=if_match,
        base_url=settings.public_base_url,
    )
    return _respond(response, association)


@router.post("/{association_id}/calendar-token", summary="Rotate the secret calendar token")
async def rotate_calendar_token(
    association_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
) -> AssociationRead:
    _must_act_for(principal, association_id)
    association = await associations.rotate_calendar_token(
        db, principal=principal, association_id=association_id, base_url=settings.public_base_url
    )
    response.headers[REDACT_HEADER] = "calendar_url"
    return _respond(response, association)


@router.post(
    "/{association_id}/members",
    status_code=201,
    summary="Join an association (the volunteer's own token, or the admin)",
)
async def add_member(
    association_id: str,
    body: MemberAdd,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    response: Response,
) -> MemberRead:
    if not principal.acts_for_volunteer(body.volunteer_id):
        raise Forbidden("A volunteer joins with its own token.")
    member = await associations.add_member(
        db, association_id=association_id, volunteer_id=body.volunteer_id
    )
    response.headers["Location"] = (
        f"{API_PREFIX}/associations/{association_id}/members/{body.volunteer_id}"
    )
    response.headers[SUBJECT_HEADER] = body.volunteer_id
    return MemberRead.model_validate(member)


@router.get("/{association_id}/members", summary="Members (the association's key, admin)")
async def list_members(
    association_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[MemberRead]:
    if not principal.acts_for_association(association_id):
        raise NotFound("No such association.")
    rows, next_cursor = await associations.list_members(
        db, association_id=association_id, limit=limit, cursor=cursor
    )
    return Page(items=[MemberRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete(
    "/{association_id}/members/{volunteer_id}",
    status_code=204,
    summary="End a membership (the association's key, admin, or the volunteer)",
)
async def remove_member(
    association_id: str, volunteer_id: str, principal: AuthenticatedPrincipal, db: DatabaseDep
) -> Response:
    if not (
        principal.acts_for_association(association_id) or principal.acts_for_volunteer(volunteer_id)
    ):
        raise NotFound("No such member.")
    await associations.remove_member(db, association_id=association_id, volunteer_id=volunteer_id)
    return Response(status_code=204)
