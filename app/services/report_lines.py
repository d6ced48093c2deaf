"""The report lines (`app.models.report_line`): what the reports count, kept ready.

What counts (written here once; `reports_query` only adds lines up):

- gigs that are `open` or `completed` (a draft was never offered, a cancelled gig did not
  happen), and their `confirmed` sign-ups (who is on the waitlist did not take a place);
- the people of a sign-up: its volunteer, or the members named in a group sign-up, a
  line each; a sign-up that names no one (a group's, or an erased volunteer's: erasure
  sets `volunteer_id` to NULL and deletes the member rows, and keeps `size`, `attended`
  and `hours`) is one line without a person;
- the sign-up's figures on its first line only: one sign-up, its `size` in people, and
  hours only where attendance was recorded (the hours per person times the people);
- `came`: the sign-up's attendance is recorded as attended;
- `gig_first`: the first line of the gig's sign-ups of one association (or of none), read
  from the sign-ups themselves (a change to any sign-up of a gig remakes all its lines).

Per person, each line also says where their line before it started, in every partition
a report counts people in (`CHAINS`), among all their lines and among those they came
to, and where the first line they came to started. A report row then counts a person
on the first of their lines inside the row's period, without telling people apart.

Keeping them: the triggers of migration 0016 mark a gig in `report_dirty` whenever its
row, a sign-up of it or a sign-up's members change. `refresh`, which a report runs first,
takes the marked gigs and makes again every line of those gigs and of everyone who has
(or had) a line there: a person's previous-line columns span all their gigs.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from app.db import Database, Tx
from app.models import Gig, ReportDirty, ReportLine, ReportRefresh, Signup, SignupMember
from app.models.report_line import CHAINS

logger = logging.getLogger(__name__)

#: Gigs that were offered and not called off.
HELD = ("open", "completed")
#: A refresh of more gigs than this (the first, after the upgrade) is logged, and on
#: PostgreSQL the report tables are vacuumed and their statistics taken again.
BIG_REFRESH = 1000
#: How long a report waits for a refresh that another one runs (PostgreSQL) before it
#: answers 503 with Retry-After: the first refresh after the upgrade takes long.
WAIT_FOR_REFRESH = "2s"
#: PostgreSQL: one refresh (or erasure: `hold_refresh`) at a time. SHARE ROW EXCLUSIVE
#: conflicts with itself, not with the reads of the work list; LOCK TABLE takes no
#: snapshot, so a REPEATABLE READ transaction's snapshot starts after it.
LOCK = text("LOCK TABLE report_refresh IN SHARE ROW EXCLUSIVE MODE")
_LOCK_NOT_AVAILABLE = "55P03"

_GIGS = select(ReportRefresh.id).where(ReportRefresh.kind == "gig")
_PEOPLE = select(ReportRefresh.id).where(ReportRefresh.kind == "person")

#: Anything to do: gigs marked, or taken and not yet made.
WAITING = select(or_(exists(select(ReportDirty.gig_id)), exists(_GIGS)))
#: The marks. A mark whose row a write still holds (its upsert locks it) is skipped: what
#: that write changed is not committed yet, and its mark stays for the next refresh. So
#: no write waits for a refresh, and a refresh waits for no write.
TAKE_MARKED = (
    delete(ReportDirty)
    .where(ReportDirty.gig_id.in_(select(ReportDirty.gig_id).with_for_update(skip_locked=True)))
    .returning(ReportDirty.gig_id)
)
#: A gig already in the work list (taken by a refresh that failed) stays once.
ADD_WORK = {
    "postgresql": postgresql.insert(ReportRefresh).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(ReportRefresh).on_conflict_do_nothing(),
}
CLEAR_WORK = delete(ReportRefresh)
#: Step two, in its snapshot: every gig marked there joins the work list (the mark stays,
#: for the next refresh). A change the snapshot holds was committed with the marks of its
#: old and new gig, so every line it made stale is on a gig in the work list.
_MARKED_GIGS = select(literal("gig"), ReportDirty.gig_id).where(true())
ADD_MARKED = {
    "postgresql": postgresql.insert(ReportRefresh)
    .from_select(["kind", "id"], _MARKED_GIGS)
    .on_conflict_do_nothing(),
    "sqlite": sqlite.insert(ReportRefresh)
    .from_select(["kind", "id"], _MARKED_GIGS)
    .on_conflict_do_nothing(),
}
WORK_WAITING = select(func.count()).where(ReportRefresh.kind == "gig")


class RefreshBusy(Exception):
    """Another refresh held the lines longer than `WAIT_FOR_REFRESH`."""


def _people_of_marked_gigs() -> Any:
    """Everyone with a line on a marked gig now, or a sign-up there now."""
    people = union(
        select(ReportLine.person.label("id")).where(
            ReportLine.gig_id.in_(_GIGS), ReportLine.person.is_not(None)
        ),
        select(Signup.volunteer_id.label("id")).where(
            Signup.gig_id.in_(_GIGS), Signup.volunteer_id.is_not(None)
        ),
        select(SignupMember.volunteer_id.label("id"))
        .join(Signup, Signup.id == SignupMember.signup_id)
        .where(Signup.gig_id.in_(_GIGS)),
    ).subquery("people")
    return insert(ReportRefresh).from_select(["kind", "id"], select(literal("person"), people.c.id))


def _signups_to_read() -> Any:
    """The sign-ups whose lines are made again: of the gigs in the work list, and every
    sign-up of the people in it (as volunteer or as named member)."""
    work = aliased(ReportRefresh)
    return union(
        select(Signup.id.label("id")).join(work, work.id == Signup.gig_id)
        .where(work.kind == "gig"),
        select(Signup.id.label("id")).join(work, work.id == Signup.volunteer_id)
        .where(work.kind == "person"),
        select(SignupMember.signup_id.label("id")).join(work, work.id == SignupMember.volunteer_id)
        .where(work.kind == "person"),
    ).subquery("candidates")  # fmt: skip


ADD_PEOPLE = _people_of_marked_gigs()
DROP_GIG_LINES = delete(ReportLine).where(ReportLine.gig_id.in_(_GIGS))
DROP_PERSON_LINES = delete(ReportLine).where(ReportLine.person.in_(_PEOPLE))


def _lines() -> Any:
    """The lines of the marked gigs and of the people in the work list, as `ReportLine`."""
    first_member = aliased(SignupMember)
    leading_member = (
        select(func.min(first_member.volunteer_id))
        .where(first_member.signup_id == Signup.id)
        .scalar_subquery()
    )
    leading = or_(SignupMember.volunteer_id.is_(None), SignupMember.volunteer_id == leading_member)
    person = func.coalesce(Signup.volunteer_id, SignupMember.volunteer_id)
    came = Signup.attended.is_(True)
    earlier = aliased(Signup)
    earlier_of_gig = (
        select(earlier.id)
        .where(
            earlier.gig_id == Signup.gig_id,
            earlier.status == "confirmed",
            earlier.association_id.is_not_distinct_from(Signup.association_id),
            earlier.id < Signup.id,
        )
        .exists()
    )
    # The sign-ups to read, from the work list (so that each is found by its index).
    candidates = _signups_to_read()
    base = (
        select(
            Signup.id.label("signup_id"),
            func.coalesce(SignupMember.volunteer_id, "").label("member"),
            Signup.gig_id,
            Gig.starts_at,
            Gig.organization_id,
            Gig.area,
            Gig.category,
            Signup.association_id,
            person.label("person"),
            case((came, 1), else_=0).label("came"),
            case((leading, 1), else_=0).label("signups"),
            case((leading, Signup.size), else_=0).label("people"),
            case(
                (and_(leading, came), func.coalesce(Signup.hours, 0.0) * Signup.size), else_=0.0
            ).label("hours"),
            case((person.is_not(None), 1), else_=0).label("named"),
            case((and_(leading, ~earlier_of_gig), 1), else_=0).label("gig_first"),
        )
        .select_from(candidates)
        .join(Signup, Signup.id == candidates.c.id)
        .join(Gig, Gig.id == Signup.gig_id)
        .outerjoin(SignupMember, SignupMember.signup_id == Signup.id)
        .where(
            Signup.status == "confirmed",
            Gig.status.in_(HELD),
            or_(
                and_(person.is_(None), Signup.gig_id.in_(_GIGS)),
                person.in_(_PEOPLE),
            ),
        )
        .subquery("lines")
    )
    known = base.c.person.is_not(None)
    order = (base.c.starts_at, base.c.signup_id, base.c.member)
    attended_start = case((base.c.came == 1, base.c.starts_at))

    def before(value: ColumnElement[Any], chain: tuple[str, ...]) -> ColumnElement[Any]:
        """The latest ``value`` of the person's lines before this one in the partition."""
        window = func.max(value).over(
            partition_by=[base.c.person, *(base.c[name] for name in chain)],
            order_by=order,
            rows=(None, -1),
        )
        return case((known, window))

    chains: dict[str, ColumnElement[Any]] = {}
    for name, partition in CHAINS.items():
        chains[f"prev_{name}"] = before(base.c.starts_at, partition)
        chains[f"prev_{name}_came"] = before(attended_start, partition)
    first_came = case((known, func.min(attended_start).over(partition_by=base.c.person)))
    plain = [column.name for column in base.c]
    columns = [*base.c, first_came.label("first_came"),
               *(value.label(name) for name, value in chains.items())]  # fmt: skip
    return insert(ReportLine).from_select([*plain, "first_came", *chains], select(*columns))


