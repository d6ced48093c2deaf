"""Volunteers: register, read, update, export and erase for good."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.auth import VOLUNTEER_TOKEN_PREFIX, generate_token, hash_token
from app.db import Database, Row, Tx, in_ids, reads, writes
from app.errors import Conflict, NotFound, ValidationFailed, field_error
from app.etags import Tagged, check_if_match, etag_for
from app.models import (
    Association,
    AssociationMember,
    Attestation,
    ChatDraft,
    Gig,
    IdempotencyRecord,
    InboundMessage,
    Message,
    RateLimitCounter,
    Signup,
    Volunteer,
    WhatsappNumberClaim,
)
from app.models.base import new_id, utcnow
from app.schemas.volunteer import (
    ChatMessageExport,
    MembershipRead,
    SentMessageExport,
    VolunteerCreate,
    VolunteerExport,
    VolunteerRead,
    VolunteerUpdate,
)
from app.services import (
    attestations,
    events,
    login_codes,
    messages,
    report_lines,
    signup_reads,
    signups,
)


class VolunteerExists(Conflict):
    type, title = "volunteer-exists", "This e-mail address or phone number is already registered"


logger = logging.getLogger(__name__)

_VOLUNTEER = select(Volunteer).where(Volunteer.id == bindparam("volunteer_id"))


def notifications_of(row: Row) -> dict[str, Any]:
    """The volunteer's choice of messages, or the default: WhatsApp when there is a phone
    number, else e-mail, with reminders."""
    chosen = row.notifications or {}
    channel = chosen.get("channel") or ("whatsapp" if row.phone else "email")
    return {"channel": channel, "reminders": chosen.get("reminders", True)}


def _read(row: Row) -> VolunteerRead:
    return VolunteerRead.model_validate({**row.as_dict(), "notifications": notifications_of(row)})


def _check_notifications(
    choice: dict[str, Any] | None, email: str | None, phone: str | None
) -> None:
    """A chosen channel needs its contact (422 otherwise)."""
    channel = (choice or {}).get("channel")
    if (channel == "whatsapp" and phone is None) or (channel == "email" and email is None):
        needs = "phone" if channel == "whatsapp" else "email"
        raise field_error(
            ["body", "notifications", "channel"], f"{channel} needs the volunteer's {needs}"
        )


def tagged(row: Row) -> Tagged[VolunteerRead]:
    """The profile of a volunteer row, with its ETag."""
    return Tagged(_read(row), etag_for(row.id, row.version))


def has_contact(email: str | None, phone: str | None) -> ColumnElement[bool] | None:
    """A volunteer with this e-mail address or this phone number (as stored); None when
    neither is given."""
    conditions = []
    if email is not None:
        conditions.append(Volunteer.email == email)
    if phone is not None:
        conditions.append(Volunteer.phone == phone)
    return or_(*conditions) if conditions else None


async def _ensure_contact_free(
    tx: Tx, *, email: str | None, phone: str | None, except_id: str | None = None
) -> None:
    contact = has_contact(email, phone)
    if contact is None:
        return
    query = select(Volunteer.id).where(contact)
    if except_id is not None:
        query = query.where(Volunteer.id != except_id)
    if await tx.row(query.limit(1)) is not None:
        raise VolunteerExists("Sign in with the token you received, or use another contact.")


@writes
async def register(
    tx: Tx, *, volunteer_in: VolunteerCreate, volunteer_id: str | None = None
) -> tuple[Tagged[VolunteerRead], str]:
    """A new volunteer (with ``volunteer_id``, or a new id) and its access token (shown
    once; only the hash is kept)."""
    email = volunteer_in.email.lower() if volunteer_in.email else None
    await _ensure_contact_free(tx, email=email, phone=volunteer_in.phone)
    choice = volunteer_in.notifications.model_dump() if volunteer_in.notifications else None
    _check_notifications(choice, email, volunteer_in.phone)
    token = generate_token(VOLUNTEER_TOKEN_PREFIX)
    fields = volunteer_in.model_dump(exclude={"consent", "email"})
    fields["notifications"] = choice
    volunteer_id = volunteer_id or new_id("vol")
    now = utcnow()
    try:
        async with tx.savepoint():
            await tx.run(
                insert(Volunteer),
                fields,
                id=volunteer_id,
                email=email,
                access_token_hash=hash_token(token),
                consent_at=now,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # Someone registered the same contact in a parallel request.
        raise VolunteerExists(
            "Sign in with the token you received, or use another contact."
        ) from None
    return tagged(await tx.one(_VOLUNTEER, volunteer_id=volunteer_id)), token


async def _row(tx: Tx, volunteer_id: str, *, for_update: bool = False) -> Row:
    query = _VOLUNTEER.with_for_update() if for_update else _VOLUNTEER
    row = await tx.row(query, volunteer_id=volunteer_id)
    if row is None:
        raise NotFound("No such volunteer.")
    return row


@reads
async def get(tx: Tx, *, volunteer_id: str) -> Tagged[VolunteerRead]:
    """One volunteer's profile, or 404."""
    return tagged(await _row(tx, volunteer_id))


