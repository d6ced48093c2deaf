"""Webhook subscriptions: create (the secret is shown once), read, delete, and the log
of delivery attempts. Delivering is the dispatcher's (`services.dispatcher`).

A subscription belongs to the key that made it: an integration key sees and deletes only
its own, and gets only the events it may read (`services.events`); the admin sees every
subscription and its own get every event.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from app.auth import Principal
from app.db import Database, Row, Tx, reads, writes
from app.errors import NotFound, field_error
from app.integrations.outbound import NotAllowed, allowed_address
from app.models import Webhook, WebhookAttempt
from app.models.base import new_id, utcnow
from app.pagination import decode_cursor, split_page
from app.schemas.webhook import AttemptRead, WebhookCreate, WebhookRead

SECRET_PREFIX = "whsec_"  # noqa: S105 (the public prefix of generated secrets)
SECRET_BYTES = 32


def new_secret() -> str:
    """A signing key: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _read(row: Row) -> WebhookRead:
    return WebhookRead(
        id=row.id,
        url=row.url,
        events=list(row.event_types),
        status=row.status,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
    )


def _owned_by(principal: Principal) -> Any:
    """The subscriptions the caller may see: all for the admin, else its key's own."""
    if principal.is_admin:
        return Webhook.id.is_not(None)
    return Webhook.owner_key_id == principal.key_id


async def check_target(url: str, *, allow_insecure: bool) -> None:
    """422 unless ``url`` is an address the rules allow (checked again at each delivery)."""
    try:
        await allowed_address(url, allow_insecure=allow_insecure)
    except NotAllowed as error:
        raise field_error(["body", "url"], str(error)) from None


async def create(
    database: Database, *, principal: Principal, webhook_in: WebhookCreate, allow_insecure: bool
) -> tuple[WebhookRead, str]:
    """A new subscription and its secret (generated unless given; shown this once); 422
    for a URL the rules do not allow (resolved before the transaction begins)."""
    await check_target(str(webhook_in.url), allow_insecure=allow_insecure)
    return await _insert(database, principal=principal, webhook_in=webhook_in)


@writes
async def _insert(
    tx: Tx, *, principal: Principal, webhook_in: WebhookCreate
) -> tuple[WebhookRead, str]:
    secret = webhook_in.secret or new_secret()
    webhook_id = new_id("whk")
    owner = principal.key_id if principal.key_id not in (None, "bootstrap") else None
    await tx.run(
        insert(Webhook),
        id=webhook_id,
        owner_key_id=owner,
        owner_role="admin" if principal.is_admin else principal.role,
        url=str(webhook_in.url),
        event_types=list(dict.fromkeys(webhook_in.events)),
        secret=secret,
        status="active",
        created_at=utcnow(),
    )
    row = await tx.one(select(Webhook).where(Webhook.id == webhook_id))
    return _read(row), secret


@reads
async def list_page(
    tx: Tx, *, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[WebhookRead], str | None]:
    """The caller's subscriptions, oldest first."""
    query = select(Webhook).where(_owned_by(principal))
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, [str])
        query = query.where(Webhook.id > after_id)
    rows = await tx.rows(query.order_by(Webhook.id).limit(limit + 1))
    page, next_cursor = split_page(rows, limit, lambda row: [row.id])
    return [_read(row) for row in page], next_cursor


_ONE = select(Webhook).where(Webhook.id == bindparam("webhook_id"))


async def _visible(tx: Tx, principal: Principal, webhook_id: str) -> Row:
    row = await tx.row(_ONE.where(_owned_by(principal)), webhook_id=webhook_id)
    if row is None:
        raise NotFound("No such webhook.")
    return row


@reads
async def get(tx: Tx, *, principal: Principal, webhook_id: str) -> WebhookRead:
    """One of the caller's subscriptions, or 404."""
    return _read(await _visible(tx, principal, webhook_id))


@writes
async def remove(tx: Tx, *, principal: Principal, webhook_id: str) -> None:
    """Delete a subscription, its queue and its log; nothing more is sent to it."""
    await _visible(tx, principal, webhook_id)
    await tx.run(delete(Webhook).where(Webhook.id == webhook_id))


@reads
async def attempts(
    tx: Tx, *, principal: Principal, webhook_id: str, limit: int, cursor: str | None
) -> tuple[list[AttemptRead], str | None]:
    """The delivery attempts of a subscription, newest first (kept as long as events)."""
    await _visible(tx, principal, webhook_id)
    query = select(WebhookAttempt).where(WebhookAttempt.webhook_id == webhook_id)
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, [int])
        query = query.where(WebhookAttempt.id < before_id)
    rows = await tx.rows(query.order_by(WebhookAttempt.id.desc()).limit(limit + 1))
    page, next_cursor = split_page(rows, limit, lambda row: [row.id])
    return [AttemptRead.model_validate(row) for row in page], next_cursor
