"""Find a day and a time of day in Dutch or English chat text.

Every pattern is linear: no nested quantifiers, bounded repetition only, so a hostile
message cannot make a search slow. How strict a pattern is depends on where the text
came from (``Context``): inside a ``Tijd:`` value "10-13" is a time range, in free text
it could be anything, so free text needs a marker (``uur``, ``:``, ``van``, ``pm``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Final, Literal

from app.integrations.message_vocabulary import (
    MONTH_WORDS,
    MONTHS_EN,
    WEEKDAY_ABBREVIATIONS,
    WEEKDAY_WORDS,
)

# Where a piece of text came from: a Datum:/Date: value, a Tijd:/Time: value, a
# Wanneer:/When: value, or the message at large.
Context = Literal["date", "time", "when", "free"]


@dataclass(frozen=True, slots=True)
class DateHit:
    """A day found in the text, with the span it was read from."""

    day: date
    start: int
    end: int
    weekday_mismatch: bool = False


@dataclass(frozen=True, slots=True)
class TimeHit:
    """A local start time and optional end time found in the text."""

    start_time: time
    end_time: time | None
    ends_next_day: bool
    start: int
    end: int


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_FLAGS: Final = re.IGNORECASE
_MONTH: Final = _alternation(MONTH_WORDS)
# Month-first dates ("June 14") are an English habit; "jan" is left out because it is
# also a common first name ("bel Jan 06...").
_MONTH_EN: Final = _alternation(
    {word for word in MONTH_WORDS if word in {m.casefold() for m in MONTHS_EN}}
    | {m.casefold()[:3] for m in MONTHS_EN[1:]}
    | {"sept"}
)
_WEEKDAY_ANY: Final = _alternation(set(WEEKDAY_WORDS) | set(WEEKDAY_ABBREVIATIONS))
_WEEKDAY_FULL: Final = _alternation(WEEKDAY_WORDS)

# Patterns start at a digit or a month name; a weekday in front is looked for afterwards
# (``_WEEKDAY_BEFORE``), which is many times faster than an optional leading alternation.
_DAY_MONTH: Final = re.compile(
    r"(?<![\d.:/-])(?P<d>[0-3]?\d)"
    rf"(?:ste|de|e|st|nd|rd|th)?(?:\s+of)?\s*(?P<mon>{_MONTH})\.?(?![^\W\d_])"
    r"(?:,?\s*(?P<y>\d{4})(?!\d))?",
    _FLAGS,
)
_MONTH_DAY: Final = re.compile(
    rf"\b(?P<mon>{_MONTH_EN})\.?\s+(?:the\s+)?"
    r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
    r"(?![\d:.]|\s*(?:uur|u\b|h\b|am\b|pm\b|-|\u2013|tot\b|to\b))(?:,?\s*(?P<y>\d{4})(?!\d))?",
    _FLAGS,
)
_WEEKDAY_BEFORE: Final = re.compile(
    rf"(?<![^\W\d_])(?P<wd>{_WEEKDAY_ANY})\.?,?\s+(?:the\s+)?$", _FLAGS
)
_NUMERIC: Final = re.compile(
    r"(?<![\d/.:-])(?P<d>[0-3]?\d)(?P<sep>[-/.])(?P<m>[01]?\d)(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?!\d|[-/:]\d)",
)
_ISO: Final = re.compile(r"(?<![\d/.:-])(?P<y>20\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)(?!\d)")
# Day and month without a year: trusted only where the sender told us it is a date.
_SHORT_SLASH: Final = re.compile(r"(?<![\d/.:-])(?P<d>[0-3]?\d)/(?P<m>[01]?\d)(?![\d/])")
_SHORT_DASH: Final = re.compile(
    r"(?<![\d/.:-])(?P<d>[0-3]?\d)-(?P<m>[01]?\d)(?![\d/:.-]|\s*(?:uur|u\b|h\b))", _FLAGS
)
_RELATIVE: Final = re.compile(
    r"\b(?:(?P<plus2>overmorgen|(?:the\s+)?day\s+after\s+tomorrow)"
    r"|(?P<plus1>morgen(?:ochtend|middag|avond)?|tomorrow)"
    r"|(?P<plus0>vandaag|vanavond|vanmiddag|vanochtend|vanmorgen|today|tonight))\b",
    _FLAGS,
)
_WEEKDAY_ALONE: Final = re.compile(
    r"\b(?:(?P<next>aanstaande|komende|volgende|next|this|coming)\s+)?"
    rf"(?P<wd>{_WEEKDAY_FULL})(?:ochtend|middag|avond|morgen|nacht)?\b",
    _FLAGS,
)

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
_MONTH_TOKENS: Final = frozenset(MONTH_WORDS)
_RELATIVE_TOKENS: Final = frozenset(
    "overmorgen morgen morgenochtend morgenmiddag morgenavond tomorrow vandaag vanavond "
    "vanmiddag vanochtend vanmorgen today tonight".split()
)
_WEEKDAY_TOKENS: Final = frozenset(
    weekday + part
    for weekday in WEEKDAY_WORDS
    for part in ("", "ochtend", "middag", "avond", "morgen", "nacht")
)
_TOKEN: Final = re.compile(r"[^\W\d_]+")


def _tokens(text: str) -> frozenset[str]:
    """The words of a text, to skip patterns that cannot match (a cheap pre-filter)."""
    return frozenset(_TOKEN.findall(text.casefold()))


def _date_patterns(tokens: frozenset[str]) -> list[re.Pattern[str]]:
    patterns = [_DAY_MONTH, _MONTH_DAY] if tokens & _MONTH_TOKENS else []
    return [*patterns, _NUMERIC, _ISO]


def _resolve(day: int, month: int, year: int | None, today: date) -> date | None:
    """Build a date; without a year, the next such date from today (today counts)."""
    if year is not None:
        if year < 100:
            year += 2000
        try:
            return date(year, month, day)
        except ValueError:
            return None
    # Eight years always contain a 29 February.
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _weekday_of(word: str | None) -> int | None:
    if word is None:
        return None
    word = word.casefold()
    return WEEKDAY_WORDS.get(word, WEEKDAY_ABBREVIATIONS.get(word))


def _explicit_dates(
    text: str, tokens: frozenset[str], today: date, context: Context
) -> list[DateHit]:
    patterns = _date_patterns(tokens)
    if context in ("date", "when"):
        patterns.append(_SHORT_SLASH)
    if context == "date":
        patterns.append(_SHORT_DASH)
    hits: list[DateHit] = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            if "mon" in groups:
                month = MONTH_WORDS[groups["mon"].casefold()]
            else:
                month = int(groups["m"])
            year = int(groups["y"]) if groups.get("y") else None
            day = _resolve(int(groups["d"]), month, year, today)
            if day is None:
                continue
            start, mismatch = match.start(), False
            if "mon" in groups:
                before = _WEEKDAY_BEFORE.search(text, max(0, start - 16), start)
                if before is not None:
                    start = before.start()
                    mismatch = _weekday_of(before["wd"]) != day.weekday()
            hits.append(DateHit(day, start, match.end(), mismatch))
            break
    return hits


def find_date(text: str, *, today: date, context: Context) -> DateHit | None:
    """Find the day a text speaks of: an explicit date, else a relative word, else a weekday.

    A weekday alone means its next occurrence, today included ("zaterdag" on a Saturday
    is today); with "volgende"/"next" on that same weekday it is a week later.
    """
    tokens = _tokens(text)
    explicit = _explicit_dates(text, tokens, today, context)
    if explicit:
        return min(explicit, key=lambda hit: hit.start)
    relative = _RELATIVE.search(text) if tokens & _RELATIVE_TOKENS else None
    if relative is not None:
        offset = 2 if relative["plus2"] else 1 if relative["plus1"] else 0
        return DateHit(today + timedelta(days=offset), relative.start(), relative.end())
    weekday = _WEEKDAY_ALONE.search(text) if tokens & _WEEKDAY_TOKENS else None
    if weekday is not None:
        ahead = (WEEKDAY_WORDS[weekday["wd"].casefold()] - today.weekday()) % 7
        if ahead == 0 and weekday["next"] and weekday["next"].casefold() in ("volgende", "next"):
            ahead = 7
        return DateHit(today + timedelta(days=ahead), weekday.start(), weekday.end())
    return None


def mask_dates(text: str) -> str:
    """Blank out everything that looks like a date, keeping offsets, before reading times."""
    chars = list(text)
    for pattern in _date_patterns(_tokens(text)):
        for match in pattern.finditer(text):
            chars[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(chars)


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
    for match in _RANGE.finditer(text):
        hit = _range_hit(text, match, context)
        if hit is not None:
            return hit
    for match in _SINGLE.finditer(text):
        clock = _read_clock(match, "a")
        if clock is None or clock.hour == 24:
            continue
        pre, span_start = _prefix(text, match.start())
        if _accepts((clock,), pre is not None, context):
            return TimeHit(time(clock.hour, clock.minute), None, False, span_start, match.end())
    return None