@writes
async def update_volunteer(
    tx: Tx, *, volunteer_id: str, volunteer_in: VolunteerUpdate, if_match: str | None
) -> Tagged[VolunteerRead]:
    """Apply a partial update; a volunteer always keeps an e-mail or a phone."""
    volunteer = await _row(tx, volunteer_id, for_update=True)
    check_if_match(if_match, etag_for(volunteer.id, volunteer.version))
    changes: dict[str, Any] = volunteer_in.changes()
    if "email" in changes and changes["email"] is not None:
        changes["email"] = changes["email"].lower()
    if "availability" in changes:
        changes["availability"] = [
            window.model_dump() for window in volunteer_in.availability or []
        ]
    email = changes.get("email", volunteer.email)
    phone = changes.get("phone", volunteer.phone)
    if "notifications" in changes and volunteer_in.notifications is not None:
        changes["notifications"] = volunteer_in.notifications.model_dump()
    _check_notifications(changes.get("notifications", volunteer.notifications), email, phone)
    if email is None and phone is None:
        raise ValidationFailed(
            "A volunteer keeps an e-mail address or a phone number.",
            errors=[{"loc": ["body"], "msg": "give an `email` or a `phone`"}],
        )
    lat = changes.get("lat", volunteer.lat)
    lon = changes.get("lon", volunteer.lon)
    if (lat is None) != (lon is None):
        raise ValidationFailed(
            "Coordinates come in pairs.",
            errors=[{"loc": ["body", "lat"], "msg": "give both `lat` and `lon`, or neither"}],
        )
    await _ensure_contact_free(
        tx, email=changes.get("email"), phone=changes.get("phone"), except_id=volunteer.id
    )
    if changes:
        try:
            async with tx.savepoint():
                await tx.run(
                    update(Volunteer)
                    .where(Volunteer.id == volunteer_id)
                    .values(**changes, updated_at=utcnow())
                )
        except IntegrityError:
            raise VolunteerExists("That contact belongs to another volunteer.") from None
    return tagged(await _row(tx, volunteer_id))


_MEMBERSHIPS = (
    select(AssociationMember.association_id, Association.name, AssociationMember.joined_at)
    .join(Association, Association.id == AssociationMember.association_id)
    .where(AssociationMember.volunteer_id == bindparam("volunteer_id"))
    .order_by(AssociationMember.joined_at)
)


@reads
async def export(tx: Tx, *, volunteer_id: str) -> VolunteerExport:
    """Every personal datum held about the volunteer."""
    volunteer = await _row(tx, volunteer_id)
    return VolunteerExport(
        profile=_read(volunteer),
        consent_at=volunteer.consent_at,
        memberships=[
            MembershipRead.model_validate(row)
            for row in await tx.rows(_MEMBERSHIPS, volunteer_id=volunteer_id)
        ],
        signups=await signup_reads.history(tx, volunteer_id=volunteer_id),
        chat_messages=[
            ChatMessageExport.model_validate(row)
            for row in await tx.rows(_CHATS, phone=volunteer.phone or "")
        ],
        messages=[
            SentMessageExport.model_validate(row)
            for row in await tx.rows(
                _SENT, volunteer_id=volunteer_id, recipients=_addresses(volunteer)
            )
        ],
        attestations=await attestations.of_volunteer(tx, volunteer_id),
    )


def _body_holds(tx: Tx, value: str) -> Any:
    """A stored response body (bytes) holds ``value`` (LIKE does not look into blobs)."""
    if tx.dialect.name == "sqlite":
        return func.instr(IdempotencyRecord.body, value.encode()) > 0
    return func.strpos(func.convert_from(IdempotencyRecord.body, "UTF8"), value) > 0


def _traces(volunteer: Row) -> list[str]:
    """How the volunteer's contact appears in stored bodies: the number's digits (also
    inside chat ids), the e-mail address."""
    return [value for value in (volunteer.phone and volunteer.phone.lstrip("+"), volunteer.email)
            if value]  # fmt: skip


