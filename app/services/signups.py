"""Sign-ups with a hard capacity guarantee, a first-come-first-served waitlist and conflicts.

Capacity is guaranteed inside the writing transaction: on PostgreSQL the gig row is
locked (`SELECT ... FOR UPDATE`) before its counters are read; on SQLite the request's
transaction began with `BEGIN IMMEDIATE`, so it holds the database's write lock before
reading anything. Either way no other sign-up for the gig can interleave between the
check and the write. The `ck_gigs_capacity` check constraint is the last line: the
database refuses any write that would confirm more people than the capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    BindParameter,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from app.auth import TOKEN_KNOWN, Principal, principal_from, token_query
from app.config import Settings
from app.db import RunAgain, with_retries
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from app.models import (
    Association,
    AssociationMember,
    Gig,
    Signup,
    SignupMember,
    Volunteer,
)
from app.models.base import UTCDateTime, new_id, utcnow
from app.schemas.signup import (
    ATTENDANCE_MARGIN_HOURS,
    AttendanceRecord,
    SignupCreate,
    SignupRead,
)
from app.services import gigs
from app.sql_batch import Step, Steps, in_ids, run_batch, run_steps


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
# Every active sign-up of the people, with its gig's time: few rows, found from the
# people (not from the gig, whose sign-ups may be thousands), and both checks (already
# signed up, time conflict) are made on them in Python. One branch per way of taking
# part, each led by its person index, so that no plan (a cached generic one included)
# can start from the wrong end.
_GIG_OF_SIGNUP = aliased(Gig)


def _gig_time(column: Any) -> Any:
    # A correlated look-up by the gig's primary key, not a join: a join may be planned as
    # a hash join that reads every gig.
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
_PEOPLES_ACTIVE = select(union_all(_AS_SIGNER, _AS_MEMBER).subquery())
_GROUP_ON_GIG = select(Signup.id).where(
    Signup.gig_id == bindparam("gig_id"),
    Signup.association_id == bindparam("association_id"),
    Signup.status != "cancelled",
)


def _overlaps(
    rows: Sequence[Mapping[str, Any]], gig_id: str, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether any confirmed sign-up among ``rows`` is for another gig at an overlapping
    time (back to back is no overlap)."""
    return any(
        row["status"] == "confirmed"
        and row["gig_id"] != gig_id
        and row["starts_at"] < ends_at
        and row["ends_at"] > starts_at
        for row in rows
    )


def _has_time_conflict(session: Session, gig: Gig, volunteer_ids: list[str]) -> bool:
    """Whether any of the people is confirmed for another gig that overlaps this one."""
    if not volunteer_ids:
        return False
    (rows,) = run_batch(session.connection(), [(_PEOPLES_ACTIVE, {"people": volunteer_ids})])
    return _overlaps(rows, gig.id, gig.starts_at, gig.ends_at)


# Rows are locked only for a caller whose token exists: `trusted` (a caller already
# known) or the token's hash found. An unknown token locks nothing before its 401.
_CALLER_KNOWN = or_(bindparam("trusted"), TOKEN_KNOWN)


def _lock_people(connection: Connection, volunteer_ids: list[str]) -> list[str]:
    """Lock the people's rows (PostgreSQL) and return those that exist, in id order.

    Two sign-ups of one person (for one gig, or for overlapping gigs) take turns here,
    so each sees the other's sign-up in its checks. Rows are locked in id order, so two
    such lock sets never cross.
    """
    if not volunteer_ids:
        return []
    values = {"people": volunteer_ids, "trusted": True, "digest": ""}
    return list(connection.scalars(_LOCK_PEOPLE, values))


_LOCK_PEOPLE = (
    select(Volunteer.id)
    .where(in_ids(Volunteer.id, "people"), _CALLER_KNOWN)
    .order_by(Volunteer.id)
    .with_for_update()
)


def _people(session: Session, signup: Signup) -> list[str]:
    if signup.volunteer_id is not None:
        return [signup.volunteer_id]
    return list(
        session.scalars(
            select(SignupMember.volunteer_id).where(SignupMember.signup_id == signup.id)
        )
    )


