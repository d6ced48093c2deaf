"""Places on a gig: the rules a sign-up is checked against, and the counters of capacity.

Every path that takes or gives back a place (a sign-up, a cancellation, a promotion from
the waitlist, a capacity change, a cancelled gig) does it here, in the transaction that
changes the sign-up, in this order:

1. lock the gig's row (`LOCK_GIG`; on SQLite the transaction already holds the write
   lock), and read its counters: nothing else can change them until the commit;
2. lock the people's rows (`LOCK_PEOPLE`, in id order) and read their active sign-ups
   (`PEOPLES_ACTIVE`): two sign-ups of one person take turns here, so each sees the
   other's in its checks (already signed up, a confirmed gig at the same time);
3. decide (`fits`), and write the counters (`take`, `give_back`).

Locks are always taken gig first, then people, so two of these never wait on each other
in a circle. The `ck_gigs_capacity` check constraint is the last line: the database
refuses any write that would confirm more people than the capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, bindparam, exists, or_, select, union_all, update
from sqlalchemy.orm import aliased

from app.db import Row, Tx, in_ids
from app.errors import Conflict
from app.models import Gig, Signup, SignupMember, Volunteer

Place = Literal["confirmed", "waitlisted"]


class GigFull(Conflict):
    type, title = "gig-full", "The gig is full"


class AlreadySignedUp(Conflict):
    type, title = "already-signed-up", "Already signed up for this gig"


class TimeConflict(Conflict):
    type, title = "time-conflict", "Already confirmed for a gig at the same time"


#: The gig as the rules need it, its row locked until the commit.
LOCK_GIG = (
    select(
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
    )
    .where(Gig.id == bindparam("gig_id"))
    .with_for_update()
)

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

_COUNTERS = update(Gig).where(Gig.id == bindparam("gig_id"))
#: A new sign-up's place: the counters and the next queue number.
_TAKE = _COUNTERS.values(
    confirmed_people=Gig.confirmed_people + bindparam("confirmed"),
    waitlist_count=Gig.waitlist_count + bindparam("waiting"),
    signup_counter=Gig.signup_counter + 1,
)
#: Places that move: given back (negative) or from the waitlist to confirmed.
_MOVE = _COUNTERS.values(
    confirmed_people=Gig.confirmed_people + bindparam("confirmed"),
    waitlist_count=Gig.waitlist_count + bindparam("waiting"),
)


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


def take(tx: Tx, gig: Row, *, size: int, place: Place) -> int:
    """Count a new sign-up's place on the locked gig; its queue number (sent with the
    commit: the counters were read under the lock, so nothing is left to decide)."""
    confirmed = size if place == "confirmed" else 0
    tx.defer(_TAKE, gig_id=gig.id, confirmed=confirmed, waiting=1 - bool(confirmed))
    return int(gig.signup_counter) + 1


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
