"""The dates of a gig series: its RRULE expanded with python-dateutil in Europe/Amsterdam
wall-clock time, so a 10:00 gig stays at 10:00 across daylight-saving changes.

The rule runs on naive local times from the first occurrence's local start; each date
it gives is then placed in Europe/Amsterdam (and stored in UTC). An occurrence is known
by its local day (`ix_gigs_series_day`), so a new time of day keeps the same days.
"""

from __future__ import annotations

import re
from calendar import isleap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from app.errors import field_error
from app.schemas.gig import MAX_START_AHEAD

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
#: Occurrences are made this far ahead: the first ones at once, later ones by the job.
HORIZON: Final = timedelta(weeks=13)
_FREQUENCIES: Final = (DAILY, WEEKLY, MONTHLY, YEARLY)
MAX_INTERVAL: Final = 100
#: Where a rule's first day is looked for (`_starts_on_its_first_day`), latest first.
_LATE_YEARS: Final = range(9997, 9600, -1)
_UNTIL_UTC: Final = re.compile(r"UNTIL=(?P<until>\d{8}T\d{6}Z)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One date of a series: its local day, and its start and end (aware)."""

    day: date
    starts_at: datetime
    ends_at: datetime


def _local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None)


def parse(text: str, first_start: datetime) -> rrule:
    """The rule of ``text`` from the first occurrence's start; 422 when it is not an
    RRULE this service expands (sub-daily, or several times a day), or when the first
    start is not one of its occurrences."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    upper = body.upper()
    if "DTSTART" in upper or "\n" in body:
        raise field_error(["body", "rrule"], "give the RRULE alone: `starts_at` is its start")
    start = _local(first_start)
    try:
        rule = rrulestr(_UNTIL_UTC.sub(_until_local, body), dtstart=start)
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        raise field_error(["body", "rrule"], "not an RFC 5545 RRULE") from None
    if not isinstance(rule, rrule) or rule._freq not in _FREQUENCIES:
        raise field_error(["body", "rrule"], "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if not 1 <= rule._interval <= MAX_INTERVAL:
        raise field_error(["body", "rrule"], f"INTERVAL must be 1 to {MAX_INTERVAL}")
    if any(part in upper for part in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS")):
        raise field_error(["body", "rrule"], "one occurrence a day at most: no BYHOUR etc.")
    if "BYEASTER" in upper:  # python-dateutil's own, not RFC 5545's
        raise field_error(["body", "rrule"], "not an RFC 5545 RRULE")
    if not _starts_on_its_first_day(rule, start):
        raise field_error(
            ["body", "gig", "starts_at"], "must be the rule's first occurrence (a matching day)"
        )
    return rule


def _starts_on_its_first_day(rule: rrule, start: datetime) -> bool:
    """Whether ``start`` is the rule's first occurrence.

    python-dateutil stops at UNTIL only once the rule gives a date: a rule that gives
    none (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31``) is searched up to the year 9999, over
    10 s of CPU. So the search starts on the same day of a year shortly before 9999
    whose calendar is the same (`_same_calendar`): a day is the first occurrence there
    exactly when it is here, and a rule that gives nothing stops within a few years.
    """
    late = _same_calendar(start.year)
    probe = start if late is None else start.replace(year=late)
    try:
        found = rule.replace(dtstart=probe, count=None, until=probe + timedelta(days=1))
        return next(iter(found), None) == probe
    except (ValueError, OverflowError, IndexError):  # e.g. `BYDAY=20SA` by month
        return False


def _same_calendar(year: int) -> int | None:
    """The latest year before 9999 whose calendar is that of ``year``: the same weekday
    on 1 January, and a leap day in the same years before, of and after it (all that
    a rule's days and week numbers depend on); None when there is none."""

    def kind(some: int) -> tuple[int, bool, bool, bool]:
        return date(some, 1, 1).weekday(), isleap(some - 1), isleap(some), isleap(some + 1)

    wanted = kind(year)
    return next((late for late in _LATE_YEARS if kind(late) == wanted), None)


def _until_local(match: re.Match[str]) -> str:
    """An UNTIL in UTC (`...Z`, as RFC 5545 asks with a time zone) as local wall-clock
    time: the rule runs on naive local times."""
    moment = datetime.strptime(match["until"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return f"UNTIL={_local(moment):%Y%m%dT%H%M%S}"


def occurrences(
    rule: rrule, *, first_start: datetime, first_end: datetime, after: date, until: date
) -> Iterator[Occurrence]:
    """The occurrences on days after ``after`` up to ``until`` (both local days), at the
    first occurrence's local time of day and length."""
    start_local = _local(first_start)
    length = _local(first_end) - start_local
    begin = datetime.combine(after + timedelta(days=1), time())
    end = datetime.combine(until, time.max)
    try:
        found = rule.between(begin, end, inc=True)
    except (ValueError, OverflowError, IndexError):  # past the calendar's end, or no day
        found = []
    for local in found:
        yield Occurrence(
            day=local.date(),
            starts_at=local.replace(tzinfo=AMSTERDAM),
            ends_at=(local + length).replace(tzinfo=AMSTERDAM),
        )


def horizon(first_start: datetime, now: datetime) -> date:
    """The last local day occurrences are made up to: the series' first 13 weeks, and
    at least 13 weeks from now, within how far ahead a gig may start."""
    until = max(first_start + HORIZON - timedelta(days=1), now + HORIZON)
    return min(until, now + MAX_START_AHEAD - timedelta(days=1)).astimezone(AMSTERDAM).date()


def at_time_of(day: date, moment: datetime) -> datetime:
    """``day`` at ``moment``'s local time of day, in Europe/Amsterdam."""
    return datetime.combine(day, _local(moment).time()).replace(tzinfo=AMSTERDAM)
