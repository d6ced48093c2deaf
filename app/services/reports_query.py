"""The one statement of each report: the report lines are added up by the database.

What a line is, and so what counts, is `report_lines`' rule. The gigs' own figures (how
many, the spots offered) come from the gigs that are `open` or `completed` and start in
the period; an organisation's key sees its own gigs only.

People: known people are counted once per row, unnamed places once each (no one can tell
whether two are the same person).

- The impact report counts a known person on the first of their lines inside the row's
  period: a line whose previous line in the row's partition (`CHAINS`) started before
  the row's period, or that has none. It reads each line of the period once and tells
  no one apart.
- Took part: the same among the lines they came to. A person who took part in a row is
  *returning* there when the first gig they came to (of any organisation) started
  before the row's period: the report's period, or for a row of one month that month
  (so the months of a year add up to the year's new volunteers); otherwise *new*.
  Unnamed places are neither.
- The public report counts people only in the cells (a month, an area, a category) that
  it shows (`_shown`, the rule of `reports_public`), so it tells people apart per cell.

The statement also says whether any gig's lines wait to be made again (`stale`, in the
same snapshot as the rows): the rows are exact when none does.

The statement's text depends only on its `Shape` (the grouping, the number of months,
whether one organisation's, whether public), so it is built and compiled once per shape.
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
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
)

from app.models import Association, Gig, Organization, ReportDirty, ReportLine, ReportRefresh
from app.schemas.report import GroupBy
from app.services.report_lines import HELD
from app.services.reports_months import by_month, month_of_start, month_start
from app.services.reports_period import Period, midnight, month_key
from app.services.reports_public import MIN_PEOPLE


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
    if shape.public:
        places = _places(shape)
        person_cells = _by_person(places, places.c.month, places.c.area, places.c.category)
        person_rows = _by_person(_shown(person_cells).subquery("shown_places"))
        totals = _totals(person_rows)
        everyone = (
            select(person_cells.c.key, func.sum(person_cells.c.signups).label("signups"))
            .group_by(person_cells.c.key)
            .subquery("every_signup")
        )
    else:
        totals = _taken(shape)
        everyone = None
    rows = _rows(shape, totals, everyone).cte("report_rows")
    # Whether a gig's lines wait to be made again, read with the rows (one snapshot): the
    # rows are exact when none does. The first row says it, also when there are no rows.
    waiting = or_(exists(select(ReportDirty.gig_id)), exists(select(ReportRefresh.id)))
    check = select(waiting.label("stale")).subquery("waiting")
    return (
        select(check.c.stale, rows)
        .select_from(check.outerjoin(rows, true()))
        .order_by(rows.c.sort_label.nulls_last(), rows.c.key.nulls_last())
    )


def _in_period(shape: Shape) -> list[ColumnElement[bool]]:
    """The lines of the period (and scope)."""
    line = ReportLine
    where = [line.starts_at >= bindparam("start"), line.starts_at < bindparam("end")]
    if shape.scoped:
        where.append(line.organization_id == bindparam("organization_id"))
    return where


def _line_key(shape: Shape) -> ColumnElement[Any]:
    """A line's row."""
    if shape.group_by == "month":
        return month_of_start(shape.months, ReportLine.starts_at)
    column = {"organization": "organization_id", "association": "association_id"}
    return ReportLine.__table__.c[column.get(shape.group_by, shape.group_by)]


def _row_start(shape: Shape) -> ColumnElement[Any]:
    """Where a line's row's period starts: a month's row, at its month (or the period's
    start); every other row, at the period's start."""
    start = bindparam("start", type_=ReportLine.starts_at.type)
    if shape.group_by != "month":
        return start
    starts = [start, *(month_start(index) for index in range(1, shape.months))]
    return by_month(ReportLine.starts_at, starts)


