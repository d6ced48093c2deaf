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


#: The servers of a WhatsApp id that is a phone number (`""`: plain digits).
_PHONE_SERVERS: Final = frozenset({"", "c.us", "s.whatsapp.net"})
#: The server of a linked id: a number WhatsApp uses instead of the phone, never a phone.
LINKED_ID_SERVER: Final = "lid"


def _split_whatsapp_id(value: str) -> tuple[str, str]:
    """The user and server of a WhatsApp id, without a multi-device suffix
    (`31612345678:12@s.whatsapp.net` → `31612345678`, `s.whatsapp.net`)."""
    user, _, server = value.partition("@")
    return user.split(":", 1)[0], server


def phone_from_whatsapp_id(value: object) -> str | None:
    """E.164 for a WhatsApp id: `31612345678`, `31612345678@c.us` → `+31612345678`.

    Group ids (`@g.us`), linked ids (`@lid`) and anything that is not a valid
    international number give None: a linked id's digits are nobody's phone number.
    """
    if not isinstance(value, str):
        return None
    user, server = _split_whatsapp_id(value)
    if server not in _PHONE_SERVERS or not user.isdigit() or len(user) > 15:
        return None
    try:
        return normalize_phone(f"+{user}")
    except ValueError:
        return None


def is_linked_id(value: object) -> bool:
    """Whether ``value`` is a linked id (`123456789012345@lid`, also with a device suffix)."""
    if not isinstance(value, str):
        return False
    user, server = _split_whatsapp_id(value)
    return server == LINKED_ID_SERVER and user.isdigit()


def same_whatsapp_user(first: object, second: object) -> bool:
    """Whether two WhatsApp ids name the same account on the same server, whatever the
    device suffix (`123:4@lid` and `123@lid`; `@c.us` and `@s.whatsapp.net` are one)."""
    if not isinstance(first, str) or not isinstance(second, str):
        return False
    (user_a, server_a), (user_b, server_b) = map(_split_whatsapp_id, (first, second))
    if server_a in _PHONE_SERVERS and server_b in _PHONE_SERVERS:
        server_a = server_b = "c.us"
    return bool(user_a) and (user_a, server_a) == (user_b, server_b)


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
    """The link to a gig in replies, share texts, messages and calendars: its public page
    (`app.web.pages`), which people can read and sign up on."""
    return f"{public_base_url}/g/{gig_id}"