# The gig as a sign-up needs it. On SQLite it is read under the write lock; on
# PostgreSQL without a lock, and the statement that takes the place matches only while
# status, kind, times, deadline and group bounds are still the ones checked (if one
# changed meanwhile, the sign-up runs again from the start: `RunAgain`).
_GIG_FOR_SIGNUP = select(
    Gig.id,
    Gig.organization_id,
    Gig.status,
    Gig.kind,
    Gig.starts_at,
    Gig.ends_at,
    Gig.signup_deadline,
    Gig.capacity,
    Gig.confirmed_people,
    Gig.group_size_min,
    Gig.group_size_max,
).where(Gig.id == bindparam("gig_id"))
_SIZE: BindParameter[int] = bindparam("size")
_FITS = Gig.confirmed_people + _SIZE <= Gig.capacity
_PLACE_TAKEN = {
    "signup_counter": Gig.signup_counter + 1,
    "version": Gig.version + 1,  # what the ORM's version counter would do: new ETag
    "updated_at": bindparam("now", type_=UTCDateTime()),
}
# Taking a place is one atomic UPDATE of the gig row, which holds the row's lock until
# the transaction ends: a confirmed place only while it fits, a waitlist place only
# while it does not. Neither matches once the gig is no longer open.
_GIGS = cast(Table, Gig.__table__)
_CONFIRM = (
    update(_GIGS)
    .where(Gig.id == bindparam("gig_id"), Gig.status == "open", _FITS)
    .values(confirmed_people=Gig.confirmed_people + _SIZE, **_PLACE_TAKEN)
    .returning(Gig.signup_counter)
)
_WAITLIST = (
    update(_GIGS)
    .where(Gig.id == bindparam("gig_id"), Gig.status == "open", ~_FITS)
    .values(waitlist_count=Gig.waitlist_count + 1, **_PLACE_TAKEN)
    .returning(Gig.signup_counter, Gig.waitlist_count)
)
_ASSOCIATION = (
    select(Association.id)
    .where(Association.id == bindparam("association_id"), _CALLER_KNOWN)
    .with_for_update()
)
_KNOWN_MEMBERS = select(AssociationMember.volunteer_id.label("id")).where(
    AssociationMember.association_id == bindparam("association_id"),
    in_ids(AssociationMember.volunteer_id, "people"),
)
_INSERT_SIGNUP = insert(cast(Table, Signup.__table__))
_INSERT_MEMBERS = insert(cast(Table, SignupMember.__table__))


def create(
    *, session: Session, principal: Principal, gig_id: str, signup_in: SignupCreate
) -> SignupRead:
    """Sign a volunteer or a group up: confirmed while it fits, else waitlisted (or 409).

    The sign-up is `sign_up_steps`, run here on the session's connection.
    """
    connection = session.connection()

    def attempt() -> SignupRead:
        # Again in the same transaction, its locks held: the steps read the gig again.
        steps = sign_up_steps(
            connection.dialect.name, gig_id=gig_id, signup_in=signup_in, principal=principal
        )
        return run_steps(connection, steps)

    return with_retries(attempt)


