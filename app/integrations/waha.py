"""WAHA (self-hosted WhatsApp HTTP API) webhook: HMAC check and event → messages.

WAHA signs the raw body with the session's HMAC key: ``X-Webhook-Hmac`` is the hex
HMAC-SHA512 and ``X-Webhook-Hmac-Algorithm`` says ``sha512`` (a missing algorithm
header is read as ``sha512``; any other algorithm is refused). Events ``message`` and
``message.any`` are read (``message.any`` also carries our own messages, which are
skipped like every ``fromMe`` message), and ``message.ack`` updates the status of one of
our messages; other events are acknowledged and dropped.
"""

from __future__ import annotations

from typing import Any

from app.integrations.inbound import (
    InboundMessageIn,
    hmac_hex_matches,
    message_id,
    phone_from_whatsapp_id,
    plain_text,
    timestamp,
)

MESSAGE_EVENTS = frozenset({"message", "message.any"})
ACK_EVENT = "message.ack"
#: WAHA's `ackName` of a `message.ack` as a message status.
ACK_STATUS = {"SERVER": "sent", "DEVICE": "delivered", "READ": "read", "PLAYED": "read",
              "ERROR": "failed"}  # fmt: skip
GROUP_SUFFIX = "@g.us"


def verify_hmac(key: str | None, body: bytes, signature: str | None, algorithm: str | None) -> bool:
    """Whether ``X-Webhook-Hmac`` is the HMAC-SHA512 of the raw ``body`` with the WAHA key."""
    if algorithm is not None and algorithm.strip().lower() != "sha512":
        return False
    return hmac_hex_matches(key, body, signature, "sha512")


def sender_id(payload: dict[str, Any]) -> str:
    """Who wrote the message: the participant in a group, else the chat it came from."""
    chat = payload.get("from")
    if isinstance(chat, str) and chat.endswith(GROUP_SUFFIX):
        chat = payload.get("participant")
    return plain_text(chat, 80) or ""


def _ack(payload: dict[str, Any]) -> list[InboundMessageIn]:
    """A `message.ack` about one of our messages, as a status update to record."""
    identifier = message_id(payload.get("id"))
    name = plain_text(payload.get("ackName"), 20) or "unknown"
    if identifier is None:
        return []
    return [
        InboundMessageIn(
            channel="waha", message_id=f"ack:{name}:{identifier}"[:200], sender=None,
            sender_id="", text=None, message_type="status",
            sent_at=timestamp(payload.get("timestamp")),
            ignore_reason=f"status update: {name}", about=identifier,
            delivery_status=ACK_STATUS.get(name.upper()),
        )
    ]  # fmt: skip


def messages_from_event(event: Any) -> list[InboundMessageIn]:
    """The message in a WAHA event (a `message.ack`: the status update), or nothing
    (other events, own messages, no id)."""
    if isinstance(event, dict) and event.get("event") == ACK_EVENT:
        payload = event.get("payload")
        return _ack(payload) if isinstance(payload, dict) else []
    if not isinstance(event, dict) or event.get("event") not in MESSAGE_EVENTS:
        return []
    payload = event.get("payload")
    if not isinstance(payload, dict) or payload.get("fromMe") is True:
        return []
    identifier = message_id(payload.get("id"))
    if identifier is None:
        return []
    author = sender_id(payload)
    text = plain_text(payload.get("body"))
    has_media = payload.get("hasMedia") is True
    kind = "media" if has_media else "text"
    reason = f"{kind} messages are not read as gigs" if has_media else "an empty message"
    return [
        InboundMessageIn(
            channel="waha",
            message_id=identifier,
            sender=phone_from_whatsapp_id(author),
            sender_id=author,
            text=text,
            message_type=kind,
            sent_at=timestamp(payload.get("timestamp")),
            ignore_reason=None if text and not has_media else reason,
        )
    ]
