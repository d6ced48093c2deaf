"""WAHA (self-hosted WhatsApp HTTP API) webhook: HMAC check and event → messages.

WAHA signs the raw body with the session's HMAC key: ``X-Webhook-Hmac`` is the hex
HMAC-SHA512 and ``X-Webhook-Hmac-Algorithm`` says ``sha512`` (a missing algorithm
header is read as ``sha512``; any other algorithm is refused). Events ``message`` and
``message.any`` are read (``message.any`` also carries our own messages, which are
skipped like every ``fromMe`` message), and ``message.ack`` updates the status of one of
our messages; other events are acknowledged and dropped.

Newer WhatsApp versions name a sender by a linked id (`123456789012345@lid`) instead of
the phone (`31612345678@c.us`), in groups above all. The linked id stays the message's
``sender_id``; its phone number is then read from the raw message in ``_data``, where
each WAHA engine puts it (see `sender_phone`), and never from the linked id itself.
"""

from __future__ import annotations

from typing import Any

from app.integrations.inbound import (
    InboundMessageIn,
    hmac_hex_matches,
    is_linked_id,
    message_id,
    phone_from_whatsapp_id,
    plain_text,
    same_whatsapp_user,
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
    if _in_group(payload):
        chat = payload.get("participant")
    return plain_text(chat, 80) or ""


def _in_group(payload: dict[str, Any]) -> bool:
    """Whether the message was written in a group (its chat is a `@g.us` id)."""
    chat = payload.get("from")
    return isinstance(chat, str) and chat.endswith(GROUP_SUFFIX)


# Where each WAHA engine keeps the phone number of a sender WhatsApp names by a linked
# id. WAHA passes the engine's own message as ``payload._data`` (`toWAMessage` in
# devlikeapro/waha src/core/engines/{noweb,gows,webjs}/session.*.core.ts: `_data: message`
# and, for WEBJS, `_data: message.rawData`); a group's `participant` is the engine's
# sender (NOWEB `key.participant`, GOWS `Info.Sender`) and `to` is us (WAMessage in
# src/structures/responses.dto.ts), so `to` is never read. Only fields about the sender
# of this message are read, each only when it holds a phone-number id:
# - NOWEB (Baileys) `_data.key`: in a group `participantAlt` (Baileys 7) or
#   `participantPn` (6.7), in a direct chat `remoteJidAlt` (7) or `senderPn` (6.7), as
#   `31612345678@s.whatsapp.net` — a key whose own `participant`/`remoteJid` is another
#   id is skipped. Seen in WAHA's webhooks: devlikeapro/waha issues #1608 and #1073
#   (`_data.key.remoteJid`/`remoteJidAlt`); names in WhiskeySockets/Baileys issues #2081
#   and #2042 and `decodeMessageNode` (`participant_pn`/`sender_pn` → `*Alt`). In a
#   group `remoteJidAlt` would be about the group, so it is not read there.
# - GOWS (whatsmeow) `_data.Info`: `Sender` when it is a phone id, else `SenderAlt` of
#   the same `Sender` (`31612345678:12@s.whatsapp.net`): whatsmeow types/message.go,
#   MessageSource ("SenderAlt: the alternative address of the user who sent the
#   message"). `RecipientAlt` is the recipient's ("for DMs"): on a received message that
#   is us, so it is never read.
# - WEBJS (whatsapp-web.js `rawData`): `author` or `id.participant` in a group, `from`
#   in a direct chat (a group's `from` is the group), each a string or a `{_serialized}`
#   object; they hold a phone id only where WhatsApp Web still gives one (WAHA issues
#   #1703, #1711 and #1849 report WEBJS senders given only as `@lid`: left unresolved).
# WAHA's top-level payload has no such field (no `participantAlt`/`fromAlt` in its
# WAMessage); the `/api/{session}/lids/{lid}` lookup (docs "how-to/contacts", "Lids -
# API") needs a call back to WAHA and is not used here.
_NOWEB_PHONE_FIELDS = {True: ("participant", ("participantAlt", "participantPn")),
                       False: ("remoteJid", ("remoteJidAlt", "senderPn"))}  # fmt: skip


def sender_phone(payload: dict[str, Any], author: str) -> str | None:
    """E.164 of the sender: from ``author`` (the sender id) when it is a phone id; for a
    linked id, the one phone number the engine's raw message gives for that same sender
    (None when it gives none, or two different ones)."""
    phone = phone_from_whatsapp_id(author)
    data = payload.get("_data")
    if phone is not None or not is_linked_id(author) or not isinstance(data, dict):
        return phone
    group = _in_group(payload)
    candidates = (
        *_noweb_phone_ids(data, author, group),
        *_gows_phone_ids(data, author),
        *_webjs_phone_ids(data, group),
    )
    phones = {phone_from_whatsapp_id(candidate) for candidate in candidates} - {None}
    return phones.pop() if len(phones) == 1 else None


def _noweb_phone_ids(data: dict[str, Any], author: str, group: bool) -> list[object]:
    """NOWEB: the phone-number fields of the Baileys message key about ``author``."""
    key = data.get("key")
    if not isinstance(key, dict) or key.get("fromMe") is True:
        return []
    own_field, phone_fields = _NOWEB_PHONE_FIELDS[group]
    if not _same_or_absent(key.get(own_field), author):
        return []
    return [key.get(field) for field in phone_fields]


def _gows_phone_ids(data: dict[str, Any], author: str) -> list[object]:
    """GOWS: whatsmeow's `Info.Sender` when it is a phone id, else its `SenderAlt`."""
    info = data.get("Info")
    if not isinstance(info, dict) or info.get("IsFromMe") is True:
        return []
    sender = info.get("Sender")
    if phone_from_whatsapp_id(sender) is not None:
        return [sender]
    return [info.get("SenderAlt")] if _same_or_absent(sender, author) else []


def _webjs_phone_ids(data: dict[str, Any], group: bool) -> list[object]:
    """WEBJS: the author of a group message, or the chat a direct message came from."""
    key = data.get("id")
    if data.get("fromMe") is True or (isinstance(key, dict) and key.get("fromMe") is True):
        return []
    if not group:
        return [_jid_text(data.get("from"))]
    participant = key.get("participant") if isinstance(key, dict) else None
    return [_jid_text(data.get("author")), _jid_text(participant)]


def _same_or_absent(engine_id: object, author: str) -> bool:
    """Whether the engine's own id for the sender is missing or names ``author``."""
    return engine_id in (None, "") or same_whatsapp_user(engine_id, author)


def _jid_text(value: object) -> object:
    """A whatsapp-web.js id as text: a string, or the `_serialized` of an id object."""
    return value.get("_serialized") if isinstance(value, dict) else value


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
            sender=sender_phone(payload, author),
            sender_id=author,
            text=text,
            message_type=kind,
            sent_at=timestamp(payload.get("timestamp")),
            ignore_reason=None if text and not has_media else reason,
        )
    ]
