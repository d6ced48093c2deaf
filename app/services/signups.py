"""Sign-ups with a hard capacity guarantee, a first-come-first-served waitlist and conflicts.

Capacity is guaranteed inside the writing transaction: on PostgreSQL the gig row is
locked (`SELECT ... FOR UPDATE`) before its counters are read; on SQLite the request's
transaction began with `BEGIN IMMEDIATE`, so it holds the database's write lock before
reading anything. Either way no other sign-up for the gig can interleave between the
check and the write. The `ck_gigs_capacity` check constraint is the last line: the
database refuses any write that would confirm more people than the capacity.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from app.models import Association, AssociationMember, Gig, Signup, SignupMember, Volunteer
from app.models.base import UTCDateTime, utcnow
from app.schemas.signup import ATTENDANCE_MARGIN_HOURS, AttendanceRecord, SignupCreate
from app.services import gigs


class GigFull(Conflict):
    type, title = "gig-full", "The gig is full"


class AlreadySignedUp(Conflict):
    type, title = "already-signed-up", "Already signed up for this gig"


class TimeConflict(Conflict):
    type, title = "time-conflict", "Already confirmed for a gig at the same time"


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


def _lock_gig(session: Session, gig_id: str) -> Gig:
    gig = session.scalars(select(Gig).where(Gig.id == gig_id).with_for_update()).one_or_none()
    if gig is None:
        raise NotFound("No such gig.")
    return gig


def _involves(volunteer_ids: list[str]) -> Any:
    """Sign-ups of these people: as the one who signed up, or named in a group."""
    return or_(
        Signup.volunteer_id.in_(volunteer_ids),
        exists().where(
            and_(SignupMember.signup_id == Signup.id, SignupMember.volunteer_id.in_(volunteer_ids))
        ),
    )


# Built once: these run on every sign-up, and building a statement costs more than running it.
_PEOPLE: BindParameter[Any] = bindparam("people", expanding=True)
_INVOLVES_PEOPLE = or_(
    Signup.volunteer_id.in_(_PEOPLE),
    exists().where(
        and_(SignupMember.signup_id == Signup.id, SignupMember.volunteer_id.in_(_PEOPLE))
    ),
)
_TIME_CONFLICT = (
    select(Signup.id)
    .join(Gig, Gig.id == Signup.gig_id)
    .where(
        Signup.status == "confirmed",
        Gig.id != bindparam("gig_id"),
        Gig.starts_at < bindparam("ends_at", type_=UTCDateTime()),  # back to back is no overlap
        Gig.ends_at > bindparam("starts_at", type_=UTCDateTime()),
        _INVOLVES_PEOPLE,
    )
    .limit(1)
)
_ACTIVE_ON_GIG = select(Signup.id).where(
    Signup.gig_id == bindparam("gig_id"), Signup.status != "cancelled"
)
_ALREADY_PERSON = _ACTIVE_ON_GIG.where(_INVOLVES_PEOPLE).limit(1)
_ALREADY_GROUP = _ACTIVE_ON_GIG.where(
    or_(Signup.association_id == bindparam("association_id"), _INVOLVES_PEOPLE)
).limit(1)


def _has_time_conflict(session: Session, gig: Gig, volunteer_ids: list[str]) -> bool:
    """Whether any of the people is confirmed for another gig that overlaps this one."""
    if not volunteer_ids:
        return False
    parameters = {
        "gig_id": gig.id,
        "starts_at": gig.starts_at,
        "ends_at": gig.ends_at,
        "people": volunteer_ids,
    }
    return session.execute(_TIME_CONFLICT, parameters).first() is not None


def _lock_people(session: Session, volunteer_ids: list[str]) -> list[str]:
    """Lock the people's rows (PostgreSQL), so two gigs cannot both confirm one person.

    The gig is always locked first and people in id order, so locks never cross.
    """
    if volunteer_ids:
        session.execute(
            select(Volunteer.id)
            .where(Volunteer.id.in_(sorted(volunteer_ids)))
            .order_by(Volunteer.id)
            .with_for_update()
        )
    return volunteer_ids


def _people(session: Session, signup: Signup) -> list[str]:
    if signup.volunteer_id is not None:
        return [signup.volunteer_id]
    return list(
        session.scalars(
            select(SignupMember.volunteer_id).where(SignupMember.signup_id == signup.id)
        )
    )


def _check_group(session: Session, gig: Gig, signup_in: SignupCreate) -> None:
    assert signup_in.association_id is not None
    assert signup_in.size is not None
    if session.get(Association, signup_in.association_id) is None:
        raise NotFound("No such association.")
    low, high = gig.group_size_min or 1, gig.group_size_max or gig.capacity
    if not low <= signup_in.size <= high:
        raise field_error(["body", "size"], f"this gig takes groups of {low} to {high} people")
    members = signup_in.member_ids or []
    if members:
        known = set(
            session.scalars(
                select(AssociationMember.volunteer_id).where(
                    AssociationMember.association_id == signup_in.association_id,
                    AssociationMember.volunteer_id.in_(members),
                )
            )
        )
        strangers = [member for member in members if member not in known]
        if strangers:
            raise field_error(
                ["body", "member_ids"], f"not members of the association: {strangers}"
            )


def create(
    *, session: Session, principal: Principal, gig_id: str, signup_in: SignupCreate
) -> Signup:
    """Sign a volunteer or a group up: confirmed while it fits, else waitlisted (or 409)."""
    gig = gigs.get_visible(session=session, principal=principal, gig_id=gig_id, for_update=True)
    if signup_in.volunteer_id is not None and not principal.acts_for_volunteer(
        signup_in.volunteer_id
    ):
        raise Forbidden("A volunteer signs up with its own token.")
    if signup_in.association_id is not None and not principal.acts_for_association(
        signup_in.association_id
    ):
        raise Forbidden("A group signs up with its association's key.")
    now = utcnow()
    if gig.status != "open":
        raise GigNotOpen(f"The gig is {gig.status}.")
    if now >= gig.starts_at or (gig.signup_deadline is not None and now > gig.signup_deadline):
        raise SignupClosed("The sign-up deadline or the start has passed.")
    individual = signup_in.volunteer_id is not None
    if individual != (gig.kind == "one_off"):
        expected = "`volunteer_id`" if gig.kind == "one_off" else "`association_id` and `size`"
        raise KindMismatch(
            f"This is a {gig.kind} gig: sign up with {expected}.",
            errors=[{"loc": ["body"], "msg": f"a {gig.kind} gig takes {expected}"}],
        )
    if individual:
        if session.get(Volunteer, signup_in.volunteer_id) is None:
            raise NotFound("No such volunteer.")
        people = [str(signup_in.volunteer_id)]
        size = 1
    else:
        _check_group(session, gig, signup_in)
        people = list(signup_in.member_ids or [])
        size = int(signup_in.size or 1)
    if individual:
        already = session.execute(_ALREADY_PERSON, {"gig_id": gig.id, "people": people})
    else:
        already = session.execute(
            _ALREADY_GROUP,
            {"gig_id": gig.id, "people": people, "association_id": signup_in.association_id},
        )
    if already.first() is not None:
        raise AlreadySignedUp("There is already a sign-up for this gig.")
    if _has_time_conflict(session, gig, _lock_people(session, people)):
        raise TimeConflict("Someone in this sign-up is confirmed for a gig at the same time.")

    fits = gig.confirmed_people + size <= gig.capacity
    if not fits and not signup_in.waitlist:
        raise GigFull(f"{gig.spots_left} spots left; you asked for {size}.")
    gig.signup_counter += 1
    signup = Signup(
        gig_id=gig.id,
        volunteer_id=signup_in.volunteer_id,
        association_id=signup_in.association_id,
        size=size,
        status="confirmed" if fits else "waitlisted",
        queue_number=gig.signup_counter,
        created_at=now,
    )
    if fits:
        gig.confirmed_people += size
    else:
        gig.waitlist_count += 1
    gig.updated_at = now
    session.add(signup)
    session.flush()
    session.add_all(
        SignupMember(signup_id=signup.id, volunteer_id=member)
        for member in signup_in.member_ids or []
    )
    session.flush()
    return signup


def promote(*, session: Session, gig: Gig) -> list[Signup]:
    """Confirm waitlisted sign-ups, first come first served, while spots are free.

    An entry too large for the free spots, or whose people are now confirmed for an
    overlapping gig, keeps its place and is skipped. The gig must be locked.
    """
    spots = gig.capacity - gig.confirmed_people
    promoted: list[Signup] = []
    if spots <= 0 or gig.waitlist_count == 0:
        return promoted
    waiting = session.scalars(
        select(Signup)
        .where(Signup.gig_id == gig.id, Signup.status == "waitlisted")
        .order_by(Signup.queue_number)
    ).all()
    now = utcnow()
    for signup in waiting:
        if signup.volunteer_id is None and signup.association_id is None:
            continue  # its volunteer was erased: nobody to promote
        people = _people(session, signup)
        if signup.size > spots or _has_time_conflict(session, gig, _lock_people(session, people)):
            continue
        signup.status = "confirmed"
        signup.promoted_at = now
        gig.confirmed_people += signup.size
        gig.waitlist_count -= 1
        spots -= signup.size
        promoted.append(signup)
        if spots == 0:
            break
    if promoted:
        gig.updated_at = now
    session.flush()
    return promoted


def _load(session: Session, signup_id: str) -> Signup:
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise NotFound("No such sign-up.")
    return signup


def _is_signer(principal: Principal, signup: Signup) -> bool:
    if signup.volunteer_id is not None and principal.acts_for_volunteer(signup.volunteer_id):
        return True
    return signup.association_id is not None and principal.acts_for_association(
        signup.association_id
    )


def cancel(*, session: Session, principal: Principal, signup_id: str) -> Signup:
    """Cancel a sign-up (the signer, the gig's organisation, the admin) and promote others."""
    signup = _load(session, signup_id)
    gig = _lock_gig(session, signup.gig_id)
    session.refresh(signup)
    if not (_is_signer(principal, signup) or principal.acts_for_organization(gig.organization_id)):
        raise NotFound("No such sign-up.")
    if signup.status == "cancelled" or signup.attended is not None:
        raise SignupNotActive("This sign-up can no longer be cancelled.")
    was_confirmed = signup.status == "confirmed"
    signup.status = "cancelled"
    signup.cancelled_at = utcnow()
    if was_confirmed:
        gig.confirmed_people -= signup.size
    else:
        gig.waitlist_count -= 1
    gig.updated_at = utcnow()
    session.flush()
    if was_confirmed and gig.status == "open":
        promote(session=session, gig=gig)
    return signup


def cancel_all(*, session: Session, gig: Gig) -> None:
    """Cancel every sign-up of a gig that is being cancelled (the gig is locked)."""
    now = utcnow()
    session.execute(
        update(Signup)
        .where(Signup.gig_id == gig.id, Signup.status != "cancelled")
        .values(status="cancelled", cancelled_at=now, updated_at=now)
    )
    gig.confirmed_people = 0
    gig.waitlist_count = 0


def record_attendance(
    *, session: Session, principal: Principal, signup_id: str, record: AttendanceRecord
) -> Signup:
    """Record whether the people came and the hours per person (after the start)."""
    signup = _load(session, signup_id)
    gig = _lock_gig(session, signup.gig_id)
    if not principal.acts_for_organization(gig.organization_id):
        raise NotFound("No such sign-up.")
    if signup.status != "confirmed":
        raise SignupNotConfirmed(f"The sign-up is {signup.status}.")
    if utcnow() < gig.starts_at:
        raise GigNotStarted("Record attendance once the gig has started.")
    duration = (gig.ends_at - gig.starts_at).total_seconds() / 3600
    hours = record.hours if record.hours is not None else (duration if record.attended else None)
    if hours is not None and hours > duration + ATTENDANCE_MARGIN_HOURS:
        raise field_error(
            ["body", "hours"],
            f"at most the gig's {duration:g} hours plus {ATTENDANCE_MARGIN_HOURS:g}",
        )
    signup.attended = record.attended
    signup.hours = round(hours, 2) if hours is not None else None
    session.flush()
    return signup


def waitlist_positions(session: Session, signups: list[Signup]) -> dict[str, int]:
    """The current 1-based waitlist place of each waitlisted sign-up given."""
    positions: dict[str, int] = {}
    for signup in signups:
        if signup.status == "waitlisted":
            ahead = session.scalar(
                select(func.count())
                .select_from(Signup)
                .where(
                    Signup.gig_id == signup.gig_id,
                    Signup.status == "waitlisted",
                    Signup.queue_number <= signup.queue_number,
                )
            )
            positions[signup.id] = int(ahead or 0)
    return positions


def member_ids(session: Session, signups: list[Signup]) -> dict[str, list[str]]:
    """The volunteers named in each group sign-up."""
    ids = [signup.id for signup in signups if signup.association_id is not None]
    named: dict[str, list[str]] = {signup_id: [] for signup_id in ids}
    if ids:
        rows = session.execute(
            select(SignupMember.signup_id, SignupMember.volunteer_id)
            .where(SignupMember.signup_id.in_(ids))
            .order_by(SignupMember.volunteer_id)
        )
        for signup_id, volunteer_id in rows:
            named[signup_id].append(volunteer_id)
    return named


def get_visible(*, session: Session, principal: Principal, signup_id: str) -> Signup:
    """A sign-up the caller may see: its signer, the gig's organisation, the admin."""
    signup = _load(session, signup_id)
    gig = session.get(Gig, signup.gig_id)
    assert gig is not None
    if not (_is_signer(principal, signup) or principal.acts_for_organization(gig.organization_id)):
        raise NotFound("No such sign-up.")
    return signup


def involving_volunteer(volunteer_id: str) -> Any:
    """A filter for the sign-ups a volunteer is part of."""
    return _involves([volunteer_id])