MAKE_LINES = _lines()


async def refresh(database: Database) -> int:
    """Make the lines of the marked gigs again; for how many gigs (0: nothing committed).
    `RefreshBusy` when another refresh held them longer than `WAIT_FOR_REFRESH`.

    Nothing is written when nothing waits (a read first). Else two transactions: the
    first takes the marks (quickly: a write that marks a gig waits for it), the second
    makes the lines, however long that takes, while writes go on marking. One refresh at
    a time (PostgreSQL: `LOCK`; SQLite: its one writer). On PostgreSQL the second reads
    one snapshot (REPEATABLE READ), so all its statements see the same sign-ups. Gigs
    taken by a refresh that failed stay in the work list, for the next one.
    """
    async with database.read() as tx:
        if not await tx.scalar(WAITING):
            return 0
    try:
        await database.write(_take_marks)
        gigs = await database.write(_make_lines)
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise RefreshBusy from error
        raise
    if gigs > BIG_REFRESH and not database.is_sqlite:
        # The work list and the marks now hold as many dead rows as gigs were made: gone
        # now, not whenever autovacuum comes, or every refresh reads through them.
        async with database.read(long=True) as tx:
            await tx.run(text("VACUUM ANALYZE report_refresh, report_dirty"))
    return gigs


async def _take_marks(tx: Tx) -> int:
    await _one_at_a_time(tx, snapshot=False)
    gigs = await tx.scalars(TAKE_MARKED)
    await tx.run_many(ADD_WORK[tx.dialect.name], [{"kind": "gig", "id": gig} for gig in gigs])
    return len(gigs)


