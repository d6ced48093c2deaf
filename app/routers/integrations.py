"""`/api/v1/integrations/...`: WhatsApp Cloud API and WAHA webhooks, the bridge intake, the
inbound message log; and `/api/v1/gigs/{id}/share`.

The webhooks check the signature over the raw body in an async dependency, before any
JSON is parsed and before the database is touched; the handler then stores and
processes the delivery in one transaction (parsing takes well under a millisecond a
message, so the 200 is not delayed by slow work).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse

from app.auth import AdminPrincipal, CurrentPrincipal, Principal, require_role
from app.config import API_PREFIX, Settings
from app.dependencies import ChannelsDep, DatabaseDep, SettingsDep, settings_of
from app.errors import Forbidden, MalformedJSON, Unauthorized
from app.integrations import waha, whatsapp_cloud
from app.integrations.channels import Channels
from app.integrations.inbound import InboundMessageIn, gig_link
from app.integrations.share_text import share_text
from app.pagination import Cursor, Limit, Page
from app.schemas.integration import (
    BridgeMessageIn,
    BridgeResult,
    BridgeStatus,
    InboundChannel,
    InboundMessageRead,
    InboundStatus,
    ShareText,
    WebhookAck,
)
from app.services import gigs, inbound_messages

router = APIRouter(prefix=API_PREFIX, tags=["integrations"])
IntegrationPrincipal = Annotated[Principal, Depends(require_role("integration"))]
_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class InvalidSignature(Unauthorized):
    status, type, title = 401, "invalid-signature", "The webhook signature is missing or wrong"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedJSON("The body could not be parsed as JSON.") from None


async def cloud_messages(request: Request) -> list[InboundMessageIn]:
    """The messages of a Cloud API delivery whose `X-Hub-Signature-256` is right, else 401."""
    body = await request.body()
    secret = settings_of(request).whatsapp_app_secret
    if not whatsapp_cloud.verify_signature(
        secret, body, request.headers.get("x-hub-signature-256")
    ):
        raise InvalidSignature("Sign the raw body: `X-Hub-Signature-256: sha256=<hex>`.")
    return whatsapp_cloud.messages_from_payload(_json(body))


async def waha_messages(request: Request) -> list[InboundMessageIn]:
    """The message of a WAHA event whose `X-Webhook-Hmac` is right, else 401."""
    body = await request.body()
    if not waha.verify_hmac(
        settings_of(request).waha_hmac_key,
        body,
        request.headers.get("x-webhook-hmac"),
        request.headers.get("x-webhook-hmac-algorithm"),
    ):
        raise InvalidSignature("Sign the raw body: `X-Webhook-Hmac: <hex HMAC-SHA512>`.")
    return waha.messages_from_event(_json(body))


async def _acknowledge(
    db: DatabaseDep, settings: Settings, channels: Channels, received: list[InboundMessageIn]
) -> WebhookAck:
    outcomes = await inbound_messages.receive_all(
        db, received=received, public_base_url=settings.public_base_url, channels=channels
    )
    return WebhookAck(
        received=len(outcomes), duplicates=sum(outcome.duplicate for outcome in outcomes)
    )


@router.get(
    "/integrations/whatsapp/webhook",
    response_class=PlainTextResponse,
    summary="Cloud API webhook verification: echoes `hub.challenge` for the right token",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def verify_whatsapp_webhook(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=40)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=500)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=500)] = None,
) -> PlainTextResponse:
    verify_token = settings.whatsapp_verify_token
    if not whatsapp_cloud.verify_subscription(verify_token, mode, token, challenge):
        raise Forbidden("The verify token does not match.")
    assert challenge is not None
    return PlainTextResponse(challenge)


@router.post(
    "/integrations/whatsapp/webhook",
    summary="WhatsApp Business Cloud API webhook (signed with `X-Hub-Signature-256`)",
    description=(
        "Every message and status update of every entry is stored once per message id; a "
        "text from a number in an organisation's `whatsapp_numbers` becomes a one-off gig "
        "(`open` when title, date and time were understood, else `draft`) and a reply is "
        "composed and stored. Unknown numbers, other message types and status updates are "
        "recorded only. Over 30 messages a minute from one number, the rest are recorded "
        "as ignored. The answer is 200 whenever the signature is right."
    ),
    openapi_extra=_JSON_BODY,
)
async def whatsapp_webhook(
    messages: Annotated[list[InboundMessageIn], Depends(cloud_messages)],
    db: DatabaseDep,
    settings: SettingsDep,
    channels: ChannelsDep,
) -> WebhookAck:
    return await _acknowledge(db, settings, channels, messages)


@router.post(
    "/integrations/waha/webhook",
    summary="WAHA webhook: `message` events (signed with `X-Webhook-Hmac`)",
    description=(
        "Reads `message` and `message.any` events; others are acknowledged and dropped. In "
        "a group (`from` ends with `@g.us`) the sender is `participant`. Own messages "
        "(`fromMe`) are skipped and not recorded. Otherwise as the Cloud API webhook."
    ),
    openapi_extra=_JSON_BODY,
)
async def waha_webhook(
    messages: Annotated[list[InboundMessageIn], Depends(waha_messages)],
    db: DatabaseDep,
    settings: SettingsDep,
    channels: ChannelsDep,
) -> WebhookAck:
    return await _acknowledge(db, settings, channels, messages)


_BRIDGE_STATUS: dict[str, BridgeStatus] = {"created": "created", "draft": "draft"}


@router.post(
    "/integrations/bridge/messages",
    status_code=201,
    summary="Relay a chat message (integration key): 201 when new, 200 for a repeat",
    description=(
        "A message from a number in an organisation's `whatsapp_numbers` becomes a one-off "
        "gig (`source: bridge`). A number that is not registered gets status `ignored` and a "
        "reply that says so. Send `reply` back to the sender. More than 30 messages a minute "
        "from one number are refused with 429 and `Retry-After` (nothing is stored, so retry)."
    ),
    responses={200: {"model": BridgeResult, "description": "A repeat of a stored message_id."}},
)
async def bridge_message(
    body: BridgeMessageIn,
    principal: IntegrationPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    channels: ChannelsDep,
    response: Response,
) -> BridgeResult:
    message_in = InboundMessageIn(
        channel="bridge",
        message_id=body.message_id,
        sender=body.from_,
        sender_id=body.from_,
        text=body.text,
        sent_at=body.timestamp,
    )
    outcome = await inbound_messages.receive_one(
        db,
        message_in=message_in,
        public_base_url=settings.public_base_url,
        refuse_over_limit=True,
        channels=channels,
    )
    if outcome.duplicate:
        response.status_code = 200
    elif outcome.gig is not None:
        response.headers["Location"] = f"{API_PREFIX}/gigs/{outcome.gig.id}"
    status = (
        "duplicate" if outcome.duplicate else _BRIDGE_STATUS.get(outcome.message.status, "ignored")
    )
    return BridgeResult(
        status=status,
        gig=gigs.to_read(outcome.gig) if outcome.gig is not None else None,
        reply=outcome.message.reply or "",
    )


@router.get("/integrations/messages", summary="Received messages and what became of them (admin)")
async def list_messages(
    principal: AdminPrincipal,
    db: DatabaseDep,
    status: InboundStatus | None = None,
    channel: InboundChannel | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[InboundMessageRead]:
    rows, next_cursor = await inbound_messages.list_page(
        db, limit=limit, cursor=cursor, status=status, channel=channel
    )
    return Page(
        items=[InboundMessageRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get(
    "/gigs/{gig_id}/share",
    tags=["gigs"],
    summary="A WhatsApp-ready message for a gig, with its link (drafts: owner and admin)",
)
async def share_gig(
    gig_id: str,
    principal: CurrentPrincipal,
    db: DatabaseDep,
    settings: SettingsDep,
    lang: Literal["nl", "en"] = "nl",
) -> ShareText:
    gig = (await gigs.get_visible(db, principal=principal, gig_id=gig_id)).item
    url = gig_link(settings.public_base_url, gig.id)
    text = share_text(
        title=gig.title,
        starts_at=gig.starts_at,
        ends_at=gig.ends_at,
        address=gig.location.address,
        area=gig.location.area,
        postcode=gig.location.postcode,
        spots_left=gig.spots_left,
        url=url,
        lang=lang,
    )
    return ShareText(text=text, url=url)
