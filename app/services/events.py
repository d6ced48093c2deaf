"""The event log: every change, written in the transaction that made it (an outbox).

A use case records its events with `record` (or, for a sign-up, with the statement of
`signup_taken`, sent with the place it describes); the rows go to the database with the
transaction's other statements, so a change that is rolled back leaves no event and one
that commits always has its event. `data` is the resource as its single read returns it
at that moment (`GigRead`, `SignupRead`), or the id alone for an erased volunteer.

Readers (`GET /events`, the webhook dispatcher) follow the log in (`txid`, `seq`) order
and read only events of transactions that can no longer commit
(`app.db.transaction_order`): a reader at the head never moves past an event that a
transaction which began earlier commits later. The cursor is that pair.

Who may read what: events about drafts, and about webhooks, are for the admin; an
integration key reads the others, which carry no personal data beyond ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from app.auth import Principal
from app.db import Query, Row, Tx, in_ids, reads
from app.db.transaction_order import current_txid, settled_txid
from app.errors import InvalidCursor
from app.models import DispatchCursor, Event, Gig, Signup
from app.models.base import UTCDateTime, new_id, utcnow
from app.pagination import decode_cursor, encode_cursor
from app.schemas.common import rfc3339
from app.schemas.gig import GigRead
from app.schemas.signup import SignupRead
from app.services import signup_reads
from app.services.event_types import EventType

Audience = Literal["public", "admin"]
#: A position in the log: (txid, seq); (0, 0) is before the first event.
Position = tuple[int, int]
START: Position = (0, 0)
#: The note of a `gig.updated` that moved the gig's time or place (people are told).
TIME_PLACE_CHANGED = "time_place"

# (Named unlike the columns: an INSERT reserves its columns' names for itself.)
_INSERT = insert(Event).values(
    id=bindparam("event_id"),
    type=bindparam("event_type"),
    audience=bindparam("event_audience"),
    txid=current_txid(),
    data=bindparam("event_data"),
    created_at=bindparam("event_at", type_=UTCDateTime()),
    note=bindparam("event_note", type_=String()),
)


def record(
    tx: Tx,
    event_type: EventType,
    data: BaseModel | str,
    *,
    audience: Audience = "public",
    note: str | None = None,
    event_id: str | None = None,
) -> None:
    """Record an event in ``tx``'s transaction (sent with its next statements); ``note``
    is for the service itself (`services.messages`), never shown."""
    payload = data if isinstance(data, str) else data.model_dump_json()
    tx.defer(_INSERT, event_id=event_id or new_id("evt"), event_type=event_type,
             event_audience=audience, event_data=payload, event_at=utcnow(),
             event_note=note)  # fmt: skip
    tx.note_event(event_type)


def gig_event(tx: Tx, event_type: EventType, gig: GigRead, *, note: str | None = None) -> None:
    """Record an event about a gig (about a draft: for the admin only)."""
    audience: Audience = "admin" if gig.status == "draft" else "public"
    record(tx, event_type, gig, audience=audience, note=note)


async def signup_events(tx: Tx, event_type: EventType, signup_ids: Sequence[str]) -> None:
    """Record an event for each sign-up, as it reads now in the transaction."""
    if not signup_ids:
        return
    rows = await tx.rows(select(Signup).where(in_ids(Signup.id, "ids")), ids=list(signup_ids))
    by_id = {row.id: row for row in rows}
    ordered = [by_id[signup_id] for signup_id in signup_ids if signup_id in by_id]
    for signup in await signup_reads.to_read(tx, ordered):
        record(tx, event_type, signup)


def erased(volunteer_id: str) -> str:
    """The data of `volunteer.erased`: the id alone."""
    return json.dumps({"id": volunteer_id}, separators=(",", ":"))


def disabled(webhook_id: str, url: str, reason: str) -> str:
    """The data of `webhook.disabled`: which subscription, and why."""
    return json.dumps({"id": webhook_id, "url": url, "reason": reason}, separators=(",", ":"))


# A new sign-up's event, decided by the row its place-taking statement inserted: confirmed
# or waitlisted, and then with the waitlist place it got (the gig's waitlist count, which
# the statement before counted). Python renders the confirmed sign-up once; for a
# waitlisted one the database rewrites its status and place in that text.
_WAITLIST_LENGTH = (
    select(Gig.waitlist_count).where(Gig.id == Signup.gig_id).correlate(Signup).scalar_subquery()
)
_AS_CONFIRMED = '"status":"confirmed","waitlist_position":null'
_SIGNUP_DATA = bindparam("signup_data", type_=String())
_SIGNUP_TAKEN = insert(Event).from_select(
    ["id", "type", "audience", "txid", "data", "created_at"],
    select(
        bindparam("event_id", type_=String()),
        case(
            (Signup.status == "confirmed", literal("signup.confirmed")),
            else_=literal("signup.waitlisted"),
        ),
        literal("public"),
        current_txid(),
        case(
            (Signup.status == "confirmed", _SIGNUP_DATA),
            else_=func.replace(
                _SIGNUP_DATA,
                literal(_AS_CONFIRMED),
                literal('"status":"waitlisted","waitlist_position":')
                + cast(_WAITLIST_LENGTH, String),
            ),
        ),
        bindparam("event_at", type_=UTCDateTime()),
    ).where(Signup.id == bindparam("taken_signup")),
)


def signup_taken(signup: SignupRead) -> Query:
    """The event of a new sign-up whose place is taken in the same round trip: its
    statement, to send after the one that inserts the sign-up (nothing if it did not).
    Say which it was once known (`Tx.note_event`). ``signup`` reads as confirmed."""
    data = signup.model_dump_json()
    assert _AS_CONFIRMED in data, "status and waitlist_position are rendered side by side"
    return Query.of(
        _SIGNUP_TAKEN,
        event_id=new_id("evt"),
        signup_data=data,
        event_at=utcnow(),
        taken_signup=signup.id,
    )


def item_json(event: Row) -> str:
    """The event object: `{"id", "type", "created_at", "data"}` (data as stored)."""
    created = rfc3339(event.created_at)
    return (
        f'{{"id":"{event.id}","type":"{event.type}","created_at":"{created}","data":{event.data}}}'
    )


def position_of(cursor: str | None) -> Position:
    """The position a cursor stands for (the start without one); 400 for a bad one."""
    if cursor is None:
        return START
    txid, seq = decode_cursor(cursor, [int, int])
    if not (isinstance(txid, int) and isinstance(seq, int)) or txid < 0 or seq < 0:
        raise InvalidCursor("This cursor is not one of the event log.")
    return txid, seq


def after(position: Position) -> Any:
    """Events after ``position``, in log order, that no running transaction can precede."""
    txid, seq = position
    return and_(
        or_(Event.txid > txid, and_(Event.txid == txid, Event.seq > seq)),
        Event.txid < settled_txid(),
    )


# Followers of the log (webhook hand-out, messages) keep their place in `dispatch_cursor`,
# one row per name, moved in the transaction that acts on the events it passes.


async def new_since(tx: Tx, follower: str) -> bool:
    """Whether the log has events past ``follower``'s place (read without a lock)."""
    cursor = await tx.row(
        select(DispatchCursor.after_txid, DispatchCursor.after_seq).where(
            DispatchCursor.name == follower
        )
    )
    position = (cursor.after_txid, cursor.after_seq) if cursor is not None else START
    return await tx.scalar(select(Event.seq).where(after(position)).limit(1)) is not None


