"""`/api/v1/associations` and their members."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from app.auth import AdminPrincipal, AuthenticatedPrincipal, CurrentPrincipal, Principal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute
from app.errors import Forbidden, NotFound
from app.etags import IfMatch, etag_for
from app.idempotency import REDACT_HEADER, SUBJECT_HEADER
from app.models import Association
from app.pagination import Cursor, Limit, Page
from app.schemas.association import (
    AssociationCreate,
    AssociationRead,
    AssociationUpdate,
    MemberAdd,
    MemberRead,
)
from app.services import associations
from app.services.calendar_tokens import calendar_token

router = APIRouter(
    prefix=f"{API_PREFIX}/associations", tags=["associations"], route_class=TransactionalRoute
)


def _read(
    request: Request, session: Session, association: Association, members: int, principal: Principal
) -> AssociationRead:
    calendar_url = None
    if principal.acts_for_association(association.id):
        base = request.app.state.settings.public_base_url
        token = calendar_token(session, association)
        calendar_url = (
            f"{base}{API_PREFIX}/associations/{association.id}/calendar.ics?token={token}"
        )
    return AssociationRead.model_validate(
        {
            **{field: getattr(association, field) for field in AssociationRead.model_fields
               if field not in ("member_count", "calendar_url")},
            "member_count": members,
            "calendar_url": calendar_url,
        }
    )  # fmt: skip


def _with_etag(response: Response, association: Association) -> None:
    response.headers["ETag"] = etag_for(association.id, association.version)


def _must_act_for(principal: Principal, association_id: str) -> None:
    if not principal.acts_for_association(association_id):
        raise Forbidden("Only the admin and the association itself may do this.")


@router.post("", status_code=201, summary="Create an association (admin)")
def create_association(
    body: AssociationCreate,
    principal: AdminPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
) -> AssociationRead:
    association = associations.create(session=session, association_in=body)
    response.headers["Location"] = f"{API_PREFIX}/associations/{association.id}"
    _with_etag(response, association)
    return _read(request, session, association, 0, principal)


@router.get("", summary="List associations (public)")
def list_associations(
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AssociationRead]:
    rows, next_cursor = associations.list_page(session=session, limit=limit, cursor=cursor)
    items = [_read(request, session, row, count, principal) for row, count in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{association_id}", summary="One association (public)")
def get_association(
    association_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
) -> AssociationRead:
    association = associations.get(session=session, association_id=association_id)
    _with_etag(response, association)
    members = associations.member_count(session=session, association_id=association_id)
    return _read(request, session, association, members, principal)


@router.patch("/{association_id}", summary="Update an association (admin, its own key)")
def update_association(
    association_id: str,
    body: AssociationUpdate,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> AssociationRead:
    _must_act_for(principal, association_id)
    association = associations.update(
        session=session, association_id=association_id, association_in=body, if_match=if_match
    )
    _with_etag(response, association)
    members = associations.member_count(session=session, association_id=association_id)
    return _read(request, session, association, members, principal)


@router.post("/{association_id}/calendar-token", summary="Rotate the secret calendar token")
def rotate_calendar_token(
    association_id: str,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
) -> AssociationRead:
    _must_act_for(principal, association_id)
    association = associations.rotate_calendar_token(session=session, association_id=association_id)
    response.headers[REDACT_HEADER] = "calendar_url"
    _with_etag(response, association)
    members = associations.member_count(session=session, association_id=association_id)
    return _read(request, session, association, members, principal)


@router.post(
    "/{association_id}/members",
    status_code=201,
    summary="Join an association (the volunteer's own token, or the admin)",
)
def add_member(
    association_id: str,
    body: MemberAdd,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    response: Response,
) -> MemberRead:
    if not principal.acts_for_volunteer(body.volunteer_id):
        raise Forbidden("A volunteer joins with its own token.")
    member = associations.add_member(
        session=session, association_id=association_id, volunteer_id=body.volunteer_id
    )
    response.headers["Location"] = (
        f"{API_PREFIX}/associations/{association_id}/members/{body.volunteer_id}"
    )
    response.headers[SUBJECT_HEADER] = body.volunteer_id
    return MemberRead.model_validate(member)


@router.get("/{association_id}/members", summary="Members (the association's key, admin)")
def list_members(
    association_id: str,
    principal: AuthenticatedPrincipal,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[MemberRead]:
    if not principal.acts_for_association(association_id):
        raise NotFound("No such association.")
    rows, next_cursor = associations.list_members(
        session=session, association_id=association_id, limit=limit, cursor=cursor
    )
    return Page(items=[MemberRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete(
    "/{association_id}/members/{volunteer_id}",
    status_code=204,
    summary="End a membership (the association's key, admin, or the volunteer)",
)
def remove_member(
    association_id: str, volunteer_id: str, principal: AuthenticatedPrincipal, session: SessionDep
) -> Response:
    if not (
        principal.acts_for_association(association_id) or principal.acts_for_volunteer(volunteer_id)
    ):
        raise NotFound("No such member.")
    associations.remove_member(
        session=session, association_id=association_id, volunteer_id=volunteer_id
    )
    return Response(status_code=204)
