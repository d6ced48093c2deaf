"""The one statement of each report: every figure is counted and added up by the database.

What counts (the same on SQLite and PostgreSQL, in SQLAlchemy Core):

- gigs that are `open` or `completed` (a draft was never offered, a cancelled gig did not
  happen) and start in the period; an organisation's key sees its own gigs only;
- their `confirmed` sign-ups (who is on the waitlist did not take a place);
- the people of a sign-up: its volunteer, or the members named in a group sign-up, and
  places the service cannot name: the rest of a group's `size`, and the place of an
  erased volunteer (erasure sets `volunteer_id` to NULL and deletes the member rows,
  and keeps `size`, `attended` and `hours`). Known people are counted once per row by
  id; unnamed places once each, as no one can tell whether two are the same person;
- hours only where attendance was recorded: the hours per person times the people;
- took part: a confirmed sign-up whose attendance is recorded as `attended`. A known
  person is *returning* in a row when they took part there and had taken part in a gig
  (of any organisation) that started before the row's period: the report's period, or
  for a row of one month that month (so the months of a year add up to the year's new
  volunteers); otherwise *new*. Unnamed places are neither.

The public report counts people only in the cells (a month, an area, a category) that it
shows (`_shown`, the rule of `reports_public`). The statement's text depends only on its
`Shape` (the grouping, the number of months, whether one organisation's, whether
public), so it is built and compiled once per shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from app.models import Association, Gig, Organization, Signup, SignupMember
from app.schemas.report import GroupBy
from app.services.reports_period import Period, midnight, month_key
from app.services.reports_public import MIN_PEOPLE

#: Gigs that were offered and not called off.
HELD = ("open", "completed")


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides the text of a report's statement."""

    group_by: GroupBy
    #: By month: how many months the period touches (each is one branch); else 0.
    months: int
    #: One organisation's gigs only (`organization_id`).
    scoped: bool
    #: The public report: people counted in shown cells only (`reports_public`).
    public: bool = False


def shape_and_values(
    group_by: GroupBy,
    period: Period,
    *,
    organization_id: str | None,
    public: bool = False,
    open_before: date | None = None,
) -> tuple[Shape, dict[str, Any]]:
    """The statement's shape for a request, and its bound values (public: the people of
    months from ``open_before`` on are not shown)."""
    values: dict[str, Any] = {"start": period.start, "end": period.end}
    # The public report's cells are months whatever the grouping (`reports_public`).
    months: list[date] = period.months() if group_by == "month" or public else []
    for index, first in enumerate(months):
        values[f"month_key_{index}"] = month_key(first)
        if index:
            values[f"month_start_{index}"] = midnight(first)
    if organization_id is not None:
        values["organization_id"] = organization_id
    if public:
        assert open_before is not None, "the public report says which months are not over"
        values["open_before"] = month_key(open_before)
    shape = Shape(group_by, len(months), organization_id is not None, public)
    return shape, values


@lru_cache(maxsize=256)
def statement(shape: Shape) -> Select[Any]:
    """The report's statement for ``shape`` (built once per shape)."""
    places = _places(shape)
    if shape.public:
        person_cells = _by_person(places, places.c.month, places.c.area, places.c.category)
        person_rows = _by_person(_shown(person_cells).subquery("shown_places"))
        totals = _totals(shape, person_rows, first_from=person_cells)
        everyone = (
            select(person_cells.c.key, func.sum(person_cells.c.signups).label("signups"))
            .group_by(person_cells.c.key)
            .subquery("every_signup")
        )
    else:
        person_rows = _by_person(places)
        totals = _totals(shape, person_rows, first_from=person_rows)
        everyone = None
    rows = _rows(shape, totals, everyone).cte("report_rows")
    return select(rows).order_by(rows.c.sort_label.nulls_last(), rows.c.key.nulls_last())


def _places(shape: Shape) -> Any:
    """A line per confirmed sign-up of the period, and per member named in it (a group's
    sign-up is a line per member): the row's key, the person (NULL: no one named), and
    the sign-up's own figures (one sign-up, its people and hours), carried on its first
    line only, so that adding up the lines counts them once. Public: with its cell."""
    counted = _counted(shape).subquery("counted")
    key = Signup.association_id if shape.group_by == "association" else counted.c.key
    first_member = (
        select(SignupMember.signup_id, func.min(SignupMember.volunteer_id).label("volunteer_id"))
        .group_by(SignupMember.signup_id)
        .subquery("first_member")
    )
    leading = or_(
        SignupMember.volunteer_id.is_(None),
        SignupMember.volunteer_id == first_member.c.volunteer_id,
    )
    person = func.coalesce(Signup.volunteer_id, SignupMember.volunteer_id)
    attended = Signup.attended.is_(True)
    hours = func.coalesce(Signup.hours, 0.0) * Signup.size
    cell = [counted.c.month, counted.c.area, counted.c.category] if shape.public else []
    return (
        select(
            key.label("key"),
            *cell,
            person.label("person"),
            case((attended, 1), else_=0).label("came"),
            case((leading, 1), else_=0).label("signups"),
            case((leading, Signup.size), else_=0).label("people"),
            case((leading, Signup.size), else_=0).label("largest"),
            case((and_(leading, attended), hours), else_=0.0).label("hours"),
            case((person.is_not(None), 1), else_=0).label("named"),
        )
        .join(counted, counted.c.gig_id == Signup.gig_id)
        .outerjoin(SignupMember, SignupMember.signup_id == Signup.id)
        .outerjoin(first_member, first_member.c.signup_id == Signup.id)
        .where(Signup.status == "confirmed")
        .subquery("places")
    )