async def take_place(tx: Tx, follower: str) -> Position | None:
    """``follower``'s place, locked until the transaction ends; None when another process
    holds it. A missing row is made at the start (a no-op insert decides, without waiting,
    whether another process is making it)."""
    cursor = await tx.row(
        select(DispatchCursor.after_txid, DispatchCursor.after_seq)
        .where(DispatchCursor.name == follower)
        .with_for_update(skip_locked=True)
    )
    if cursor is not None:
        return cursor.after_txid, cursor.after_seq
    made = await tx.run(
        tx.insert(DispatchCursor)
        .values(name=follower, after_txid=0, after_seq=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return START if made else None


async def move_place(tx: Tx, follower: str, last: Row) -> None:
    """Move ``follower`` past the event ``last`` (it has `txid` and `seq`)."""
    await tx.run(
        update(DispatchCursor)
        .where(DispatchCursor.name == follower)
        .values(after_txid=last.txid, after_seq=last.seq)
    )


def _audiences(principal: Principal) -> list[str]:
    return ["public", "admin"] if principal.is_admin else ["public"]


@reads
async def read_page(
    tx: Tx,
    *,
    principal: Principal,
    cursor: str | None,
    types: Sequence[str],
    limit: int,
) -> tuple[list[str], str]:
    """The next events after ``cursor`` the caller may read, oldest first, as JSON
    objects, and the cursor to continue from (never None: where the next will be)."""
    position = position_of(cursor)
    query = (
        select(Event.seq, Event.txid, Event.id, Event.type, Event.data, Event.created_at)
        .where(after(position), Event.audience.in_(_audiences(principal)))
        .order_by(Event.txid, Event.seq)
        .limit(limit)
    )
    if types:
        query = query.where(Event.type.in_(list(types)))
    rows = await tx.rows(query)
    if rows:
        position = (rows[-1].txid, rows[-1].seq)
    return [item_json(row) for row in rows], encode_cursor(list(position))
