"""Inbound chat messages: store once, resolve the sender, read the text as a gig, reply.

One path for the three channels (Cloud API, WAHA, bridge). A message is inserted first
with ``INSERT ... ON CONFLICT DO NOTHING`` on (channel, message_id): a redelivery, even
one running in parallel, finds the row taken (PostgreSQL waits for the first transaction
to end, SQLite writers are serialised by ``BEGIN IMMEDIATE``) and changes nothing. Only
the transaction that inserted the row goes on to create the gig, in the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import bindparam, select, update

from app.auth import Principal
from app.db import Row, Tx, reads, writes
from app.errors import AppError, RateLimited
from app.integrations.channels import NO_CHANNELS, Channels
from app.integrations.inbound import InboundMessageIn, gig_link, is_linked_id
from app.integrations.message_parser import ParsedMessage, compose_reply, parse_message
from app.integrations.message_reply import ReplyStatus
from app.integrations.message_texts import render_answer
from app.integrations.message_vocabulary import Language
from app.models import InboundMessage, Organization, OrganizationWhatsappNumber
from app.models.base import new_id, utcnow
from app.pagination import decode_cursor, split_page
from app.services import (
    answers,
    chat_drafts,
    direct_messages,
    gigs,
    message_sending,
    number_claims,
    rate_limits,
)
from app.services.chat_gigs import gig_from_message, within_bounds

# Per sender, across channels. Over the limit, webhook messages are recorded as ignored
# (still 200, so the sender's platform does not retry for ever); the bridge gets a 429.
SENDER_LIMIT: Final = 30
SENDER_PERIOD_SECONDS: Final = 60
_UNKNOWN_SENDER: Final[dict[Language, str]] = {
    "nl": (
        "Dit nummer is niet bekend bij Klusmakelaar, dus er is geen klus van gemaakt. "
        "Vraag Link050 om {sender} toe te voegen aan de WhatsApp-nummers van je organisatie."
    ),
    "en": (
        "This number is not registered with Klusmakelaar, so no task was created. "
        "Ask Link050 to add {sender} to your organisation's WhatsApp numbers."
    ),
}
# A WAHA group member whose number WhatsApp hides (a `@lid` id without a phone field).
_HIDDEN_NUMBER: Final = (
    "WhatsApp laat mij je telefoonnummer hier niet zien, dus er is geen klus van gemaakt. "
    "Stuur je klus in een privébericht aan dit nummer; staat je nummer nog niet bij je "
    "organisatie, vraag Link050 dan om het toe te voegen.\n\n"
    "WhatsApp does not show me your phone number here, so no task was created. Please send "
    "your task in a private message to this number; if your number is not registered with "
    "your organisation yet, ask Link050 to add it."
)
_FAILED: Final[dict[Language, str]] = {
    "nl": "Sorry, je klus kon niet worden opgeslagen. Link050 kijkt ernaar.",
    "en": "Sorry, your task could not be saved. Link050 will look into it.",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one received message; ``duplicate`` when it was stored before."""

    message: Row
    gig: Row | None
    duplicate: bool


@dataclass
class _Handling:
    """What is decided about a new message, written to its row at the end."""

    status: str = "pending"
    error: str | None = None
    reply: str | None = None
    language: str | None = None
    organization_id: str | None = None
    gig_id: str | None = None
    gig: Row | None = field(default=None, repr=False)
    kind: str = "reply"  # of the message that answers it ("ack" for an answer)

    def values(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "reply": self.reply,
                "language": self.language, "organization_id": self.organization_id,
                "gig_id": self.gig_id}  # fmt: skip


_MESSAGE = select(InboundMessage).where(InboundMessage.id == bindparam("id"))
_BY_MESSAGE_ID = select(InboundMessage).where(
    InboundMessage.channel == bindparam("channel"),
    InboundMessage.message_id == bindparam("message_id"),
)


async def _insert(tx: Tx, message_in: InboundMessageIn, received_at: datetime) -> str | None:
    """Store the message as pending; None when (channel, message_id) is already taken."""
    statement = (
        tx.insert(InboundMessage)
        .values(
            id=new_id("msg"),
            channel=message_in.channel,
            message_id=message_in.message_id,
            message_type=message_in.message_type,
            sender=message_in.sender,
            text=message_in.text,
            sent_at=message_in.sent_at,
            received_at=received_at,
            status="pending",
        )
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(InboundMessage.id)
    )
    inserted: str | None = await tx.scalar(statement)
    return inserted


