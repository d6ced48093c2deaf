"""The one internal form of an inbound chat message, shared by the three adapters.

Pure: no database, no web framework. The adapters (Cloud API, WAHA, bridge) turn their
payloads into `InboundMessageIn`; `app.services.inbound_messages` stores and acts on it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from app.schemas.common import normalize_phone

Channel = Literal["whatsapp", "waha", "bridge"]

# WhatsApp refuses longer text messages; longer input is cut, never rejected by a webhook.
MAX_TEXT_CHARS: Final = 4096
MAX_MESSAGE_ID_CHARS: Final = 200
# Control characters other than tab and newline, and lone surrogates (PostgreSQL refuses both).
_UNPRINTABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_EARLIEST: Final = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class InboundMessageIn:
    """A received message, whatever channel it came by.

    ``sender`` is E.164, or None when the channel's sender id is not a phone number
    (``sender_id`` keeps that id for the record). ``ignore_reason`` is set for what is
    recorded but never read as a gig: status updates and messages that are not text.
    """

    channel: Channel
    message_id: str
    sender: str | None
    sender_id: str
    text: str | None
    message_type: str = "text"
    sent_at: datetime | None = None
    ignore_reason: str | None = None
    #: A status update about one of our messages: the provider's id for it, and its new
    #: state (sent, delivered, read or failed).
    about: str | None = None
    delivery_status: str | None = None


def plain_text(value: object, limit: int = MAX_TEXT_CHARS) -> str | None:
    """``value`` as plain text to store: a string without control characters, cut at ``limit``."""
    if not isinstance(value, str):
        return None
    return _UNPRINTABLE.sub("", value)[:limit]


def message_id(value: object) -> str | None:
    """A channel's message id, bounded and printable, or None when there is none."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = plain_text(value, MAX_MESSAGE_ID_CHARS)
    return text.strip() or None if text else None


def phone_from_whatsapp_id(value: object) -> str | None:
    """E.164 for a WhatsApp id: `31612345678`, `31612345678@c.us` → `+31612345678`.

    Group ids (`@g.us`), linked-device ids (`@lid`) and anything that is not a valid
    international number give None.
    """
    if not isinstance(value, str):
        return None
    user, _, domain = value.partition("@")
    user = user.split(":", 1)[0]  # multi-device suffix, e.g. `31612345678:12@s.whatsapp.net`
    if domain not in ("", "c.us", "s.whatsapp.net") or not user.isdigit() or len(user) > 15:
        return None
    try:
        return normalize_phone(f"+{user}")
    except ValueError:
        return None


def timestamp(value: object) -> datetime | None:
    """An epoch-seconds timestamp (number or digits) as an aware UTC datetime, if plausible."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        value = int(value)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if moment >= _EARLIEST else None


def hmac_hex_matches(key: str | None, body: bytes, signature: str | None, digest: str) -> bool:
    """Whether ``signature`` is the hex HMAC (``digest``, e.g. `sha512`) of the raw ``body``."""
    if not key or not signature:
        return False
    expected = hmac.new(key.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode("latin-1"))


def gig_link(public_base_url: str, gig_id: str) -> str:
    """The link to a gig in replies and share texts: the gig's public API resource."""
    return f"{public_base_url}/api/v1/gigs/{gig_id}"
