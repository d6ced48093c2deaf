"""The period of a report: calendar days in Europe/Amsterdam, `from` and `to` both included.

A gig counts in the period of its start. The period runs from midnight (Amsterdam time)
at the start of `from` to midnight at the end of `to`, so a report for 1–31 March holds
a gig that starts at 23:30 on 31 March and not one that starts at 00:00 on 1 April,
whatever the offset to UTC is that day. Months are Amsterdam's calendar months too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from app.errors import ValidationFailed

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
#: Dates a report may name: far enough for any record, near enough that every midnight
#: converts to UTC.
FIRST_DAY: Final = date(1970, 1, 1)
LAST_DAY: Final = date(2999, 12, 31)
#: The longest period: ten years (every month is one branch of the month statement).
MAX_DAYS: Final = 3653


def midnight(day: date) -> datetime:
    """The start of ``day`` in Amsterdam, as a UTC moment."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def month_key(day: date) -> str:
    """`YYYY-MM` of the month ``day`` is in."""
    return f"{day.year:04d}-{day.month:02d}"


def next_month(day: date) -> date:
    """The first day of the month after the one ``day`` is in."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    """From the start of ``first_day`` to the end of ``last_day``, in Amsterdam."""

    first_day: date
    last_day: date

    @classmethod
    def of(cls, first_day: date, last_day: date) -> Period:
        """The period, or 422 when `to` is before `from`, a date is out of range or the
        period is longer than ten years."""
        for name, day in (("from", first_day), ("to", last_day)):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise _invalid(name, f"a date from {FIRST_DAY} to {LAST_DAY}")
        if last_day < first_day:
            raise _invalid("to", "`to` is before `from`")
        if (last_day - first_day).days >= MAX_DAYS:
            raise _invalid("to", "a period of at most ten years")
        return cls(first_day, last_day)

    @property
    def start(self) -> datetime:
        """The first moment of the period (UTC)."""
        return midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The first moment after the period (UTC)."""
        return midnight(self.last_day + timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of each month the period touches, in order."""
        months = [self.first_day.replace(day=1)]
        while (following := next_month(months[-1])) <= self.last_day:
            months.append(following)
        return months

    def is_whole_months(self) -> bool:
        """Whether the period starts on a month's first day and ends on a month's last."""
        return self.first_day.day == 1 and next_month(self.last_day) == self.last_day + timedelta(
            days=1
        )


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": ["query", name], "msg": message}])