async def _retry_after(tx: Tx, sender: str, now: datetime) -> int | None:
    """Count one message for the sender; the seconds to wait when over the limit, else None."""
    moment = now.timestamp()
    counted = await rate_limits.count(
        tx, key=f"whatsapp:{sender}", period_seconds=SENDER_PERIOD_SECONDS, now=moment
    )
    if counted <= SENDER_LIMIT:
        return None
    return rate_limits.retry_after(moment, SENDER_PERIOD_SECONDS)


async def organization_for(tx: Tx, sender: str | None) -> str | None:
    """The organisation that lists ``sender`` among its WhatsApp numbers, if any."""
    if sender is None:
        return None
    organization_id: str | None = await tx.scalar(
        select(OrganizationWhatsappNumber.organization_id).where(
            OrganizationWhatsappNumber.number == sender
        )
    )
    return organization_id


async def _create_gig(
    tx: Tx,
    message: Row,
    parsed: ParsedMessage,
    organization_id: str,
    handling: _Handling,
) -> Row | None:
    source = "bridge" if message.channel == "bridge" else "whatsapp"
    principal = Principal(role="organization", organization_id=organization_id)
    try:
        gig_in = gig_from_message(parsed, message.text or "", message.received_at)
        async with tx.savepoint():
            return await gigs.insert_gig(tx, principal=principal, gig_in=gig_in, source=source)
    except (AppError, ValidationError) as error:
        handling.status = "failed"
        handling.error = str(getattr(error, "detail", error))[:500]
        handling.reply = _FAILED[parsed.language]
        return None


async def _answers_draft(
    tx: Tx,
    message: Row,
    sender: str,
    handling: _Handling,
    written_at: datetime,
    public_base_url: str,
) -> bool:
    """Read the message as the answer to the sender's open chat draft, if it is one."""
    try:
        draft = await chat_drafts.pending(
            tx, channel=message.channel, sender=sender, text=message.text, now=written_at
        )
    except (OverflowError, ValueError):  # e.g. a year like 9999: read as a new message
        return False
    if draft is None:
        return False
    if await organization_for(tx, sender) != draft.organization_id:
        return False  # the number no longer posts for the draft's organisation
    try:
        answered = await chat_drafts.answer(
            tx, draft=draft, text=message.text, now=written_at, public_base_url=public_base_url
        )
    except (OverflowError, ValueError):  # read before anything is written
        return False
    handling.status = "created" if answered.published else "draft"
    handling.organization_id, handling.gig_id = draft.organization_id, answered.gig_id
    handling.reply, handling.language = answered.reply, answered.language
    handling.gig = await tx.row(gigs.GIG, gig_id=answered.gig_id)
    return True


async def _process(
    tx: Tx, message: Row, message_in: InboundMessageIn, public_base_url: str
) -> _Handling:
    handling = _Handling()
    if message_in.sender is None:
        handling.status = "unknown_sender"
        handling.error = f"the sender id {message_in.sender_id[:80]!r} is not a phone number"
        if is_linked_id(message_in.sender_id):
            handling.reply, handling.language = _HIDDEN_NUMBER, "nl"
        return handling
    if message.text:
        linked = await number_claims.answer(
            tx, sender=message_in.sender, text=message.text, now=message.received_at
        )
        if linked is not None:  # the number confirmed it posts for this organisation
            name = await tx.scalar(select(Organization.name).where(Organization.id == linked))
            handling.status, handling.organization_id, handling.kind = "answered", linked, "ack"
            handling.reply = (
                render_answer("number_linked", "nl", name=str(name))
                + "\n\n"
                + (render_answer("number_linked", "en", name=str(name)))
            )
            return handling
        answered = await answers.answer(
            tx, sender=message_in.sender, text=message.text, now=message.received_at,
            base_url=public_base_url,
        )  # fmt: skip
        if answered is not None:  # "ja" / "nee" to a reminder, STOP or START
            handling.status = "answered"
            handling.reply, handling.language = answered.reply, answered.language
            handling.gig_id, handling.kind = answered.gig_id, "ack"
            return handling
    written_at = min(message.sent_at or message.received_at, message.received_at)
    if message.text and await _answers_draft(tx, message, message_in.sender, handling,
                                             written_at, public_base_url):  # fmt: skip
        return handling
    try:
        parsed = parse_message(message.text or "", now=written_at)
    except (OverflowError, ValueError):  # e.g. a year like 9999: record it, answer 200
        handling.status = "failed"
        handling.error = "the date or time could not be read"
        return handling
    parsed = within_bounds(parsed, message.received_at)
    handling.language = parsed.language
    organization_id = await organization_for(tx, message_in.sender)
    if organization_id is None:
        handling.status = "unknown_sender"
        handling.reply = _UNKNOWN_SENDER[parsed.language].format(sender=message_in.sender)
        return handling
    handling.organization_id = organization_id
    gig = await _create_gig(tx, message, parsed, organization_id, handling)
    if gig is None:
        return handling
    status: ReplyStatus = "created" if gig.status == "open" else "draft"
    if status == "draft":
        await chat_drafts.keep(tx, gig=gig, parsed=parsed, channel=message.channel,
                               sender=message_in.sender, now=message.received_at)  # fmt: skip
    handling.status = status
    handling.gig_id = gig.id
    handling.gig = gig
    handling.reply = compose_reply(
        parsed, gig_url=gig_link(public_base_url, gig.id), status=status, lang=parsed.language
    )
    return handling


