"""Sending messages to people: due messages are claimed (`FOR UPDATE SKIP LOCKED` on
PostgreSQL) for `LEASE`, screened once more (`_screen`), sent by the dispatcher with the
message's id as the provider's key, and marked `sent`, retried later (after
`RETRY_DELAYS`), or `failed`; providers' status reports move them on. Making them is
`services.messages`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import and_, bindparam, func, or_, select, update

from app.db import Query, Row, Tx, in_ids, reads, writes
from app.models import Gig, InboundMessage, Message, MessageOptOut, Signup, Volunteer
from app.models.base import UTCDateTime
from app.models.message import SECRET_KINDS
from app.services import events
from app.services.message_rows import event_id_of, outgoing_json
from app.services.messages import CURSOR

LEASE: Final = timedelta(seconds=60)
#: After the n-th failed attempt, wait RETRY_DELAYS[n - 1]; after the last, give up.
RETRY_DELAYS: Final = (
    timedelta(seconds=10), timedelta(seconds=60), timedelta(minutes=5), timedelta(minutes=30),
    timedelta(hours=2), timedelta(hours=6),
)  # fmt: skip


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta | None:
    """How long to wait after the ``attempt``-th failed attempt (1-based), ± 20 %;
    None: give up."""
    if attempt > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempt - 1] * (rng or random).uniform(0.8, 1.2)


# ---- sending ---------------------------------------------------------------------------

_DUE = or_(
    and_(Message.status == "queued", Message.next_attempt_at <= bindparam("now")),
    and_(Message.status == "sending", Message.lease_until < bindparam("now")),
)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message to send now."""

    id: str
    attempt: int
    channel: str
    recipient: str
    language: str
    subject: str | None
    body: str
    lease_until: datetime
    kind: str = ""
    in_window: bool = False  # the person wrote to us in the last 24 hours (WhatsApp)


#: WhatsApp's customer service window: within it, free-form messages; outside, templates.
SERVICE_WINDOW: Final = timedelta(hours=24)


@writes
async def claim(tx: Tx, *, now: datetime, limit: int) -> list[ClaimedMessage]:
    """Take up to ``limit`` due messages for this process, until `LEASE` from now."""
    due = await tx.rows(
        select(Message.id, Message.attempts, Message.channel, Message.recipient,
               Message.language, Message.subject, Message.body, Message.kind,
               Message.signup_id, Message.gig_id, Message.created_at, Message.status,
               Message.key, Message.volunteer_id)
        .where(_DUE)
        .order_by(Message.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True),
        now=now,
    )  # fmt: skip
    due = await _screen(tx, due)
    unsent = [row for row in due if row.channel == "none"]
    if unsent:
        # No channel for these people: handed to bridges now that they are due.
        await tx.run(update(Message).where(in_ids(Message.id, "ids"))
                     .values(status="not_sent", lease_until=None),
                     ids=[row.id for row in unsent])  # fmt: skip
        for row in unsent:
            values = {**row.as_dict(), "status": "not_sent"}
            events.record(tx, "message.outgoing", outgoing_json(values),
                          event_id=event_id_of(row.id))  # fmt: skip
        due = [row for row in due if row.channel != "none"]
    if not due:
        return []
    await tx.run(
        update(Message)
        .where(in_ids(Message.id, "ids"))
        .values(status="sending", lease_until=now + LEASE, attempts=Message.attempts + 1),
        ids=[row.id for row in due],
    )
    numbers = sorted({row.recipient for row in due if row.channel == "whatsapp" and row.recipient})
    wrote = set()
    if numbers:
        wrote = set(await tx.scalars(
            select(InboundMessage.sender).where(
                InboundMessage.channel == "whatsapp", in_ids(InboundMessage.sender, "numbers"),
                InboundMessage.received_at > bindparam("since", type_=UTCDateTime()))
            .distinct(), numbers=numbers, since=now - SERVICE_WINDOW))  # fmt: skip
    return [
        ClaimedMessage(row.id, row.attempts + 1, row.channel, row.recipient or "",
                       row.language, row.subject, row.body or "", now + LEASE, row.kind,
                       row.recipient in wrote)
        for row in due
    ]  # fmt: skip


_SUPPRESS = (
    update(Message)
    .where(Message.id == bindparam("message_id"))
    .values(status="suppressed", lease_until=None, error=bindparam("why"))
)
_READDRESS = (
    update(Message)
    .where(Message.id == bindparam("message_id"))
    .values(recipient=bindparam("new_recipient"))
)