async def _make_lines(tx: Tx) -> int:
    await _one_at_a_time(tx, snapshot=True)
    gigs = int(await tx.scalar(WORK_WAITING))
    if not gigs:
        return 0
    await tx.run(ADD_MARKED[tx.dialect.name])
    await tx.run(ADD_PEOPLE)
    await tx.run(DROP_GIG_LINES)
    await tx.run(DROP_PERSON_LINES)
    await tx.run(MAKE_LINES)
    await tx.run(CLEAR_WORK)
    if gigs > BIG_REFRESH:
        logger.info("report lines made again for %d gigs", gigs)
        if tx.dialect.name == "postgresql":
            # Planner statistics now, not whenever autovacuum comes: a work list taken
            # for large (or never measured) makes the next refresh read every sign-up.
            await tx.run(text("ANALYZE report_lines"))
    return gigs


async def _one_at_a_time(tx: Tx, *, snapshot: bool) -> None:
    """PostgreSQL: the refresh lock, waited for `WAIT_FOR_REFRESH` at most (and with
    ``snapshot``, one snapshot for the whole transaction, taken after the lock)."""
    if tx.dialect.name != "postgresql":
        return
    if snapshot:
        await tx.run(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    await tx.run(text(f"SET LOCAL lock_timeout = '{WAIT_FOR_REFRESH}'"))
    await tx.run(LOCK)
    await tx.run(text("SET LOCAL lock_timeout TO DEFAULT"))


async def hold_refresh(tx: Tx) -> None:
    """Erasure (PostgreSQL): no refresh runs until the transaction ends, so none puts back
    lines of the person from a snapshot taken before the erasure. Taken first, before
    the transaction marks any gig."""
    if tx.dialect.name == "postgresql":
        await tx.run(LOCK)


def forget_person(tx: Tx, volunteer_id: str) -> None:
    """Erasure: the person's lines go now (their gigs are marked by the triggers, and
    made again without them by the next refresh)."""
    tx.defer(
        delete(ReportLine).where(
            or_(ReportLine.person == volunteer_id, ReportLine.member == volunteer_id)
        )
    )