def _chain(shape: Shape) -> str:
    """The partition a row counts people once in (`CHAINS`)."""
    if shape.group_by == "month":
        return "org" if shape.scoped else "all"
    name = {"organization": "org", "area": "area", "category": "category",
            "association": "association"}[shape.group_by]  # fmt: skip
    return f"org_{name}" if shape.scoped and name != "org" else name


def _taken(shape: Shape) -> Any:
    """Per row of the impact report: the sign-ups' figures, the known people, who took
    part and who returned, in one pass over the period's lines."""
    line = ReportLine
    row_start = _row_start(shape)
    chain = _chain(shape)
    previous = getattr(line, f"prev_{chain}")
    previous_came = getattr(line, f"prev_{chain}_came")
    known = and_(line.person.is_not(None), or_(previous.is_(None), previous < row_start))
    took_part = and_(
        line.person.is_not(None),
        line.came == 1,
        or_(previous_came.is_(None), previous_came < row_start),
    )
    returned = and_(took_part, line.first_came < row_start)
    key = _line_key(shape)
    return (
        select(
            key.label("key"),
            func.sum(line.signups).label("signups"),
            func.sum(line.people).label("spots_filled"),
            func.sum(line.hours).label("hours"),
            func.max(line.people).label("largest"),
            func.sum(case((known, 1), else_=0)).label("known"),
            func.sum(line.named).label("named_places"),
            func.sum(case((took_part, 1), else_=0)).label("took_part"),
            func.sum(case((returned, 1), else_=0)).label("returned"),
        )
        .where(*_in_period(shape))
        .group_by(key)
        .subquery("taken")
    )


def _places(shape: Shape) -> Any:
    """The public report's lines of the period, with their row's key and cell, and whether
    the person came to a gig before the row's period (`earlier`)."""
    line = ReportLine
    month = month_of_start(shape.months, line.starts_at)
    earlier = and_(line.person.is_not(None), line.first_came < _row_start(shape))
    return (
        select(
            _line_key(shape).label("key"),
            month.label("month"),
            line.area,
            line.category,
            line.person,
            line.came,
            line.signups,
            line.people,
            line.people.label("largest"),
            line.hours,
            line.named,
            case((earlier, 1), else_=0).label("earlier"),
        )
        .where(*_in_period(shape))
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
            func.max(places.c.earlier).label("earlier"),
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
        person_cells.c.earlier,
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
        key = month_of_start(shape.months, Gig.starts_at)
    else:  # by association the key is the sign-up's
        key = cast(null(), String)
    query = select(Gig.id.label("gig_id"), key.label("key"), Gig.capacity.label("capacity")).where(
        Gig.status.in_(HELD),
        Gig.starts_at >= bindparam("start"),
        Gig.starts_at < bindparam("end"),
    )
    if shape.scoped:
        query = query.where(Gig.organization_id == bindparam("organization_id"))
    return query


def _totals(person_rows: CTE) -> Any:
    """Per row of the public report: the sign-ups' figures, the known people, who took
    part, who returned."""
    known = person_rows.c.person.is_not(None)
    took_part = and_(known, person_rows.c.came == 1)
    columns = [
        person_rows.c.key,
        func.sum(person_rows.c.signups).label("signups"),
        func.sum(person_rows.c.people).label("spots_filled"),
        func.sum(person_rows.c.hours).label("hours"),
        func.max(person_rows.c.largest).label("largest"),
        func.count(person_rows.c.person).label("known"),
        func.sum(person_rows.c.named).label("named_places"),
        func.sum(case((took_part, 1), else_=0)).label("took_part"),
        func.sum(case((and_(took_part, person_rows.c.earlier == 1), 1), else_=0)).label("returned"),
    ]
    return select(*columns).group_by(person_rows.c.key).subquery("taken")


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
        line = ReportLine
        offered = (
            select(
                line.association_id.label("key"),
                func.sum(line.gig_first).label("gigs"),
            )
            .where(*_in_period(shape))
            .group_by(line.association_id)
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
