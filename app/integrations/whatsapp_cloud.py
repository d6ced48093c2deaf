"""Meta WhatsApp Business Cloud API webhook: verification, signature and payload → messages.

Meta signs the raw request body: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`` with
the app secret. The signature is checked on the bytes as received, before any JSON is
parsed. A delivery is ``{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {"messages": [...], "statuses": [...]}}]}]}``; every
message and status of every change of every entry is returned, in order.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from app.integrations.inbound import (
    InboundMessageIn,
    hmac_hex_matches,
    message_id,
    phone_from_whatsapp_id,
    plain_text,
    timestamp,
)

SIGNATURE_PREFIX = "sha256="


def verify_signature(app_secret: str | None, body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature-256`` signs the raw ``body`` with the app secret."""
    if header is None or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac_hex_matches(app_secret, body, header.removeprefix(SIGNATURE_PREFIX), "sha256")


def verify_subscription(
    verify_token: str | None, mode: str | None, token: str | None, challenge: str | None
) -> bool:
    """Whether the verification GET is Meta subscribing with our verify token."""
    if not verify_token or mode != "subscribe" or token is None or challenge is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8"))


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _values(payload: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(payload, dict):
        return
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if isinstance(value, dict):
                yield value


def _button_answer(item: dict[str, Any], kind: str) -> str | None:
    """The payload of a reply button (an interactive message's, or a template's quick
    reply): our buttons carry the answer word ("ja", "nee")."""
    if kind == "interactive":
        interactive = item.get("interactive")
        reply = interactive.get("button_reply") if isinstance(interactive, dict) else None
        return plain_text(reply.get("id"), 40) if isinstance(reply, dict) else None
    if kind == "button":
        button = item.get("button")
        return plain_text(button.get("payload"), 40) if isinstance(button, dict) else None
    return None


def _message(item: dict[str, Any]) -> InboundMessageIn | None:
    identifier = message_id(item.get("id"))
    if identifier is None:
        return None
    sender_id = plain_text(item.get("from"), 40) or ""
    kind = plain_text(item.get("type"), 20) or "unknown"
    text_part = item.get("text")
    text = plain_text(text_part.get("body")) if isinstance(text_part, dict) else None
    answer = _button_answer(item, kind)
    if answer is not None:  # a tap on "Ik kom" / "Kan niet": read as the word it stands for
        kind, text = "text", answer
    ignore = None if kind == "text" and text else f"{kind} messages are not read as gigs"
    if kind == "text" and not text:
        ignore = "an empty message"
    return InboundMessageIn(
        channel="whatsapp",
        message_id=identifier,
        sender=phone_from_whatsapp_id(sender_id),
        sender_id=sender_id,
        text=text,
        message_type=kind,
        sent_at=timestamp(item.get("timestamp")),
        ignore_reason=ignore,
    )


def _status(item: dict[str, Any]) -> InboundMessageIn | None:
    # One outgoing message gets several updates (sent, delivered, read): each is its own record.
    identifier = message_id(item.get("id"))
    state = plain_text(item.get("status"), 20) or "unknown"
    if identifier is None:
        return None
    return InboundMessageIn(
        channel="whatsapp",
        message_id=f"status:{state}:{identifier}"[:200],
        sender=None,
        sender_id="",
        text=None,
        message_type="status",
        sent_at=timestamp(item.get("timestamp")),
        ignore_reason=f"status update: {state}",
        about=identifier,
        delivery_status=state if state in ("sent", "delivered", "read", "failed") else None,
    )


def messages_from_payload(payload: Any) -> list[InboundMessageIn]:
    """Every message and status update in a webhook delivery; malformed items are skipped."""
    found: list[InboundMessageIn] = []
    for value in _values(payload):
        found += [m for m in map(_message, _dicts(value.get("messages"))) if m is not None]
        found += [s for s in map(_status, _dicts(value.get("statuses"))) if s is not None]
    return found
