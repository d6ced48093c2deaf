"""Message rows: a message to make (`Plan`), and making it once (`make`).

Every message, whatever made it (the event log's `messages.hand_out`, or a direct one in
`direct_messages`), is inserted here: once per `key`, with the time it may go
(`send_at`, the quiet hours), and, when it will not be sent by a channel of ours, its
`message.outgoing` event for bridges in the same transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import insert, select

from app.db import Tx, in_ids
from app.integrations.quiet_hours import Window, quiet_until
from app.models import Message, MessageOptOut
from app.models.base import new_id
from app.services import events


@dataclass(frozen=True, slots=True)
class Plan:
    """A message to make: its cause and what it says."""

    key: str
    kind: str
    channel: str
    recipient: str | None
    volunteer_id: str | None
    association_id: str | None
    organization_id: str | None
    gig_id: str | None
    signup_id: str | None
    language: str
    subject: str | None
    body: str
    status: str = "queued"
    due: datetime | None = None  # when to send it (None: now)
    gig_starts_at: datetime | None = None


#: Sent at once, whatever the hour: answers to what a person just did (a chat message, a
#: login, the form on a gig's page).
_NEVER_HELD: Final = frozenset({"reply", "ack", "login_code", "signup_link"})


def send_at(plan: Plan, now: datetime, quiet: Window | None) -> datetime:
    """When a message goes: when due, or, if that falls in the quiet hours, when they
    end (unless it cannot wait: see `_NEVER_HELD`, and a gig that starts before then)."""
    due = plan.due or now
    held = None if plan.kind in _NEVER_HELD else quiet_until(due, quiet)
    starts = plan.gig_starts_at
    if held is None or (starts is not None and due < starts <= held):
        return due
    return held


async def make(tx: Tx, plans: Sequence[Plan], *, now: datetime, quiet: Window | None = None) -> int:
    """Insert the messages whose key is new, each `message.outgoing` event with them; how
    many were new."""
    if not plans:
        return 0
    taken = set(
        await tx.scalars(
            select(Message.key).where(in_ids(Message.key, "keys")),
            keys=[plan.key for plan in plans],
        )
    )
    rows = []
    # Without a channel and due now: handed to bridges at once (no claim needed), unless
    # the address sent STOP.
    at_once = {plan.key for plan in plans if plan.channel == "none" and plan.status == "queued"
               and send_at(plan, now, quiet) <= now}  # fmt: skip
    silenced: set[str] = set()
    if at_once:
        to = sorted({plan.recipient for plan in plans if plan.key in at_once and plan.recipient})
        silenced = set(await tx.scalars(
            select(MessageOptOut.address).where(in_ids(MessageOptOut.address, "addresses")),
            addresses=to))  # fmt: skip
    for plan in plans:
        if plan.key in taken:
            continue
        taken.add(plan.key)
        if plan.key in at_once:
            status = "suppressed" if plan.recipient in silenced else "not_sent"
            plan = dataclasses.replace(plan, status=status)
        row = {
            "id": new_id("out"), "key": plan.key, "kind": plan.kind, "channel": plan.channel,
            "recipient": plan.recipient, "volunteer_id": plan.volunteer_id,
            "association_id": plan.association_id, "organization_id": plan.organization_id,
            "gig_id": plan.gig_id, "signup_id": plan.signup_id, "language": plan.language,
            "subject": plan.subject, "body": plan.body, "status": plan.status, "attempts": 0,
            "next_attempt_at": send_at(plan, now, quiet), "created_at": now,
            "sent_at": now if plan.status == "sent" else None,
            "error": "no channel for this contact" if plan.status == "failed" else None,
        }  # fmt: skip
        rows.append(row)
        if plan.status in ("sent", "not_sent"):  # the bridge's reply, or one for bridges
            # The event's id follows from the message's, so erasure finds it.
            event_id = event_id_of(str(row["id"]))
            events.record(tx, "message.outgoing", outgoing_json(row), event_id=event_id)
    if rows:
        await tx.run_many(insert(Message), rows)
    return len(rows)


def event_id_of(message_id: str) -> str:
    """The id of a message's `message.outgoing` event (it follows from the message's)."""
    return "evt" + message_id.removeprefix("out")


def outgoing_json(message: dict[str, Any]) -> str:
    """The data of `message.outgoing`: the message and what a bridge needs to send it."""
    created = message["created_at"]
    return json.dumps(
        {"id": message["id"], "kind": message["kind"], "channel": message["channel"],
         "status": message["status"], "to": message["recipient"],
         "language": message["language"], "text": message["body"],
         "gig_id": message["gig_id"], "signup_id": message["signup_id"],
         "created_at": created.isoformat().replace("+00:00", "Z")},
        separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
