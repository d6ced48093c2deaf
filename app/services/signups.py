"""Sign-ups: sign up (confirmed while it fits, else the waitlist), cancel, attendance.

The rules and the order of locks are those of `places`; the waitlist moves up in
`waitlist`. Each use case is one transaction (`@writes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, update

from app.auth import Principal
from app.db import Query, Row, RunAgain, Tx, in_ids, reads, writes
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from app.models import Association, AssociationMember, Gig, Signup
from app.models.base import new_id, utcnow
from app.schemas.signup import ATTENDANCE_MARGIN_HOURS, AttendanceRecord, SignupCreate, SignupRead
from app.services import events, places, requirements, signup_reads, waitlist
from app.services.places import GigFull


class GigNotOpen(Conflict):
    type, title = "gig-not-open", "The gig is not open for sign-ups"


class SignupClosed(Conflict):
    type, title = "signup-closed", "Sign-up for this gig has closed"


class SignupNotActive(Conflict):
    type, title = "signup-not-active", "The sign-up is cancelled or its attendance is recorded"


class GigNotStarted(Conflict):
    type, title = "gig-not-started", "Attendance can be recorded once the gig has started"


class SignupNotConfirmed(Conflict):
    type, title = "signup-not-confirmed", "Only a confirmed sign-up has attendance"


class KindMismatch(ValidationFailed):
    type, title = "kind-mismatch", "A one-off gig takes one volunteer; a group gig one group"


_LOCK_ASSOCIATION = (
    select(Association.id).where(Association.id == bindparam("association_id")).with_for_update()
)
_KNOWN_MEMBERS = select(AssociationMember.volunteer_id).where(
    AssociationMember.association_id == bindparam("association_id"),
    in_ids(AssociationMember.volunteer_id, "people"),
)
_GROUP_ON_GIG = select(Signup.id).where(
    Signup.gig_id == bindparam("gig_id"),
    Signup.association_id == bindparam("association_id"),
    Signup.status != "cancelled",
)


@writes
async def sign_up(
    tx: Tx, *, principal: Principal, gig_id: str, signup_in: SignupCreate
) -> SignupRead:
    """Sign a volunteer (one-off gig) or a group (group gig) up: confirmed while it fits,
    else waitlisted (or 409 `gig-full` without `waitlist`).

    Two round trips on PostgreSQL: the reads and the people's locks together, then the
    gig's lock, the place and the COMMIT together (`places`).
    """
    individual = signup_in.volunteer_id is not None
    members = sorted(set(signup_in.member_ids or []))
    people = [str(signup_in.volunteer_id)] if individual else members
    values = {"gig_id": gig_id, "people": people, "association_id": signup_in.association_id}
    queries = [Query(places.GIG, values)]
    if not individual:
        queries += [Query(_LOCK_ASSOCIATION, values), Query(_KNOWN_MEMBERS, values),
                    Query(_GROUP_ON_GIG, values)]  # fmt: skip
    queries += [Query(places.LOCK_PEOPLE, values), Query(places.PEOPLES_ACTIVE, values),
                *requirements.fact_queries(people)]  # fmt: skip
    gig_rows, *group_results, found, active, births, valid = await tx.batch(*queries)
    gig = gig_rows[0] if gig_rows else None
    if gig is None or not principal.may_see_gig(gig.organization_id, gig.status):
        raise NotFound("No such gig.")
    _check_caller(principal, signup_in)
    _check_open(gig)
    size = 1
    if individual:
        if gig.kind != "one_off":
            raise _kind_mismatch(gig.kind)
        if not found:
            raise NotFound("No such volunteer.")
    else:
        if gig.kind != "group":
            raise _kind_mismatch(gig.kind)
        association, known, group_on_gig = group_results
        size = int(signup_in.size or 1)
        _check_group(gig, size, members, association=association, known=known)
        if group_on_gig:
            raise places.AlreadySignedUp("There is already a sign-up for this gig.")
    places.check_not_booked(gig, active)
    requirements.check(gig, people, requirements.People(births, valid))
    now = utcnow()
    signup_id = new_id("sgn")
    place = places.take_place(
        gig, signup_id=signup_id, volunteer_id=signup_in.volunteer_id,
        association_id=signup_in.association_id, size=size, waitlist=signup_in.waitlist, now=now,
    )  # fmt: skip
    read = SignupRead(
        id=signup_id,
        gig_id=gig.id,
        volunteer_id=signup_in.volunteer_id,
        association_id=signup_in.association_id,
        size=size,
        member_ids=members,
        status="confirmed",
        waitlist_position=None,
        attended=None,
        hours=None,
        created_at=now,
    )
    _, taken, counted, *_ = await tx.commit(
        *place,
        *(places.add_member(signup_id, member) for member in members),
        events.signup_taken(read),
    )
    if not taken:
        raise await _why_no_place(tx, gig, size)
    status = taken[0].status
    tx.note_event(f"signup.{status}")
    return SignupRead(
        id=signup_id,
        gig_id=gig.id,
        volunteer_id=signup_in.volunteer_id,
        association_id=signup_in.association_id,
        size=size,
        member_ids=members,
        status=status,
        # The newest waitlisted sign-up has the highest queue number: it is last.
        waitlist_position=counted[0].waitlist_count if status == "waitlisted" else None,
        attended=None,
        hours=None,
        created_at=now,
    )


async def _why_no_place(tx: Tx, checked: Row, size: int) -> Conflict:
    """Why `TAKE_PLACE` inserted nothing: the gig closed, or it is full (without the
    waitlist). A gig that changed since its checks runs the sign-up again (`RunAgain`)."""
    gig = await tx.one(places.GIG, gig_id=checked.id)
    if gig.status != "open":
        return GigNotOpen(f"The gig is {gig.status}.")
    if any(gig[name] != checked[name] for name in places.CHECKED):
        raise RunAgain
    spots = max(gig.capacity - gig.confirmed_people, 0)
    return GigFull(f"{spots} spots left; you asked for {size}.")


def _check_caller(principal: Principal, signup_in: SignupCreate) -> None:
    if signup_in.volunteer_id is not None and not principal.acts_for_volunteer(
        signup_in.volunteer_id
    ):
        raise Forbidden("A volunteer signs up with its own token.")
    if signup_in.association_id is not None and not principal.acts_for_association(
        signup_in.association_id
    ):
        raise Forbidden("A group signs up with its association's key.")


def _check_open(gig: Row) -> None:
    if gig.status != "open":
        raise GigNotOpen(f"The gig is {gig.status}.")
    now = utcnow()
    if now >= gig.starts_at or (gig.signup_deadline is not None and now > gig.signup_deadline):
        raise SignupClosed("The sign-up deadline or the start has passed.")


def _kind_mismatch(kind: str) -> KindMismatch:
    expected = "`volunteer_id`" if kind == "one_off" else "`association_id` and `size`"
    return KindMismatch(
        f"This is a {kind} gig: sign up with {expected}.",
        errors=[{"loc": ["body"], "msg": f"a {kind} gig takes {expected}"}],
    )


def _check_group(
    gig: Row, size: int, members: list[str], *, association: Sequence[Row], known: Sequence[Row]
) -> None:
    """A known association, a size within the gig's group bounds, and named members who
    are members of the association."""
    if not association:
        raise NotFound("No such association.")
    low, high = gig.group_size_min or 1, gig.group_size_max or gig.capacity
    if not low <= size <= high:
        raise field_error(["body", "size"], f"this gig takes groups of {low} to {high} people")
    known_ids = {row.volunteer_id for row in known}
    strangers = [member for member in members if member not in known_ids]
    if strangers:
        raise field_error(["body", "member_ids"], f"not members of the association: {strangers}")


_SIGNUP = select(Signup).where(Signup.id == bindparam("signup_id"))
_GIG_OWNER = select(Gig.organization_id).where(Gig.id == bindparam("gig_id"))
_CANCEL = (
    update(Signup)
    .where(Signup.id == bindparam("signup_id"))
    .values(status="cancelled", cancelled_at=bindparam("now"))
)


def is_signer(principal: Principal, signup: Row) -> bool:
    """Whether the caller signed this sign-up up (its volunteer, or its association)."""
    if signup.volunteer_id is not None and principal.acts_for_volunteer(signup.volunteer_id):
        return True
    return signup.association_id is not None and principal.acts_for_association(
        signup.association_id
    )


async def lock_for_change(tx: Tx, signup_id: str) -> tuple[Row, Row]:
    """The sign-up and its gig, the gig's row locked first (`places`), read again after."""
    signup = await tx.row(_SIGNUP, signup_id=signup_id)
    if signup is None:
        raise NotFound("No such sign-up.")
    gig = await tx.one(places.LOCK_GIG, gig_id=signup.gig_id)
    # Read again under the gig's lock: a cancellation or promotion may have just landed.
    return await tx.one(_SIGNUP, signup_id=signup_id), gig


