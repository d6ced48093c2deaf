"""API keys: issue (the token is returned once), list and revoke."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from app.auth import KEY_TOKEN_PREFIX, generate_token, hash_token
from app.db import Row, Tx, reads, writes
from app.errors import NotFound, field_error
from app.models import ApiKey, Association, Organization
from app.models.base import new_id, utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.api_key import ApiKeyCreate

_KEY = select(ApiKey).where(ApiKey.id == bindparam("key_id"))


async def _check_binding(tx: Tx, key_in: ApiKeyCreate) -> None:
    if key_in.role == "organization":
        if key_in.organization_id is None:
            raise field_error(["body", "organization_id"], "required for an organization key")
        if (
            await tx.scalar(
                select(Organization.id).where(Organization.id == key_in.organization_id)
            )
            is None
        ):
            raise field_error(["body", "organization_id"], "no such organisation")
    elif key_in.organization_id is not None:
        raise field_error(["body", "organization_id"], "only for an organization key")
    if key_in.role == "association":
        if key_in.association_id is None:
            raise field_error(["body", "association_id"], "required for an association key")
        if (
            await tx.scalar(select(Association.id).where(Association.id == key_in.association_id))
            is None
        ):
            raise field_error(["body", "association_id"], "no such association")
    elif key_in.association_id is not None:
        raise field_error(["body", "association_id"], "only for an association key")


@writes
async def create(tx: Tx, *, key_in: ApiKeyCreate) -> tuple[Row, str]:
    """A new key and its token; only the token's hash is kept."""
    await _check_binding(tx, key_in)
    token = generate_token(KEY_TOKEN_PREFIX)
    key_id = new_id("key")
    await tx.run(
        insert(ApiKey),
        id=key_id,
        name=key_in.name,
        role=key_in.role,
        organization_id=key_in.organization_id,
        association_id=key_in.association_id,
        token_hash=hash_token(token),
        token_prefix=token[:12],
    )
    return await tx.one(_KEY, key_id=key_id), token


@reads
async def list_page(tx: Tx, *, limit: int, cursor: str | None) -> tuple[list[Row], str | None]:
    """Keys in creation order, revoked ones included."""
    query = select(ApiKey)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(ApiKey.id > after_id)
    rows = await tx.rows(query.order_by(ApiKey.id).limit(limit + 1))
    return split_page(rows, limit, lambda key: [key.id])


@writes
async def revoke(tx: Tx, *, key_id: str) -> None:
    """Revoke a key; its token is refused from the next request on."""
    revoked = await tx.run(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if not revoked:
        raise NotFound("No such key.")
