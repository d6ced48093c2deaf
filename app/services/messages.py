"""Messages to people: made from the event log, sent by the dispatcher, at most once each.

How a message comes to be:
- A change records its event in its own transaction (`services.events`). The dispatcher
  follows the log with a cursor of its own (`hand_out`) and turns the events that
  concern people into messages, in one transaction with the cursor's move: an event is
  handed out once, and a message's `key` (its cause, e.g. `promoted:sgn_…`) is unique,
  so nothing is made twice and, since the event commits with its change, nothing is
  lost. The hot paths (a sign-up) write nothing more than their event.
- A chat message's reply is made in the transaction that handles the chat message
  (`direct_messages.record_reply`).

Which events make which messages (to the sign-up's volunteer, or a group's association):
`signup.confirmed` → `signup_confirmed`, `signup.waitlisted` → `signup_waitlisted`,
`signup.promoted` → `promoted`, `gig.updated` that moved the time or place (the event's
note) → `gig_changed` to everyone signed up before it, `signup.cancelled` of a gig that
was cancelled → `gig_cancelled`, `signup.attended` (came) → `thanks`. Nothing is said
about a gig that has ended (except thanks), or to someone who cancelled since.

The channel is chosen when the message is made (`Channels.for_person`): WhatsApp for a
phone number, else e-mail. With none for the person, the message becomes `not_sent` when
it is due and is handed to bridges as a `message.outgoing` event then; a chat reply to
the bridge is in the bridge's answer (`sent`) and also such an event.

Sending them is `services.message_sending`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    case,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)

from app.auth import Principal
from app.db import Row, Tx, in_ids, reads, writes
from app.integrations.channels import Channels
from app.integrations.inbound import gig_link
from app.integrations.message_texts import (
    GigFacts,
    language_of,
    render,
)
from app.integrations.quiet_hours import Window
from app.models import (
    Association,
    Event,
    Gig,
    Message,
    MessageOptOut,
    Signup,
    Volunteer,
)
from app.pagination import decode_cursor, split_page
from app.services import events, page_links
from app.services.message_rows import Plan, make

CURSOR: Final = "messages"
HAND_OUT_BATCH: Final = 200
_PEOPLE_EVENTS: Final = frozenset(
    {"signup.confirmed", "signup.waitlisted", "signup.promoted", "signup.cancelled",
     "signup.attended", "gig.updated"}
)  # fmt: skip
_KIND_OF: Final = {
    "signup.confirmed": "signup_confirmed",
    "signup.waitlisted": "signup_waitlisted",
    "signup.promoted": "promoted",
}


# ---- making messages -------------------------------------------------------------------


@writes
async def hand_out(
    tx: Tx,
    *,
    now: datetime,
    channels: Channels,
    public_base_url: str,
    reminder_hours: Sequence[float] = (),
    quiet: Window | None = None,
) -> int:
    """Make the messages of the next events; how many events were read (0 also when
    another process is doing it, or the cursor is missing)."""
    # Migration 0009 makes the place at the head of the log (made again from the start,
    # it would make only the messages whose keys are new).
    position = await events.take_place(tx, CURSOR)
    if position is None:
        return 0
    batch = await tx.rows(
        select(Event.seq, Event.txid, Event.id, Event.type, Event.data, Event.note,
               Event.created_at)
        .where(events.after(position))
        .order_by(Event.txid, Event.seq)
        .limit(HAND_OUT_BATCH)
    )  # fmt: skip
    if not batch:
        return 0
    wanted = [event for event in batch if event.type in _PEOPLE_EVENTS]
    plans, dropped = await _plans(
        tx, wanted, now=now, channels=channels, base_url=public_base_url, hours=reminder_hours
    )
    if dropped:  # reminders of cancelled sign-ups, or for a time that changed
        await tx.run(
            delete(Message).where(
                Message.kind == "reminder",
                Message.status == "queued",
                in_ids(Message.signup_id, "signups"),
            ),
            signups=sorted(dropped),
        )
    await make(tx, plans, now=now, quiet=quiet)
    await events.move_place(tx, CURSOR, batch[-1])
    return len(batch)


async def _plans(
    tx: Tx,
    batch: Sequence[Row],
    *,
    now: datetime,
    channels: Channels,
    base_url: str,
    hours: Sequence[float],
) -> tuple[list[Plan], set[str]]:
    """The messages ``batch`` asks for, with what each says (read as things are now),
    and the sign-ups whose waiting reminders are to go."""
    data = {event.id: json.loads(event.data) for event in batch}
    signup_ids = {data[e.id]["id"] for e in batch if e.type.startswith("signup.")}
    changed_gigs = {data[e.id]["id"] for e in batch if e.type == "gig.updated"
                    and e.note == events.TIME_PLACE_CHANGED}  # fmt: skip
    if changed_gigs:
        signup_ids |= set(
            await tx.scalars(
                select(Signup.id).where(
                    in_ids(Signup.gig_id, "gigs"), Signup.status.in_(("confirmed", "waitlisted"))
                ),
                gigs=sorted(changed_gigs),
            )
        )
    signups = {row.id: row for row in await tx.rows(
        select(Signup).where(in_ids(Signup.id, "ids")), ids=sorted(signup_ids))}  # fmt: skip
    gigs = {row.id: row for row in await tx.rows(
        select(Gig).where(in_ids(Gig.id, "ids")),
        ids=sorted({s.gig_id for s in signups.values()} | changed_gigs))}  # fmt: skip
    # Held (FOR KEY SHARE) until the messages are written: an erasure that comes between
    # waits for them and erases them too, or ran before and the person is gone.
    volunteers = {row.id: row for row in await tx.rows(
        select(Volunteer.id, Volunteer.name, Volunteer.email, Volunteer.phone,
               Volunteer.languages, Volunteer.notifications).where(in_ids(Volunteer.id, "ids"))
        .order_by(Volunteer.id).with_for_update(read=True, key_share=True),
        ids=sorted({s.volunteer_id for s in signups.values() if s.volunteer_id}))}  # fmt: skip
    groups = {row.id: row for row in await tx.rows(
        select(Association.id, Association.name, Association.email)
        .where(in_ids(Association.id, "ids")),
        ids=sorted({s.association_id for s in signups.values() if s.association_id}))}  # fmt: skip

    plans: list[Plan] = []
    dropped: set[str] = set()
    keys = await page_links.read_keys(tx) if signups else None

    def add(kind: str, key: str, signup: Row, *, due: datetime | None = None,
            **facts: Any) -> None:  # fmt: skip
        gig = gigs.get(signup.gig_id)
        if gig is None or (kind != "thanks" and gig.ends_at <= now):
            return
        person = volunteers.get(signup.volunteer_id) if signup.volunteer_id else None
        group = groups.get(signup.association_id) if signup.association_id else None
        if person is not None:
            name, language = person.name, language_of(person.languages)
            wanted = person.notifications or {}
            if wanted.get("channel") == "none" or (
                kind == "reminder" and wanted.get("reminders") is False
            ):
                return  # the volunteer chose not to hear it
            phone = None if wanted.get("channel") == "email" else person.phone
            channel, recipient = channels.for_person(phone, person.email)
        elif group is not None:
            name, language = group.name, "nl"
            channel, recipient = channels.for_person(None, group.email)
        else:
            return  # erased, or the association is gone
        if recipient is None:
            return  # nobody to tell: a group without an e-mail address
        # A sign-up's own messages link to its page, where it can be cancelled; the news
        # that the gig is off, and thanks, to the gig's page.
        own_page = kind not in ("gig_cancelled", "thanks")
        url = page_links.signup_url(base_url, keys, signup.id) if own_page and keys else None
        text = render(kind, language, name=name, gig=_facts(gig, base_url, url), **facts)
        plans.append(
            Plan(key=key, kind=kind, channel=channel, recipient=recipient,
                  volunteer_id=signup.volunteer_id, association_id=signup.association_id,
                  organization_id=gig.organization_id, gig_id=gig.id, signup_id=signup.id,
                  language=language, subject=text.subject, body=text.body,
                  due=due, gig_starts_at=gig.starts_at)
        )  # fmt: skip

    def remind(signup: Row) -> None:
        """A confirmed sign-up's reminders: one per moment still to come, and one at once
        for the moments that have passed (the latest of them)."""
        gig = gigs.get(signup.gig_id)
        if gig is None or gig.starts_at <= now or signup.status != "confirmed":
            return
        coming = [h for h in hours if gig.starts_at - timedelta(hours=h) > now]
        passed = [h for h in hours if h not in coming]
        moments = [(h, gig.starts_at - timedelta(hours=h)) for h in coming]
        if passed:
            moments.append((min(passed), now))
        for hour, due in moments:
            # The gig's sequence grows with each new time or place: a moved gig's
            # reminders are new ones.
            add("reminder", f"reminder:{signup.id}:{hour:g}:{gig.sequence}", signup, due=due)

    for event in batch:
        item = data[event.id]
        if event.type == "gig.updated":
            if event.note != events.TIME_PLACE_CHANGED:
                continue
            for told in signups.values():
                if (told.gig_id == item["id"] and told.status != "cancelled"
                        and told.created_at < event.created_at):  # fmt: skip
                    add("gig_changed", f"gig_changed:{told.id}:{event.id}", told)
                    dropped.add(told.id)
                    remind(told)
            continue
        signup = signups.get(item["id"])
        if signup is None:
            continue
        if event.type in _KIND_OF:
            if signup.status == "cancelled":
                continue  # cancelled since: nothing to confirm
            kind = _KIND_OF[event.type]
            add(kind, f"{kind}:{signup.id}", signup, position=item.get("waitlist_position"))
            remind(signup)
        elif event.type == "signup.cancelled":
            dropped.add(signup.id)
            gig = gigs.get(signup.gig_id)
            if gig is not None and gig.status == "cancelled":
                add("gig_cancelled", f"gig_cancelled:{signup.id}", signup)
        elif event.type == "signup.attended" and item.get("attended"):
            add("thanks", f"thanks:{signup.id}", signup, hours=item.get("hours"))
    return plans, dropped


def _facts(gig: Row, base_url: str, url: str | None = None) -> GigFacts:
    return GigFacts(title=gig.title, starts_at=gig.starts_at, ends_at=gig.ends_at,
                    address=gig.address, area=gig.area, postcode=gig.postcode,
                    url=url or gig_link(base_url, gig.id))  # fmt: skip


# ---- reading and erasing -----------------------------------------------------------------


@reads
async def list_page(
    tx: Tx,
    *,
    principal: Principal,
    limit: int,
    cursor: str | None,
    volunteer_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> tuple[list[Row], str | None]:
    """Messages the caller may read, newest first: all (admin), or those about the
    organisation's gigs and chats (its key)."""
    query = select(
        Message.id, Message.channel, Message.kind, Message.status, Message.gig_id,
        Message.signup_id, Message.created_at, Message.sent_at, Message.error,
    )  # fmt: skip
    if not principal.is_admin:
        query = query.where(Message.organization_id == principal.organization_id)
    if volunteer_id is not None:
        query = query.where(Message.volunteer_id == volunteer_id)
    if status is not None:
        query = query.where(Message.status == status)
    if kind is not None:
        query = query.where(Message.kind == kind)
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, [str])
        query = query.where(Message.id < before_id)
    rows = await tx.rows(query.order_by(Message.id.desc()).limit(limit + 1))
    return split_page(rows, limit, lambda message: [message.id])


def erase_volunteer(tx: Tx, volunteer_id: str, phone: str | None) -> None:
    """In the erasure's transaction: the volunteer's messages (and replies to chat
    messages from their number) keep only kind, status and times, for counts; their
    `message.outgoing` events only the message's id; what was not sent yet never will be."""
    theirs = Message.volunteer_id == volunteer_id
    if phone is not None:
        theirs = or_(theirs, Message.recipient == phone)
        tx.defer(delete(MessageOptOut).where(MessageOptOut.address == phone))
    tx.defer(
        update(Event)
        .where(Event.type == "message.outgoing",
               Event.id.in_(select(literal("evt") + func.substr(Message.id, 4)).where(theirs)))
        .values(data=literal('{"id":"out') + func.substr(Event.id, 4) + literal('","erased":true}'))
    )  # fmt: skip
    tx.defer(
        update(Message)
        .where(theirs)
        .values(recipient=None, body=None, subject=None, volunteer_id=None, error=None,
                provider_id=None,
                status=case((Message.status.in_(("queued", "sending")), "suppressed"),
                            else_=Message.status))
    )  # fmt: skip