@writes
async def cancel(tx: Tx, *, principal: Principal, signup_id: str) -> SignupRead:
    """Cancel a sign-up (the signer, the gig's organisation, the admin); the waitlist
    moves up."""
    signup, gig = await lock_for_change(tx, signup_id)
    if not (is_signer(principal, signup) or principal.acts_for_organization(gig.organization_id)):
        raise NotFound("No such sign-up.")
    await cancel_locked(tx, signup, gig)
    return (await signup_reads.to_read(tx, [await tx.one(_SIGNUP, signup_id=signup_id)]))[0]


async def cancel_locked(tx: Tx, signup: Row, gig: Row) -> list[str]:
    """Cancel ``signup`` of the locked ``gig`` and promote the waitlist (no permission
    check: the caller made it), with their events; the ids of those promoted."""
    if signup.status == "cancelled" or signup.attended is not None:
        raise SignupNotActive("This sign-up can no longer be cancelled.")
    tx.defer(_CANCEL, signup_id=signup.id, now=utcnow())
    place: places.Place = "confirmed" if signup.status == "confirmed" else "waitlisted"
    places.give_back(tx, gig.id, size=signup.size, place=place)
    promoted: list[str] = []
    if signup.status == "confirmed":
        # The counters as they are now, after this sign-up's place was given back.
        promoted = await waitlist.promote(tx, await tx.one(places.LOCK_GIG, gig_id=gig.id))
    await events.signup_events(tx, "signup.cancelled", [signup.id])
    await events.signup_events(tx, "signup.promoted", promoted)
    return promoted