async def receive(
    tx: Tx,
    *,
    message_in: InboundMessageIn,
    public_base_url: str,
    refuse_over_limit: bool = False,
    channels: Channels = NO_CHANNELS,
) -> Outcome:
    """Store a message once and act on it; a repeat returns the first outcome unchanged.
    Its reply goes back by the channel it came in on (`services.messages`).

    Over the sender's rate limit the message is recorded as ignored, or, with
    ``refuse_over_limit`` (the bridge, which can retry), a 429 is raised and nothing is kept.
    """
    received_at = utcnow()
    inserted = await _insert(tx, message_in, received_at)
    if inserted is None:
        existing = await tx.one(
            _BY_MESSAGE_ID, channel=message_in.channel, message_id=message_in.message_id
        )
        gig = await tx.row(gigs.GIG, gig_id=existing.gig_id) if existing.gig_id else None
        return Outcome(existing, gig, duplicate=True)
    message = await tx.one(_MESSAGE, id=inserted)
    handling = _Handling()
    if message_in.about is not None and message_in.delivery_status is not None:
        await message_sending.provider_status(tx, channel=message_in.channel,
                                       provider_id=message_in.about,
                                       status=message_in.delivery_status)  # fmt: skip
    if message_in.ignore_reason is not None:
        handling.status, handling.error = "ignored", message_in.ignore_reason
    else:
        retry_after = await _retry_after(tx, message_in.sender or message_in.sender_id, received_at)
        if retry_after is not None:
            if refuse_over_limit:
                raise RateLimited(retry_after)
            handling.status = "ignored"
            handling.error = f"over the sender's limit of {SENDER_LIMIT} messages a minute"
        else:
            handling = await _process(tx, message, message_in, public_base_url)
    await tx.run(
        update(InboundMessage).where(InboundMessage.id == inserted).values(**handling.values())
    )
    # A sender whose number WhatsApp hides is answered in their own chat (WAHA only).
    recipient = message_in.sender or (
        message_in.sender_id if message_in.channel == "waha" else None
    )
    if handling.reply and recipient:
        await direct_messages.record_reply(
            tx, channels=channels, inbound_id=inserted, inbound_channel=message_in.channel,
            sender=recipient, language=handling.language or "nl",
            reply=handling.reply, organization_id=handling.organization_id,
            gig_id=handling.gig_id, now=received_at, kind=handling.kind,
        )  # fmt: skip
    return Outcome(await tx.one(_MESSAGE, id=inserted), handling.gig, duplicate=False)


@writes
async def receive_one(
    tx: Tx,
    *,
    message_in: InboundMessageIn,
    public_base_url: str,
    refuse_over_limit: bool = False,
    channels: Channels = NO_CHANNELS,
) -> Outcome:
    """One message (the bridge), in its own transaction."""
    return await receive(
        tx,
        message_in=message_in,
        public_base_url=public_base_url,
        refuse_over_limit=refuse_over_limit,
        channels=channels,
    )


@writes
async def receive_all(
    tx: Tx,
    *,
    received: list[InboundMessageIn],
    public_base_url: str,
    channels: Channels = NO_CHANNELS,
) -> list[Outcome]:
    """Every message of a webhook delivery, in order, in one transaction."""
    return [
        await receive(tx, message_in=message_in, public_base_url=public_base_url, channels=channels)
        for message_in in received
    ]


@reads
async def list_page(
    tx: Tx,
    *,
    limit: int,
    cursor: str | None,
    status: str | None = None,
    channel: str | None = None,
) -> tuple[list[Row], str | None]:
    """Received messages, newest first; the cursor is the last id of the previous page."""
    query = select(InboundMessage)
    if status is not None:
        query = query.where(InboundMessage.status == status)
    if channel is not None:
        query = query.where(InboundMessage.channel == channel)
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, [str])
        query = query.where(InboundMessage.id < before_id)
    rows = await tx.rows(query.order_by(InboundMessage.id.desc()).limit(limit + 1))
    return split_page(rows, limit, lambda message: [message.id])
