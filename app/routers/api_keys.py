"""`/api/v1/api-keys` (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import AdminPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep
from app.idempotency import REDACT_HEADER
from app.pagination import Cursor, Limit, Page
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.services import api_keys

router = APIRouter(prefix=f"{API_PREFIX}/api-keys", tags=["api keys"])


@router.post("", status_code=201, summary="Issue a key; the token is shown once")
async def create_api_key(
    body: ApiKeyCreate, _principal: AdminPrincipal, db: DatabaseDep, response: Response
) -> ApiKeyCreated:
    key, token = await api_keys.create(db, key_in=body)
    response.headers["Location"] = f"{API_PREFIX}/api-keys/{key.id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers[REDACT_HEADER] = "token"
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "token": token}
    )


@router.get("", summary="List keys (never their tokens)")
async def list_api_keys(
    _principal: AdminPrincipal, db: DatabaseDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ApiKeyRead]:
    rows, next_cursor = await api_keys.list_page(db, limit=limit, cursor=cursor)
    return Page(items=[ApiKeyRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=204, summary="Revoke a key, effective at once")
async def revoke_api_key(key_id: str, _principal: AdminPrincipal, db: DatabaseDep) -> Response:
    await api_keys.revoke(db, key_id=key_id)
    return Response(status_code=204)