def _by_person(places: Any, *cell: Any) -> CTE:
    """Per row (and cell) and known person, and one line per row (and cell) for the
    places no one is named in (person NULL): what their sign-ups hold."""
    return (
        select(
            places.c.key,
            *cell,
            places.c.person,
            func.sum(places.c.signups).label("signups"),
            func.sum(places.c.people).label("people"),
            func.sum(places.c.hours).label("hours"),
            func.max(places.c.largest).label("largest"),
            func.sum(places.c.named).label("named"),
            func.max(places.c.came).label("came"),
        )
        .group_by(places.c.key, *cell, places.c.person)
        .cte("person_cells" if cell else "person_rows")
    )


def _shown(person_cells: CTE) -> Select[Any]:
    """The lines of the cells whose figures about people the public report shows: of a
    month that is over, holding at least `MIN_PEOPLE` different people (`reports_public`)."""
    known = func.count(person_cells.c.person)
    largest = func.max(person_cells.c.largest)
    cell = (person_cells.c.month, person_cells.c.area, person_cells.c.category)
    shown = (
        select(*cell)
        .where(person_cells.c.month < bindparam("open_before", type_=String))
        .group_by(*cell)
        .having(or_(known >= MIN_PEOPLE, largest >= MIN_PEOPLE))
        .subquery("shown_cells")
    )
    return select(
        person_cells.c.key,
        person_cells.c.person,
        person_cells.c.signups,
        person_cells.c.people,
        person_cells.c.largest,
        person_cells.c.hours,
        person_cells.c.named,
        person_cells.c.came,
    ).join(
        shown,
        and_(
            shown.c.month == person_cells.c.month,
            _same_key(shown.c.area, person_cells.c.area),
            shown.c.category == person_cells.c.category,
        ),
    )


def _counted(shape: Shape) -> Select[Any]:
    """The gigs of the period (and scope), each with the key of its row."""
    key: Any
    if shape.group_by == "organization":
        key = Gig.organization_id
    elif shape.group_by == "area":
        key = Gig.area
    elif shape.group_by == "category":
        key = Gig.category
    elif shape.group_by == "month":
        key = _month_of_start(shape.months)
    else:  # by association the key is the sign-up's
        key = cast(null(), String)
    cell = []
    if shape.public:
        cell = [_month_of_start(shape.months).label("month"), Gig.area, Gig.category]
    query = select(
        Gig.id.label("gig_id"), key.label("key"), Gig.capacity.label("capacity"), *cell
    ).where(
        Gig.status.in_(HELD),
        Gig.starts_at >= bindparam("start"),
        Gig.starts_at < bindparam("end"),
    )
    if shape.scoped:
        query = query.where(Gig.organization_id == bindparam("organization_id"))
    return query


def _month_of_start(months: int) -> ColumnElement[Any]:
    """`YYYY-MM` of the Amsterdam month a gig starts in, from the bound UTC starts of the
    months (SQLite has no time zones; PostgreSQL would need its own expression)."""
    keys = [cast(bindparam(f"month_key_{index}", type_=String), String) for index in range(months)]
    if months == 1:
        return keys[0]
    branches = [
        (
            Gig.starts_at < bindparam(f"month_start_{index}", type_=Gig.starts_at.type),
            keys[index - 1],
        )
        for index in range(1, months)
    ]
    return case(*branches, else_=keys[-1])


def _totals(shape: Shape, person_rows: CTE, *, first_from: CTE) -> Any:
    """Per row: the sign-ups' figures, the known people, who took part, who returned.

    Who had taken part before the period is read once per person, as a join: the
    people who took part in gigs that started before it (`_earlier`); by month also
    those who took part in an earlier month of the period (in ``first_from``: every
    line, also of cells the public report does not show).
    """
    known = person_rows.c.person.is_not(None)
    took_part = and_(known, person_rows.c.came == 1)
    earlier = _earlier()
    source: Any = person_rows.outerjoin(earlier, earlier.c.person == person_rows.c.person)
    returned: ColumnElement[bool] = earlier.c.person.is_not(None)
    if shape.group_by == "month":
        # An earlier month of the period counts as "before" for a month's row.
        first = (
            select(first_from.c.person, func.min(first_from.c.key).label("first_key"))
            .where(first_from.c.person.is_not(None), first_from.c.came == 1)
            .group_by(first_from.c.person)
            .subquery("first_taken")
        )
        source = source.outerjoin(first, first.c.person == person_rows.c.person)
        returned = or_(returned, first.c.first_key < person_rows.c.key)
    columns = [
        person_rows.c.key,
        func.sum(person_rows.c.signups).label("signups"),
        func.sum(person_rows.c.people).label("spots_filled"),
        func.sum(person_rows.c.hours).label("hours"),
        func.max(person_rows.c.largest).label("largest"),
        func.count(person_rows.c.person).label("known"),
        func.sum(person_rows.c.named).label("named_places"),
        func.sum(case((took_part, 1), else_=0)).label("took_part"),
        func.sum(case((and_(took_part, returned), 1), else_=0)).label("returned"),
    ]
    return select(*columns).select_from(source).group_by(person_rows.c.key).subquery("taken")


