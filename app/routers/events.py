"""`/api/v1/events` and `/api/v1/webhooks` (integration keys, admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.auth import Principal, require_role
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, SettingsDep
from app.idempotency import REDACT_HEADER
from app.pagination import Cursor, Limit, Page
from app.schemas.webhook import (
    AttemptRead,
    EventPage,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from app.services import events, webhooks
from app.services.event_types import EventType

router = APIRouter(prefix=API_PREFIX, tags=["events"])
IntegrationPrincipal = Annotated[Principal, Depends(require_role("integration"))]


@router.get(
    "/events",
    response_model=EventPage,
    summary="Every change, oldest first (integration key, admin)",
    description=(
        "Follow `next_cursor` (as `after`) to read on: it is never null, and an event is "
        "listed once its transaction and every older one have ended, so a reader at the "
        "head never skips one that commits late. `data` is the gig or sign-up as its single "
        "read returned it then. Drafts' and webhooks' events are for the admin only. "
        "Events are kept for `KLUSMAKELAAR_EVENT_RETENTION_DAYS` (30)."
    ),
)
async def list_events(
    principal: IntegrationPrincipal,
    db: DatabaseDep,
    after: Cursor = None,
    event_type: Annotated[
        list[EventType] | None, Query(alias="type", description="Only these types (repeat it).")
    ] = None,
    limit: Limit = 50,
) -> Response:
    items, next_cursor = await events.read_page(
        db, principal=principal, cursor=after, types=event_type or [], limit=limit
    )
    body = f'{{"items":[{",".join(items)}],"next_cursor":"{next_cursor}"}}'
    return Response(body, media_type="application/json")


@router.post(
    "/webhooks",
    status_code=201,
    summary="Subscribe to events; the signing secret is shown once (integration key, admin)",
    description=(
        "Deliveries follow Standard Webhooks: the body is the event object, with the "
        "headers `webhook-id` (the event id, the same on every retry), `webhook-timestamp` "
        "and `webhook-signature`. At least once: retried with back-off (first retry within "
        "30 s) until a 2xx, for up to 3 days. The URL must be https on a public address "
        "(checked now and before every delivery); redirects are not followed."
    ),
)
async def create_webhook(
    body: WebhookCreate,
    principal: IntegrationPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
) -> WebhookCreated:
    webhook, secret = await webhooks.create(
        db, principal=principal, webhook_in=body, allow_insecure=settings.webhook_allow_insecure
    )
    response.headers["Location"] = f"{API_PREFIX}/webhooks/{webhook.id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers[REDACT_HEADER] = "secret"
    return WebhookCreated(**webhook.model_dump(), secret=secret)


@router.get("/webhooks", summary="Your subscriptions (the admin: all)")
async def list_webhooks(
    principal: IntegrationPrincipal, db: DatabaseDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[WebhookRead]:
    items, next_cursor = await webhooks.list_page(
        db, principal=principal, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id}", summary="One subscription")
async def get_webhook(
    webhook_id: str, principal: IntegrationPrincipal, db: DatabaseDep
) -> WebhookRead:
    return await webhooks.get(db, principal=principal, webhook_id=webhook_id)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Unsubscribe")
async def delete_webhook(
    webhook_id: str, principal: IntegrationPrincipal, db: DatabaseDep
) -> Response:
    await webhooks.remove(db, principal=principal, webhook_id=webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="Recent delivery attempts, newest first",
)
async def list_deliveries(
    webhook_id: str,
    principal: IntegrationPrincipal,
    db: DatabaseDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AttemptRead]:
    items, next_cursor = await webhooks.attempts(
        db, principal=principal, webhook_id=webhook_id, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)