def sign_up_steps(
    dialect: str,
    *,
    gig_id: str,
    signup_in: SignupCreate,
    principal: Principal | None = None,
    settings: Settings | None = None,
    token: str | None = None,
) -> Steps[SignupRead]:
    """A sign-up as the statements it runs (`app.sql_batch.Steps`), for any driver.

    The caller is ``principal``, or the owner of ``token`` (resolved as the first read:
    401 when it is unknown). Then, in two steps: the reads and locks, then taking the
    place. Locks, in this order: the association (group sign-ups), the people's rows,
    then the gig's row by the statement that takes the place, held to the commit only.
    Nobody can sign up the same person twice or into overlapping gigs meanwhile (the
    people's locks: the checks after them see every sign-up of theirs that committed),
    and the gig's counters only ever change under its row lock. A promotion locks the
    gig before the people, so the two can deadlock on PostgreSQL; the server then
    aborts one and it runs again (`app.db.with_retries`, in both drivers and routes).
    """
    # The token's read goes first in the first step (one round trip less); the caller's
    # rights are checked on its answer before anything is written, and the locks in that
    # step are taken only if the token's hash exists (`_CALLER_KNOWN`).
    by_token: tuple[Any, str] | None = None
    if principal is None:
        assert settings is not None
        assert token is not None
        query = token_query(settings, token)
        if isinstance(query, tuple):
            by_token = query
        elif query is None:
            raise Unauthorized("The token is unknown or revoked.")
        else:
            principal = query
    individual = signup_in.volunteer_id is not None
    members = sorted(set(signup_in.member_ids or []))
    people = [str(signup_in.volunteer_id)] if individual else members
    values = {"gig_id": gig_id, "people": people, "association_id": signup_in.association_id,
              "trusted": by_token is None, "digest": by_token[1] if by_token else ""}  # fmt: skip
    # Locks: the association (two sign-ups of one group take turns), then the people.
    statements: list[Any] = [_GIG_FOR_SIGNUP]
    if not individual:
        statements += [_ASSOCIATION, _KNOWN_MEMBERS]
    statements += [_LOCK_PEOPLE, _PEOPLES_ACTIVE]
    if not individual:
        statements.append(_GROUP_ON_GIG)
    reads = [(statement, values) for statement in statements]
    if by_token is not None:
        reads.insert(0, (by_token[0], {"digest": by_token[1]}))
    results = yield Step(reads)
    if by_token is not None:
        assert token is not None
        principal = principal_from(token, by_token[1], results.pop(0))
        if principal is None:
            raise Unauthorized("The token is unknown or revoked.")
    assert principal is not None
    gig_rows = results[0]
    association: Sequence[Mapping[str, Any]] = ()
    known: Sequence[Mapping[str, Any]] = ()
    group_on_gig: Sequence[Mapping[str, Any]] = ()
    if individual:
        found, peoples = results[1:]
    else:
        association, known, found, peoples, group_on_gig = results[1:]
    gig = gig_rows[0] if gig_rows else None
    if gig is None or not gigs.may_see(principal, gig["organization_id"], gig["status"]):
        raise NotFound("No such gig.")
    if signup_in.volunteer_id is not None and not principal.acts_for_volunteer(
        signup_in.volunteer_id
    ):
        raise Forbidden("A volunteer signs up with its own token.")
    if signup_in.association_id is not None and not principal.acts_for_association(
        signup_in.association_id
    ):
        raise Forbidden("A group signs up with its association's key.")
    now = utcnow()
    if gig["status"] != "open":
        raise GigNotOpen(f"The gig is {gig['status']}.")
    deadline = gig["signup_deadline"]
    if now >= gig["starts_at"] or (deadline is not None and now > deadline):
        raise SignupClosed("The sign-up deadline or the start has passed.")
    if individual != (gig["kind"] == "one_off"):
        kind = gig["kind"]
        expected = "`volunteer_id`" if kind == "one_off" else "`association_id` and `size`"
        raise KindMismatch(
            f"This is a {kind} gig: sign up with {expected}.",
            errors=[{"loc": ["body"], "msg": f"a {kind} gig takes {expected}"}],
        )
    if individual:
        size = 1
        if not found:
            raise NotFound("No such volunteer.")
    else:
        size = int(signup_in.size or 1)
        _check_group(gig, size, members, association=association, known=known)
    if group_on_gig or any(row["gig_id"] == gig_id for row in peoples):
        raise AlreadySignedUp("There is already a sign-up for this gig.")
    if _overlaps(peoples, gig_id, gig["starts_at"], gig["ends_at"]):
        raise TimeConflict("Someone in this sign-up is confirmed for a gig at the same time.")

    signup_id = new_id("sgn")
    row = {"id": signup_id, "gig_id": gig_id, "volunteer_id": signup_in.volunteer_id,
           "association_id": signup_in.association_id, "size": size, "now": now}  # fmt: skip
    if dialect == "postgresql":
        checked = {name: gig[name] for name in _CHECKED}
        status, queue_number, position = yield from _take_place_postgresql(
            row, checked, members=members, waitlist=signup_in.waitlist
        )
    else:
        status, queue_number, position = yield from _take_place(
            gig_id=gig_id, size=size, waitlist=signup_in.waitlist, now=now
        )
        inserts: list[tuple[Any, Any]] = [
            (_INSERT_SIGNUP, {**row, "status": status, "queue_number": queue_number,
                              "created_at": now, "updated_at": now}),
        ]  # fmt: skip
        if members:
            rows = [{"signup_id": signup_id, "volunteer_id": member} for member in members]
            inserts.append((_INSERT_MEMBERS, rows))
        yield Step(inserts)
    return SignupRead(
        id=signup_id,
        gig_id=gig_id,
        volunteer_id=signup_in.volunteer_id,
        association_id=signup_in.association_id,
        size=size,
        member_ids=members,
        status=status,
        waitlist_position=position,
        attended=None,
        hours=None,
        created_at=now,
    )