def _earlier() -> Any:
    """The people who took part in a gig that started before the period, once each: one
    pass over the history (asked per person instead, each look-up of a gig's start
    costs more than reading the history in bulk)."""
    took_part = union_all(
        select(Signup.volunteer_id.label("person"))
        .join(Gig, Gig.id == Signup.gig_id)
        .where(_took_part_before(), Signup.volunteer_id.is_not(None)),
        select(SignupMember.volunteer_id.label("person"))
        .join(Signup, Signup.id == SignupMember.signup_id)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(_took_part_before()),
    ).subquery("took_part_before")
    return select(took_part.c.person).group_by(took_part.c.person).subquery("earlier")


def _took_part_before() -> ColumnElement[bool]:
    return and_(
        Gig.status.in_(HELD),
        Gig.starts_at < bindparam("start"),
        Signup.status == "confirmed",
        Signup.attended.is_(True),
    )


def _same_key(left: Any, right: Any) -> ColumnElement[bool]:
    """The two keys are equal, or both NULL: as an equality, so that PostgreSQL can hash
    the join (no real key is empty: areas have a letter at least, ids and months more)."""
    return func.coalesce(left, "") == func.coalesce(right, "")


def _rows(shape: Shape, taken: Any, everyone: Any) -> Select[Any]:
    """One row per group: the gigs' figures, the sign-ups' and people's, and a label.

    By association a row is made of sign-ups (a gig may be in several rows): its gigs
    are those it has a sign-up for, and it offers no spots of its own. Otherwise a row
    is made of gigs, with or without sign-ups.
    """
    zero = literal(0)
    counted = _counted(shape).subquery("counted")
    if shape.group_by == "association":
        offered = (
            select(
                Signup.association_id.label("key"),
                func.count(Signup.gig_id.distinct()).label("gigs"),
            )
            .join(counted, counted.c.gig_id == Signup.gig_id)
            .where(Signup.status == "confirmed")
            .group_by(Signup.association_id)
            .subquery("offered")
        )
        spots_offered: Any = cast(null(), Integer)
    else:
        offered = (
            select(
                counted.c.key,
                func.count().label("gigs"),
                func.sum(counted.c.capacity).label("spots_offered"),
            )
            .group_by(counted.c.key)
            .subquery("offered")
        )
        spots_offered = offered.c.spots_offered
    joined = offered.outerjoin(taken, _same_key(taken.c.key, offered.c.key))
    partial: Any = literal(False)
    if everyone is not None:  # public: did it leave out sign-ups of cells it does not show?
        joined = joined.outerjoin(everyone, _same_key(everyone.c.key, offered.c.key))
        partial = func.coalesce(everyone.c.signups, zero) > func.coalesce(taken.c.signups, zero)
    label: Any = null()
    if shape.group_by == "organization":
        joined = joined.outerjoin(Organization, Organization.id == offered.c.key)
        label = Organization.name
    elif shape.group_by == "association":
        joined = joined.outerjoin(Association, Association.id == offered.c.key)
        label = Association.name
    elif shape.group_by == "area":
        label = offered.c.key
    known = func.coalesce(taken.c.known, zero)
    largest = func.coalesce(taken.c.largest, zero)
    spots_filled = func.coalesce(taken.c.spots_filled, zero)
    return select(
        offered.c.key.label("key"),
        cast(label, String).label("label"),
        func.coalesce(label, offered.c.key).label("sort_label"),
        offered.c.gigs.label("gigs"),
        func.coalesce(taken.c.signups, zero).label("signups"),
        # Known people once each, and every place no one is named in.
        (known + spots_filled - func.coalesce(taken.c.named_places, zero)).label("volunteers"),
        func.coalesce(taken.c.hours, 0.0).label("hours"),
        func.coalesce(taken.c.took_part, zero).label("took_part"),
        func.coalesce(taken.c.returned, zero).label("returned"),
        spots_offered.label("spots_offered"),
        spots_filled.label("spots_filled"),
        # The fewest different people the row can hold: the known ones, or the largest
        # sign-up's people (a group's places are different people).
        case((known >= largest, known), else_=largest).label("fewest_people"),
        partial.label("partial"),
    ).select_from(joined)