_RECORD = (
    update(Signup)
    .where(Signup.id == bindparam("signup_id"))
    .values(attended=bindparam("came"), hours=bindparam("hours_each"))
)


@writes
async def record_attendance(
    tx: Tx, *, principal: Principal, signup_id: str, record: AttendanceRecord
) -> SignupRead:
    """Record whether the people came and the hours per person (after the start)."""
    signup, gig = await lock_for_change(tx, signup_id)
    if not principal.acts_for_organization(gig.organization_id):
        raise NotFound("No such sign-up.")
    if signup.status != "confirmed":
        raise SignupNotConfirmed(f"The sign-up is {signup.status}.")
    if utcnow() < gig.starts_at:
        raise GigNotStarted("Record attendance once the gig has started.")
    duration = (gig.ends_at - gig.starts_at).total_seconds() / 3600
    hours = record.hours if record.hours is not None else (duration if record.attended else None)
    if hours is not None and hours > max_hours(gig):
        raise field_error(
            ["body", "hours"],
            f"at most the gig's {duration:g} hours plus {ATTENDANCE_MARGIN_HOURS:g}",
        )
    rounded = round(hours, 2) if hours is not None else None
    return await attended(tx, signup_id, came=record.attended, hours=rounded)


def max_hours(gig: Row) -> float:
    """The most hours one person can have on ``gig``: its duration plus the margin."""
    duration: float = (gig.ends_at - gig.starts_at).total_seconds() / 3600
    return duration + ATTENDANCE_MARGIN_HOURS


async def attended(
    tx: Tx, signup_id: str, *, came: bool, hours: float | None, **values: object
) -> SignupRead:
    """Record attendance (and ``values`` of the sign-up) with its `signup.attended` event:
    by the organisation, or at check-out."""
    statement = _RECORD.values(**values) if values else _RECORD
    await tx.run(statement, signup_id=signup_id, came=came, hours_each=hours)
    (read,) = await signup_reads.to_read(tx, [await tx.one(_SIGNUP, signup_id=signup_id)])
    events.record(tx, "signup.attended", read)
    return read


@reads
async def get_visible(tx: Tx, *, principal: Principal, signup_id: str) -> SignupRead:
    """A sign-up the caller may see: its signer, the gig's organisation, the admin."""
    signup = await tx.row(_SIGNUP, signup_id=signup_id)
    if signup is None:
        raise NotFound("No such sign-up.")
    organization_id = await tx.scalar(_GIG_OWNER, gig_id=signup.gig_id)
    if not (is_signer(principal, signup) or principal.acts_for_organization(organization_id)):
        raise NotFound("No such sign-up.")
    return (await signup_reads.to_read(tx, [signup]))[0]