def _addresses(volunteer: Row) -> list[str]:
    return [address for address in (volunteer.phone, volunteer.email) if address]


_CHATS = (
    select(InboundMessage.id, InboundMessage.channel, InboundMessage.text, InboundMessage.status,
           InboundMessage.gig_id, InboundMessage.sent_at, InboundMessage.received_at,
           InboundMessage.reply)
    .where(InboundMessage.sender == bindparam("phone"), InboundMessage.message_type != "status")
    .order_by(InboundMessage.id)
)  # fmt: skip
_SENT = (
    select(Message.id, Message.kind, Message.channel, Message.recipient, Message.subject,
           Message.body, Message.status, Message.created_at, Message.sent_at)
    .where(or_(Message.volunteer_id == bindparam("volunteer_id"),
               in_ids(Message.recipient, "recipients")))
    .order_by(Message.id)
)  # fmt: skip


_UPCOMING = (
    select(Signup.id)
    .join(Gig, Gig.id == Signup.gig_id)
    .where(
        Signup.volunteer_id == bindparam("volunteer_id"),
        Signup.status != "cancelled",
        Gig.starts_at > bindparam("now"),
    )
)


async def erase(database: Database, *, volunteer_id: str) -> None:
    """Erase the volunteer (`erase_rows`), then clear the database's files of what the
    rows held (`Database.forget_old_pages`)."""
    await erase_rows(database, volunteer_id=volunteer_id)
    if not await database.forget_old_pages():
        logger.warning("the write-ahead log could not be emptied after an erasure: readers held it")


@writes
async def erase_rows(tx: Tx, *, volunteer_id: str) -> None:
    """Erase the volunteer for good: the row (its birth date too), memberships,
    attestations and stored responses about them.

    Sign-ups for gigs still to come are cancelled (their spots go to the waitlist); those
    of gigs that started stay, anonymous, as counts and hours: their `volunteer_id` is
    set to NULL by the database. Memberships go with the row (ON DELETE CASCADE). Chat
    messages from the person's phone number lose sender and text.
    """
    await report_lines.hold_refresh(tx)
    volunteer = await _row(tx, volunteer_id, for_update=True)
    for signup_id in await tx.scalars(_UPCOMING, volunteer_id=volunteer.id, now=utcnow()):
        signup, gig = await signups.lock_for_change(tx, signup_id)
        if signup.status != "cancelled":
            await signups.cancel_locked(tx, signup, gig)
    if volunteer.phone is not None:
        # WAHA's message ids hold the number, the Cloud API's encode it: replaced by ours.
        tx.defer(
            update(InboundMessage)
            .where(InboundMessage.sender == volunteer.phone)
            .values(sender=None, text=None, reply=None, error=None,
                    message_id=literal("erased:") + InboundMessage.id)
        )  # fmt: skip
        tx.defer(
            delete(RateLimitCounter).where(RateLimitCounter.key == f"whatsapp:{volunteer.phone}")
        )
        tx.defer(delete(WhatsappNumberClaim).where(WhatsappNumberClaim.number == volunteer.phone))
        tx.defer(delete(ChatDraft).where(ChatDraft.sender == volunteer.phone))
    messages.erase_volunteer(tx, volunteer.id, volunteer.phone)
    report_lines.forget_person(tx, volunteer.id)
    counters = [
        login_codes.contact_key(volunteer.email, None),
        login_codes.contact_key(None, volunteer.phone),
        f"login-tries:{volunteer.id}",
    ]
    tx.defer(delete(RateLimitCounter).where(RateLimitCounter.key.in_(counters)))
    if volunteer.phone is not None:  # WAHA's delivery reports name the chat: the number
        tx.defer(delete(InboundMessage).where(
            InboundMessage.message_type == "status",
            InboundMessage.message_id.contains(volunteer.phone.lstrip("+") + "@c.us")))  # fmt: skip
    tx.defer(delete(IdempotencyRecord).where(or_(
        IdempotencyRecord.subject == volunteer.id,
        # Stored responses that name them (a bridge's relay of their chat message).
        *(_body_holds(tx, value) for value in _traces(volunteer)))))  # fmt: skip
    tx.defer(delete(AssociationMember).where(AssociationMember.volunteer_id == volunteer.id))
    tx.defer(delete(Attestation).where(Attestation.volunteer_id == volunteer.id))
    tx.defer(delete(Volunteer).where(Volunteer.id == volunteer.id))
    events.record(tx, "volunteer.erased", events.erased(volunteer.id))
