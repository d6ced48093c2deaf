"""`/api/v1/api-keys` (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AdminPrincipal
from app.config import API_PREFIX
from app.db import SessionDep, TransactionalRoute
from app.idempotency import REDACT_HEADER
from app.pagination import Cursor, Limit, Page
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.services import api_keys

router = APIRouter(
    prefix=f"{API_PREFIX}/api-keys", tags=["api keys"], route_class=TransactionalRoute
)


@router.post("", status_code=201, summary="Issue a key; the token is shown once")
def create_api_key(
    body: ApiKeyCreate, _principal: AdminPrincipal, session: SessionDep, response: Response
) -> ApiKeyCreated:
    key, token = api_keys.create(session=session, key_in=body)
    response.headers["Location"] = f"/api/v1/api-keys/{key.id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers[REDACT_HEADER] = "token"
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "token": token}
    )


@router.get("", summary="List keys (never their tokens)")
def list_api_keys(
    _principal: AdminPrincipal, session: SessionDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ApiKeyRead]:
    rows, next_cursor = api_keys.list_page(session=session, limit=limit, cursor=cursor)
    return Page(items=[ApiKeyRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=204, summary="Revoke a key, effective at once")
def revoke_api_key(key_id: str, _principal: AdminPrincipal, session: SessionDep) -> Response:
    api_keys.revoke(session=session, key_id=key_id)
    return Response(status_code=204)