def _check_group(
    gig: Mapping[str, Any],
    size: int,
    members: list[str],
    *,
    association: Sequence[Mapping[str, Any]],
    known: Sequence[Mapping[str, Any]],
) -> None:
    """A group sign-up: a known association, a size within the gig's group bounds, and
    named members who are members of the association."""
    if not association:
        raise NotFound("No such association.")
    low, high = gig["group_size_min"] or 1, gig["group_size_max"] or gig["capacity"]
    if not low <= size <= high:
        raise field_error(["body", "size"], f"this gig takes groups of {low} to {high} people")
    known_ids = {row["id"] for row in known}
    strangers = [member for member in members if member not in known_ids]
    if strangers:
        raise field_error(["body", "member_ids"], f"not members of the association: {strangers}")


def _take_place(
    *, gig_id: str, size: int, waitlist: bool, now: datetime
) -> Steps[tuple[Literal["confirmed", "waitlisted"], int, int | None]]:
    """(status, queue number, waitlist position) of a new sign-up, counted on the gig.

    SQLite: the transaction holds the write lock, so the gig is as it was read. A place
    that does not fit goes to the end of the waitlist (its position is the new waitlist
    count, as its queue number is the highest).
    """
    values = {"gig_id": gig_id, "size": size, "now": now}
    (confirmed,) = yield Step([(_CONFIRM, values)])
    if confirmed:
        return "confirmed", confirmed[0]["signup_counter"], None
    if waitlist:
        (waitlisted,) = yield Step([(_WAITLIST, values)])
        if waitlisted:
            return "waitlisted", waitlisted[0]["signup_counter"], waitlisted[0]["waitlist_count"]
    raise (yield from _why_no_place(gig_id, size, None))


def _why_no_place(gig_id: str, size: int, checked: dict[str, Any] | None) -> Steps[Conflict]:
    """The error for a sign-up that found no place: the gig closed, or it is full.

    Raises `RunAgain` when the gig is open but differs from what was ``checked``.
    """
    (rows,) = yield Step([(_GIG_FOR_SIGNUP, {"gig_id": gig_id})])
    current = rows[0]
    if current["status"] != "open":
        return GigNotOpen(f"The gig is {current['status']}.")
    if checked is not None and any(current[name] != value for name, value in checked.items()):
        raise RunAgain
    spots = max(current["capacity"] - current["confirmed_people"], 0)
    return GigFull(f"{spots} spots left; you asked for {size}.")


#: What the checks before taking a place rely on; on PostgreSQL the place is taken
#: only while these are unchanged.
_CHECKED = ("kind", "starts_at", "ends_at", "signup_deadline", "group_size_min", "group_size_max")

