"""Places on a gig: the rules a sign-up is checked against, and the counters of capacity.

Every sign-up, cancellation and promotion takes or gives back its place here, in the
transaction that changes the sign-up (on SQLite that transaction holds the database's
write lock from its first statement, so nothing interleaves at all):

- The people's rows are locked (`LOCK_PEOPLE`, in id order) before their active sign-ups
  are read (`PEOPLES_ACTIVE`): two sign-ups of one person take turns, so each sees the
  other's in its checks (already signed up, confirmed for a gig at the same time).
- A new sign-up takes its place with `TAKE_PLACE` and `COUNT_PLACE`, sent after the gig's
  row is locked (`LOCK_GIG_ROW`) and together with the COMMIT: the row's lock, the one
  every sign-up for a gig queues on, is held for their execution in the server only.
  `TAKE_PLACE` decides (`fits`) on the row as it is then, and matches only while the
  gig is open and still as the checks before saw it; `COUNT_PLACE` counts the place of
  the sign-up it inserted.
- A cancellation or a promotion locks the gig's row first (`LOCK_GIG`), reads its
  counters and changes them (`give_back`, `confirm_waiting`).

A sign-up locks people before the gig, a promotion the gig before people: the two can
deadlock on PostgreSQL, which then aborts one, and it runs again (`@writes`). The
`ck_gigs_capacity` check constraint is the last line: the database refuses any write
that would confirm more people than the capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import aliased

from app.db import Query, Row, Tx, in_ids
from app.errors import Conflict
from app.models import Gig, Signup, SignupMember, Volunteer
from app.models.base import UTCDateTime

Place = Literal["confirmed", "waitlisted"]


class GigFull(Conflict):
    type, title = "gig-full", "The gig is full"


class AlreadySignedUp(Conflict):
    type, title = "already-signed-up", "Already signed up for this gig"


class TimeConflict(Conflict):
    type, title = "time-conflict", "Already confirmed for a gig at the same time"


_GIG_COLUMNS = (
    Gig.id,
    Gig.organization_id,
    Gig.status,
    Gig.kind,
    Gig.starts_at,
    Gig.ends_at,
    Gig.signup_deadline,
    Gig.capacity,
    Gig.confirmed_people,
    Gig.waitlist_count,
    Gig.signup_counter,
    Gig.group_size_min,
    Gig.group_size_max,
    Gig.min_age,
    Gig.requires_vog,
    Gig.requires_driving_licence,
)
#: The gig as the rules need it (read before a sign-up's checks, without a lock).
GIG = select(*_GIG_COLUMNS).where(Gig.id == bindparam("gig_id"))
#: The same, its row locked until the commit.
LOCK_GIG = GIG.with_for_update()
#: Only the lock: the statements after it start once it is held, and so see the row as
#: it is then (PostgreSQL takes each statement's snapshot as it starts).
LOCK_GIG_ROW = select(Gig.id).where(Gig.id == bindparam("gig_id")).with_for_update()

#: The people's rows that exist, locked in id order (so two lock sets never cross).
LOCK_PEOPLE = (
    select(Volunteer.id)
    .where(in_ids(Volunteer.id, "people"))
    .order_by(Volunteer.id)
    .with_for_update()
)

# Every active sign-up of the people, with its gig's time: few rows, found from the
# people (not from the gig, whose sign-ups may be thousands). One branch per way of
# taking part, each led by its person index, and the gig's times as look-ups by its
# primary key (a join may be planned as a hash join that reads every gig).
_GIG_OF_SIGNUP = aliased(Gig)


def _gig_time(column: str) -> Any:
    gig = _GIG_OF_SIGNUP
    return (
        select(getattr(gig, column))
        .where(gig.id == Signup.gig_id)
        .correlate(Signup)
        .scalar_subquery()
        .label(column)
    )


_AS_SIGNER = select(
    Signup.gig_id, Signup.status, _gig_time("starts_at"), _gig_time("ends_at")
).where(in_ids(Signup.volunteer_id, "people"), Signup.status != "cancelled")
_AS_MEMBER = (
    select(Signup.gig_id, Signup.status, _gig_time("starts_at"), _gig_time("ends_at"))
    .select_from(SignupMember)
    .join(Signup, Signup.id == SignupMember.signup_id)
    .where(in_ids(SignupMember.volunteer_id, "people"), Signup.status != "cancelled")
)
PEOPLES_ACTIVE = select(union_all(_AS_SIGNER, _AS_MEMBER).subquery())

#: Places that move: given back (negative) or from the waitlist to confirmed.
_MOVE = (
    update(Gig)
    .where(Gig.id == bindparam("gig_id"))
    .values(
        confirmed_people=Gig.confirmed_people + bindparam("confirmed"),
        waitlist_count=Gig.waitlist_count + bindparam("waiting"),
    )
)


#: What a sign-up's checks relied on: its place is taken only while these are unchanged.
CHECKED = ("kind", "starts_at", "ends_at", "signup_deadline", "group_size_min", "group_size_max",
           "min_age", "requires_vog", "requires_driving_licence")  # fmt: skip
# (Named unlike any column: an INSERT or UPDATE reserves its columns' names.)
_SIZE = bindparam("people_count", type_=Integer())
_FITS = Gig.confirmed_people + _SIZE <= Gig.capacity
_NOW = bindparam("now", type_=UTCDateTime())
_ID = bindparam("new_id", type_=String())
#: Insert the sign-up, confirmed while it fits (else waitlisted, if ``waitlist``), with the
#: next queue number: nothing when the gig is no longer open or no longer as checked.
TAKE_PLACE = (
    insert(Signup)
    .from_select(
        ["id", "gig_id", "volunteer_id", "association_id", "size", "status", "queue_number",
         "created_at", "updated_at"],
        select(
            _ID, Gig.id, bindparam("signer_id", type_=String()),
            bindparam("group_id", type_=String()), _SIZE,
            case((_FITS, literal("confirmed")), else_=literal("waitlisted")),
            Gig.signup_counter + 1, _NOW, _NOW,
        ).where(
            Gig.id == bindparam("for_gig"),
            Gig.status == "open",
            *(getattr(Gig, name).is_not_distinct_from(bindparam(f"checked_{name}"))
              for name in CHECKED),
            or_(_FITS, bindparam("waitlist", type_=Boolean())),
        ),
    )
    .returning(Signup.status, Signup.queue_number)
)  # fmt: skip
_TAKEN = select(Signup.status, Signup.size).where(Signup.id == _ID).subquery()
#: Count the place of the sign-up `TAKE_PLACE` inserted (nothing if it inserted none);
#: returns the waitlist's length, which is a new waitlisted sign-up's place.
COUNT_PLACE = (
    update(Gig)
    .where(Gig.id == bindparam("gig_id"), exists(select(_TAKEN.c.status)))
    .values(
        confirmed_people=Gig.confirmed_people
        + select(case((_TAKEN.c.status == "confirmed", _TAKEN.c.size), else_=0)).scalar_subquery(),
        waitlist_count=Gig.waitlist_count
        + select(case((_TAKEN.c.status == "waitlisted", 1), else_=0)).scalar_subquery(),
        signup_counter=Gig.signup_counter + 1,
    )
    .returning(Gig.waitlist_count)
)


def take_place(
    gig: Row,
    *,
    signup_id: str,
    volunteer_id: str | None,
    association_id: str | None,
    size: int,
    waitlist: bool,
    now: datetime,
) -> list[Query]:
    """The statements that take a new sign-up's place on ``gig`` (its row as read before
    the checks): lock the row, insert the sign-up, count its place (send them with the
    COMMIT; the second's rows are the sign-up, the third's the waitlist's length)."""
    checked = {f"checked_{name}": gig[name] for name in CHECKED}
    return [
        Query.of(LOCK_GIG_ROW, gig_id=gig.id),
        Query(TAKE_PLACE, {**checked, "for_gig": gig.id, "new_id": signup_id,
                           "signer_id": volunteer_id, "group_id": association_id,
                           "people_count": size, "waitlist": waitlist, "now": now}),
        Query.of(COUNT_PLACE, gig_id=gig.id, new_id=signup_id),
    ]  # fmt: skip


def fits(gig: Row, size: int) -> bool:
    """Whether ``size`` more people can be confirmed on the (locked) gig."""
    return bool(gig.confirmed_people + size <= gig.capacity)


def check_not_booked(gig: Row, active: Sequence[Row]) -> None:
    """409 when one of the people is already signed up for the gig, or is confirmed for
    another gig at an overlapping time (back to back is no overlap)."""
    if any(row.gig_id == gig.id for row in active):
        raise AlreadySignedUp("There is already a sign-up for this gig.")
    if overlaps(active, gig.id, gig.starts_at, gig.ends_at):
        raise TimeConflict("Someone in this sign-up is confirmed for a gig at the same time.")


def overlaps(active: Sequence[Row], gig_id: str, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether any confirmed sign-up among ``active`` is for another, overlapping gig."""
    return any(
        row.status == "confirmed"
        and row.gig_id != gig_id
        and row.starts_at < ends_at
        and row.ends_at > starts_at
        for row in active
    )


def give_back(tx: Tx, gig_id: str, *, size: int, place: Place) -> None:
    """Free a cancelled sign-up's place (the gig is locked)."""
    tx.defer(
        _MOVE,
        gig_id=gig_id,
        confirmed=-size if place == "confirmed" else 0,
        waiting=-1 if place == "waitlisted" else 0,
    )


def confirm_waiting(tx: Tx, gig_id: str, *, size: int) -> None:
    """Move a waitlisted sign-up's place to confirmed (the gig is locked)."""
    tx.defer(_MOVE, gig_id=gig_id, confirmed=size, waiting=-1)


def add_member(signup_id: str, volunteer_id: str) -> Query:
    """Name a member in a group sign-up (only if `TAKE_PLACE` inserted the sign-up)."""
    return Query.of(_ADD_MEMBER, new_id=signup_id, member=volunteer_id)


_ADD_MEMBER = insert(SignupMember).from_select(
    ["signup_id", "volunteer_id"],
    select(_ID, bindparam("member", type_=String())).where(
        exists(select(Signup.id).where(Signup.id == _ID))
    ),
)


async def people_of(tx: Tx, signup: Row) -> list[str]:
    """The volunteers in a sign-up: its signer, or the members named in a group."""
    if signup.volunteer_id is not None:
        return [signup.volunteer_id]
    return list(await tx.scalars(_MEMBERS, signup_id=signup.id))


_MEMBERS = select(SignupMember.volunteer_id).where(SignupMember.signup_id == bindparam("signup_id"))


def involving(volunteer_ids: list[str]) -> Any:
    """A filter for the sign-ups of these people: as the signer, or named in a group."""
    return or_(
        Signup.volunteer_id.in_(volunteer_ids),
        exists().where(
            and_(SignupMember.signup_id == Signup.id, SignupMember.volunteer_id.in_(volunteer_ids))
        ),
    )
