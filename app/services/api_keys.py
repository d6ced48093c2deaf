"""API keys: issue (the token is returned once), list and revoke."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import KEY_TOKEN_PREFIX, generate_token, hash_token
from app.errors import NotFound, field_error
from app.models import ApiKey, Association, Organization
from app.models.base import utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.api_key import ApiKeyCreate


def _check_binding(session: Session, key_in: ApiKeyCreate) -> None:
    if key_in.role == "organization":
        if key_in.organization_id is None:
            raise field_error(["body", "organization_id"], "required for an organization key")
        if session.get(Organization, key_in.organization_id) is None:
            raise field_error(["body", "organization_id"], "no such organisation")
    elif key_in.organization_id is not None:
        raise field_error(["body", "organization_id"], "only for an organization key")
    if key_in.role == "association":
        if key_in.association_id is None:
            raise field_error(["body", "association_id"], "required for an association key")
        if session.get(Association, key_in.association_id) is None:
            raise field_error(["body", "association_id"], "no such association")
    elif key_in.association_id is not None:
        raise field_error(["body", "association_id"], "only for an association key")


def create(*, session: Session, key_in: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key and its token; only the token's hash is kept."""
    _check_binding(session, key_in)
    token = generate_token(KEY_TOKEN_PREFIX)
    key = ApiKey(
        name=key_in.name,
        role=key_in.role,
        organization_id=key_in.organization_id,
        association_id=key_in.association_id,
        token_hash=hash_token(token),
        token_prefix=token[:12],
    )
    session.add(key)
    session.flush()
    return key, token


def list_page(
    *, session: Session, limit: int, cursor: str | None
) -> tuple[list[ApiKey], str | None]:
    """Keys in creation order, revoked ones included."""
    query = select(ApiKey)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(ApiKey.id > after_id)
    rows = session.scalars(query.order_by(ApiKey.id).limit(limit + 1)).all()
    return split_page(rows, limit, lambda key: [key.id])


def revoke(*, session: Session, key_id: str) -> None:
    """Revoke a key; its token is refused from the next request on."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound("No such key.")
    key.revoked_at = utcnow()
