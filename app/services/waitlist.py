"""The waitlist: promoted first come, first served, and each entry's current place.

A waitlisted sign-up keeps its queue number (taken from the gig's counter when it signed
up); its place is its rank among the gig's waitlisted sign-ups, so places are 1..n.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select, update

from app.db import Query, Row, Tx, in_ids
from app.models import Signup
from app.models.base import utcnow
from app.services import places

_WAITING = (
    select(Signup.id, Signup.volunteer_id, Signup.association_id, Signup.size)
    .where(Signup.gig_id == bindparam("gig_id"), Signup.status == "waitlisted")
    .order_by(Signup.queue_number)
)
_CONFIRM = (
    update(Signup)
    .where(Signup.id == bindparam("signup_id"))
    .values(status="confirmed", promoted_at=bindparam("now"))
)


async def promote(tx: Tx, gig: Row) -> list[str]:
    """Confirm waitlisted sign-ups, first come first served, while spots are free; the
    ids of those promoted.

    ``gig`` is the gig's row as locked by `places.LOCK_GIG`, with its counters as they
    are now in this transaction. An entry too large for the free spots, or whose people
    are now confirmed for an overlapping gig, keeps its place and is skipped.
    """
    spots = gig.capacity - gig.confirmed_people
    promoted: list[str] = []
    if spots <= 0 or gig.waitlist_count == 0 or gig.status != "open":
        return promoted
    now = utcnow()
    for signup in await tx.rows(_WAITING, gig_id=gig.id):
        if signup.volunteer_id is None and signup.association_id is None:
            continue  # its volunteer was erased: nobody to promote
        if signup.size > spots:
            continue
        people = await places.people_of(tx, signup)
        _, active = await tx.batch(
            Query.of(places.LOCK_PEOPLE, people=people),
            Query.of(places.PEOPLES_ACTIVE, people=people),
        )
        if places.overlaps(active, gig.id, gig.starts_at, gig.ends_at):
            continue
        tx.defer(_CONFIRM, signup_id=signup.id, now=now)
        places.confirm_waiting(tx, gig.id, size=signup.size)
        spots -= signup.size
        promoted.append(signup.id)
        if spots == 0:
            break
    return promoted


_PLACES = select(
    Signup.id,
    func.row_number().over(partition_by=Signup.gig_id, order_by=Signup.queue_number).label("place"),
).where(in_ids(Signup.gig_id, "gig_ids"), Signup.status == "waitlisted")


async def positions(tx: Tx, signups: Sequence[Row]) -> dict[str, int]:
    """The current 1-based waitlist place of each waitlisted sign-up given (one query)."""
    waiting = {signup.id for signup in signups if signup.status == "waitlisted"}
    if not waiting:
        return {}
    gig_ids = sorted({signup.gig_id for signup in signups if signup.id in waiting})
    rows = await tx.rows(_PLACES, gig_ids=gig_ids)
    return {row.id: int(row.place) for row in rows if row.id in waiting}