# PostgreSQL: lock the gig row, then take the place and insert the sign-up in one
# statement. The lock is its own statement, so the next one starts (and takes its
# snapshot) holding it: every part of that statement sees the same, latest version of
# the row, whatever plan the server chooses. (With `FOR UPDATE` inside the CTE instead,
# a cached generic plan let the UPDATE and the comparison see different versions; the
# check constraint refused the result, but as a 500.)
_PG_LOCK_GIG = "SELECT 1 FROM gigs WHERE id = %(gig_id)s FOR UPDATE"
_PG_SIGN_UP = """
WITH locked AS (
    SELECT id, confirmed_people + %(size)s <= capacity AS fits
    FROM gigs
    WHERE id = %(gig_id)s AND status = 'open' AND kind = %(kind)s
      AND starts_at = %(starts_at)s AND ends_at = %(ends_at)s
      AND signup_deadline IS NOT DISTINCT FROM %(signup_deadline)s
      AND group_size_min IS NOT DISTINCT FROM %(group_size_min)s
      AND group_size_max IS NOT DISTINCT FROM %(group_size_max)s
), place AS (
    UPDATE gigs SET
        confirmed_people = confirmed_people + CASE WHEN locked.fits THEN %(size)s ELSE 0 END,
        waitlist_count = waitlist_count + CASE WHEN locked.fits THEN 0 ELSE 1 END,
        signup_counter = signup_counter + 1,
        version = version + 1,
        updated_at = %(now)s
    FROM locked
    WHERE gigs.id = locked.id AND (locked.fits OR %(waitlist)s)
    RETURNING gigs.signup_counter, gigs.waitlist_count, locked.fits
)
INSERT INTO signups (id, gig_id, volunteer_id, association_id, size, status, queue_number,
                     created_at, updated_at)
SELECT %(id)s, %(gig_id)s, %(volunteer_id)s, %(association_id)s, %(size)s,
       CASE WHEN place.fits THEN 'confirmed' ELSE 'waitlisted' END, place.signup_counter,
       %(now)s, %(now)s
FROM place
RETURNING status, queue_number, (SELECT waitlist_count FROM place) AS waitlist_count
"""
_PG_MEMBERS = """
INSERT INTO signup_members (signup_id, volunteer_id)
SELECT signups.id, member FROM signups, unnest(%(members)s::varchar[]) AS member
WHERE signups.id = %(id)s
"""


def _take_place_postgresql(
    row: dict[str, Any], checked: dict[str, Any], *, members: list[str], waitlist: bool
) -> Steps[tuple[Literal["confirmed", "waitlisted"], int, int | None]]:
    """Take the place, insert the sign-up and commit, in one round trip (pipeline mode).

    The gig row's lock is the only lock every sign-up for the gig queues on; it is held
    from its statement to the commit. Sent together, these run back to back in the
    server, so the lock is held for their execution only, not for round trips and the
    Python between them. Nothing inserted means the gig is no longer open or, without
    `waitlist`, full: that is told apart afterwards, for the error.
    """
    statements: list[tuple[Any, Any]] = [
        (_PG_LOCK_GIG, {"gig_id": row["gig_id"]}),
        (_PG_SIGN_UP, {**row, **checked, "waitlist": waitlist}),
    ]
    if members:
        statements.append((_PG_MEMBERS, {"id": row["id"], "members": members}))
    _, inserted, *_ = yield Step(statements, commit=True)
    if not inserted:
        raise (yield from _why_no_place(row["gig_id"], row["size"], checked))
    status, queue_number = inserted[0]["status"], inserted[0]["queue_number"]
    return status, queue_number, None if status == "confirmed" else inserted[0]["waitlist_count"]


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
        if signup.size > spots or _has_time_conflict(
            session, gig, _lock_people(session.connection(), people)
        ):
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
    """The current 1-based waitlist place of each waitlisted sign-up given (one query)."""
    waiting = {signup.id for signup in signups if signup.status == "waitlisted"}
    if not waiting:
        return {}
    gig_ids = {signup.gig_id for signup in signups if signup.id in waiting}
    place = func.row_number().over(partition_by=Signup.gig_id, order_by=Signup.queue_number)
    rows = session.execute(
        select(Signup.id, place).where(Signup.gig_id.in_(gig_ids), Signup.status == "waitlisted")
    )
    return {signup_id: int(position) for signup_id, position in rows if signup_id in waiting}


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
