"""The public report's rule: no figure about people that could single someone out, read
alone or subtracted from any other published figure, of any grouping or period.

The report is built from *cells*: one calendar month, one area, one category (Europe/
Amsterdam). A cell's people are *shown* when

1. its month is over, and
2. it holds at least `MIN_PEOPLE` (10) different people: the known people (by id), or
   the people of its largest sign-up (a group's places are different people), whichever
   is more; places no one can tell apart (unnamed group places, erased volunteers) are
   not counted as more, as they might be the same person.

Every figure about people (sign-ups, volunteers, hours, value, new and returning
volunteers, spots filled) counts the sign-ups of shown cells only, whatever the grouping
(area, category, month) and however many whole months the period spans. So every
published number is a sum over whole shown cells: subtracting one published figure from
another (a month's total from an area, a category from an area, March from the first
quarter, today's answer from yesterday's within a month) can only ever give sums of
shown cells, each about 10 people or more, never a part of a cell and never a cell that
was not shown. A row none of whose cells is shown has its figures about people null and
`suppressed` true; a row that leaves out some of its sign-ups says so (`partial`).
Gigs and spots offered are public anyway (every gig is) and always shown.

Periods are whole calendar months (`from` the first day of a month, `to` the last day
of one), so a cell is never cut in two. What this does not stop: a cell's figures change
when a past record changes (attendance recorded late), and the difference shows that
change; which cell it happened in, and that someone took part, was public already.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from app.errors import ValidationFailed
from app.services.reports_period import AMSTERDAM, Period, midnight, next_month

MIN_PEOPLE: Final = 10


def check_period(period: Period) -> None:
    """422 unless the period is whole calendar months."""
    if not period.is_whole_months():
        message = (
            "the public report covers whole months: `from` the first day of a month, `to` "
            "the last day of a month"
        )
        raise ValidationFailed(
            message,
            errors=[
                {"loc": ["query", name], "msg": message}
                for name, whole in (
                    ("from", period.first_day.day == 1),
                    ("to", next_month(period.last_day) == _day_after(period.last_day)),
                )
                if not whole
            ],
        )


def _day_after(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


def first_open_month(now: datetime) -> date:
    """The first day of the month that is not over at ``now`` (Amsterdam): its people,
    and those of later months, are not shown yet."""
    return now.astimezone(AMSTERDAM).date().replace(day=1)


def valid_until(period: Period, now: datetime) -> datetime | None:
    """Until when an answer made at ``now`` is right: while a month of ``period`` is not
    over, until it is (its people are shown then); None when every month is over."""
    open_month = first_open_month(now)
    if period.last_day < open_month:
        return None
    return midnight(next_month(open_month))
