"""Find a time of day (a start, and an end) in Dutch or English chat text.

Every pattern is linear, as in `message_dates`. How strict a pattern is depends on where
the text came from (``Context``): inside a ``Tijd:`` value "10-13" is a time range, in
free text it needs a marker (``uur``, ``:``, ``van``, ``pm``...). Mask dates first
(`message_dates.mask_dates`), so "14-06" is not read as a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Final

from app.integrations.message_dates import Context

_FLAGS: Final = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class TimeHit:
    """A local start time and optional end time found in the text."""

    start_time: time
    end_time: time | None
    ends_next_day: bool
    start: int
    end: int


_HOUR: Final = r"(?:[01]?\d|2[0-4])"
_SUFFIX: Final = r"uur|u|h|am|pm|a\.m\.|p\.m\."


def _clock(prefix: str) -> str:
    return (
        rf"(?P<{prefix}h>{_HOUR})(?:(?P<{prefix}sep>[:.])(?P<{prefix}m>[0-5]\d)"
        rf"|[uh](?P<{prefix}m2>[0-5]\d))?(?!\d)\s?(?P<{prefix}s>{_SUFFIX})?(?![^\W\d_])"
    )


_NOT_AFTER: Final = r"(?<![\d:.,€$/-])"
_RANGE: Final = re.compile(
    rf"{_NOT_AFTER}{_clock('a')}\s*"
    r"(?P<sep>-|\u2013|\u2014|tot\s+en\s+met|tot|t/m|to|till|until|and|en)\s*"
    rf"{_clock('b')}",
    _FLAGS,
)
_SINGLE: Final = re.compile(rf"{_NOT_AFTER}{_clock('a')}", _FLAGS)
# A word in front that says the number is a clock time ("van 10 tot 13", "om 10", "@10").
_CLOCK_PREFIX: Final = re.compile(
    r"(?:(?<![^\W\d_])(?P<pre>vanaf|van|from|tussen|between|om|at|rond|around)\s+|@\s*)$",
    _FLAGS,
)


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int
    minute: int
    has_minutes: bool
    colon: bool
    suffix: str


def _read_clock(match: re.Match[str], prefix: str) -> _Clock | None:
    raw_hour = match[f"{prefix}h"]
    minutes = match[f"{prefix}m"] or match[f"{prefix}m2"]
    suffix = (match[f"{prefix}s"] or "").casefold().replace(".", "")
    hour = int(raw_hour)
    minute = int(minutes) if minutes else 0
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif len(raw_hour) == 1 and 1 <= hour <= 6:
        # Nobody volunteers at 3 in the night: "om 3 uur", "van 2 tot 5" are afternoon.
        hour += 12
    if hour == 24 and minute:
        return None
    return _Clock(hour, minute, minutes is not None, match[f"{prefix}sep"] == ":", suffix)


def _accepts(clocks: tuple[_Clock, ...], has_prefix: bool, context: Context) -> bool:
    """Free text needs a marker that a number is a clock time; keyed values less so."""
    if has_prefix or any(clock.suffix or clock.colon for clock in clocks):
        return True
    if context == "time":
        return True
    if context == "when":
        return len(clocks) == 2 or clocks[0].has_minutes
    return False


def _prefix(text: str, start: int) -> tuple[str | None, int]:
    """The clock-time word just before ``start`` ("van", "om", "@"...) and where it begins."""
    before = _CLOCK_PREFIX.search(text, max(0, start - 10), start)
    if before is None:
        return None, start
    return (before["pre"] or "@").casefold(), before.start()


def _range_hit(text: str, match: re.Match[str], context: Context) -> TimeHit | None:
    first, second = _read_clock(match, "a"), _read_clock(match, "b")
    if first is None or second is None or first.hour == 24:
        return None
    pre, span_start = _prefix(text, match.start())
    if match["sep"].casefold() in ("en", "and") and pre not in ("tussen", "between"):
        return None
    if not _accepts((first, second), pre is not None, context):
        return None
    start_hour = first.hour
    if not first.suffix and second.suffix == "pm" and start_hour + 12 < second.hour:
        start_hour += 12  # "2-4pm"
    start = time(start_hour, first.minute)
    end: time | None = time(0, 0) if second.hour == 24 else time(second.hour, second.minute)
    next_day = second.hour == 24
    if end is not None and not next_day and end <= start:
        # "22:00-02:00" runs past midnight; "10-10" or "14-11" is no usable end.
        next_day = end < start and start.hour >= 17
        end = end if next_day else None
    return TimeHit(start, end, next_day, span_start, match.end())


def find_time(text: str, *, context: Context) -> TimeHit | None:
    """Find a start time (and end time) of day; mask dates in ``text`` first."""
    position = 0
    while (match := _RANGE.search(text, position)) is not None:
        hit = _range_hit(text, match, context)
        if hit is not None:
            return hit
        # A refused range ("19 en 10:00") may hide one that starts inside it.
        position = match.start("bh")
    for match in _SINGLE.finditer(text):
        clock = _read_clock(match, "a")
        if clock is None or clock.hour == 24:
            continue
        pre, span_start = _prefix(text, match.start())
        if _accepts((clock,), pre is not None, context):
            return TimeHit(time(clock.hour, clock.minute), None, False, span_start, match.end())
    return None