async def _screen(tx: Tx, due: list[Row]) -> list[Row]:
    """The due messages that are still to go, as things are now: a reminder only for a
    sign-up still confirmed, at the gig's current time (its key's sequence); nothing to a
    volunteer who chose no messages (or no reminders) or to an address that sent STOP
    (but the acknowledgement of the STOP); to the volunteer's current contact. The
    others become `suppressed` (a login code's text blanked)."""
    dropped: dict[str, str] = {}
    reminders = [row for row in due if row.kind == "reminder"]
    if reminders:
        current = {row.id: row for row in await tx.rows(
            select(Signup.id, Signup.status, Gig.sequence).join(Gig, Gig.id == Signup.gig_id)
            .where(in_ids(Signup.id, "ids")),
            ids=sorted({row.signup_id for row in reminders if row.signup_id}))}  # fmt: skip
        for row in reminders:
            now_is = current.get(row.signup_id)
            if (now_is is None or now_is.status != "confirmed"
                    or row.key.rsplit(":", 1)[-1] != str(now_is.sequence)):  # fmt: skip
                dropped[row.id] = "the sign-up was cancelled or the gig moved"
    people = {row.id: row for row in await tx.rows(
        select(Volunteer.id, Volunteer.phone, Volunteer.email, Volunteer.notifications)
        .where(in_ids(Volunteer.id, "ids")),
        ids=sorted({row.volunteer_id for row in due if row.volunteer_id}))}  # fmt: skip
    readdressed: dict[str, str] = {}
    for row in due:
        if row.id in dropped or row.volunteer_id is None or row.kind in SECRET_KINDS:
            continue
        person = people.get(row.volunteer_id)
        wanted = (person.notifications or {}) if person is not None else {}
        if (
            person is None
            or wanted.get("channel") == "none"
            or (row.kind == "reminder" and wanted.get("reminders") is False)
        ):
            dropped[row.id] = "the volunteer chose not to get it"
            continue
        contact = {"email": person.email, "whatsapp": person.phone, "waha": person.phone}.get(
            row.channel, row.recipient
        )
        if contact is None:
            dropped[row.id] = "no contact for this channel any more"
        elif contact != row.recipient:
            readdressed[row.id] = contact
    addresses = {readdressed.get(row.id, row.recipient) for row in due} - {None}
    silenced = set(await tx.scalars(
        select(MessageOptOut.address).where(in_ids(MessageOptOut.address, "addresses")),
        addresses=sorted(addresses)))  # fmt: skip
    for row in due:
        if row.kind != "ack" and readdressed.get(row.id, row.recipient) in silenced:
            dropped.setdefault(row.id, "the person sent STOP")
    if dropped:
        await tx.run_many(_SUPPRESS, [{"message_id": key, "why": why}
                                      for key, why in dropped.items()])  # fmt: skip
        codes = [row.id for row in due if row.id in dropped and row.kind in SECRET_KINDS]
        if codes:
            await tx.run(update(Message).where(in_ids(Message.id, "ids"))
                         .values(body=None, subject=None), ids=codes)  # fmt: skip
    kept = [row for row in due if row.id not in dropped]
    moved = [{"message_id": key, "new_recipient": to} for key, to in readdressed.items()
             if key not in dropped]  # fmt: skip
    if moved:
        await tx.run_many(_READDRESS, moved)
    return [row._replace(recipient=readdressed[row.id]) if row.id in readdressed else row
            for row in kept]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sent:
    """What one attempt came to: the provider's id, or the error and whether to retry."""

    claimed: ClaimedMessage
    attempted_at: datetime
    provider_id: str | None
    error: str | None = None
    retry: bool = False


_FINISH = (
    update(Message)
    .where(
        Message.id == bindparam("message_id"),
        Message.status == "sending",
        Message.attempts == bindparam("attempt"),
    )
    .values(
        status=bindparam("new_status"),
        lease_until=None,
        provider_id=bindparam("new_provider_id"),
        error=bindparam("new_error"),
        sent_at=bindparam("new_sent_at"),
        next_attempt_at=func.coalesce(
            bindparam("retry_at", type_=UTCDateTime()), Message.next_attempt_at
        ),
    )
)


def _finish(sent: Sent) -> tuple[str, dict[str, object]]:
    values: dict[str, object] = {
        "message_id": sent.claimed.id, "attempt": sent.claimed.attempt,
        "new_provider_id": sent.provider_id, "new_error": None, "new_sent_at": None,
        "retry_at": None,
    }  # fmt: skip
    if sent.error is None:
        return "sent", {**values, "new_status": "sent", "new_sent_at": sent.attempted_at}
    values["new_error"] = sent.error[:500]
    delay = retry_delay(sent.claimed.attempt) if sent.retry else None
    if delay is None:
        return "failed", {**values, "new_status": "failed"}
    return "queued", {**values, "new_status": "queued", "retry_at": sent.attempted_at + delay}


@writes
async def record_sends(tx: Tx, *, results: Sequence[Sent]) -> list[str]:
    """What each attempt came to, in one transaction: `sent`, `queued` (to retry),
    `failed`, or `stale` (its claim had run out and another attempt took it over)."""
    decided = [_finish(sent) for sent in results]
    changed = await tx.counts(*(Query(_FINISH, values) for _, values in decided))
    outcomes = [
        outcome if count else "stale" for (outcome, _), count in zip(decided, changed, strict=True)
    ]
    gone = [sent.claimed.id for sent, outcome in zip(results, outcomes, strict=True)
            if sent.claimed.kind in SECRET_KINDS and outcome in ("sent", "failed")]  # fmt: skip
    if gone:  # a code is not kept in the message log once it has gone
        await tx.run(update(Message).where(in_ids(Message.id, "ids"))
                     .values(body=None, subject=None), ids=gone)  # fmt: skip
    return outcomes


_LATER_STATES: Final = {"sent": ("queued", "sending"), "delivered": ("sent",),
                        "read": ("sent", "delivered"), "failed": ("sent", "delivered")}  # fmt: skip


async def provider_status(tx: Tx, *, channel: str, provider_id: str, status: str) -> None:
    """A provider's status update (Cloud API `statuses`, WAHA `message.ack`) about the
    message it knows as ``provider_id``: only ever forward (sent → delivered → read)."""
    earlier = _LATER_STATES.get(status)
    if earlier is None or not provider_id:
        return
    values: dict[str, object] = {"status": status}
    if status == "failed":
        values["error"] = "the provider reported that it could not deliver the message"
    await tx.run(
        update(Message)
        .where(Message.channel == channel, Message.provider_id == provider_id,
               Message.status.in_(earlier))
        .values(**values)
    )  # fmt: skip


@reads
async def waiting(tx: Tx, *, now: datetime) -> tuple[bool, bool]:
    """(events to turn into messages, messages due): looked at without a lock."""
    due = await tx.scalar(select(Message.id).where(_DUE).limit(1), now=now)
    return await events.new_since(tx, CURSOR), due is not None
