"""Find a day and a time of day in Dutch or English chat text.

Every pattern is linear: no nested quantifiers, bounded repetition only, so a hostile
message cannot make a search slow. How strict a pattern is depends on where the text
came from (``Context``): inside a ``Tijd:`` value "10-13" is a time range, in free text
it could be anything, so free text needs a marker (``uur``, ``:``, ``van``, ``pm``...).

Why our own rules and not ``dateparser`` (measured with ``bench/measure_dateparser.py``
on the message corpus, dateparser 1.5.0): it found the right day and start for 63 % of
the messages at best (ours: all), at a p99 of 12-130 ms per message against a budget of
2 ms. Where it is wrong for Dutch chat: "om 10 uur" and "om 3 uur" are read as "in 10
hours" (19:00); time ranges ("van 10 tot 13 uur", "10-13u", "tussen 13 en 15 uur") are
not understood, and their end never; a number after a date becomes a year ("za 5 juni
10" → 2110, "21 of 22 december" → 2122) and a postcode too ("9724"); "woensdag" on a
Wednesday is a week later; "volgende week woensdag" and "morgenmiddag" are not read;
"elke maandag" loses its "elke"; and it cannot say "ask": a weekday that does not match
the date, or a day that passed yesterday, silently becomes a date. It is right for
numeric dates ("14/12", "19-12"), day and month names when it sees the whole phrase,
and "morgen"/"overmorgen" as days, which these rules read as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
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
    #: For a day and month without a year that already passed this year (by at most
    #: `RECENT_PAST`): that date. ``day`` is then next year's, which the sender rarely means.
    passed: date | None = None
    #: The weekday written in front of the date (0 = Monday), when there was one.
    weekday: int | None = None


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
# Not before a word that makes the numbers a time ("10-12 uur") or a count ("4-6 mensen").
_NOT_A_DATE_AFTER: Final = (
    r"(?![\d/:.-]|\s*(?:uur|u\b|h\b|am\b|pm\b|pers|mensen|man\b|vrijwillig|people|persons"
    rf"|volunteers|helpers|(?:{_MONTH})(?![^\W\d_])))"
)
_SHORT_SLASH: Final = re.compile(
    rf"(?<![\d/.:-])(?P<d>[0-3]?\d)/(?P<m>[01]?\d){_NOT_A_DATE_AFTER}", _FLAGS
)
_SHORT_DASH: Final = re.compile(
    rf"(?<![\d/.:-])(?P<d>[0-3]?\d)-(?P<m>[01]?\d){_NOT_A_DATE_AFTER}", _FLAGS
)
_RELATIVE: Final = re.compile(
    r"\b(?:(?P<plus2>overmorgen|(?:the\s+)?day\s+after\s+tomorrow)"
    r"|(?P<plus1>morgen(?:ochtend|middag|avond)?|tomorrow)"
    r"|(?P<plus0>vandaag|vanavond|vanmiddag|vanochtend|vanmorgen|today|tonight))\b",
    _FLAGS,
)
# "volgende week woensdag", "next week Wednesday", "woensdag volgende week": that day of
# the next calendar week (Monday to Sunday).
_NEXT_WEEK_DAY: Final = re.compile(
    rf"\b(?:(?:volgende|komende|next)\s+week\s+(?:op\s+|on\s+)?(?P<wd>{_WEEKDAY_FULL})"
    rf"|(?P<wd2>{_WEEKDAY_FULL})\s+(?:van\s+)?(?:de\s+)?(?:volgende|komende|next)\s+week)\b",
    _FLAGS,
)
# "14 of 15 december", "18, 19 en 20 december", "5 & 6 June": the days before the last.
_DAY_AND: Final = (
    r"[0-3]?\d(?:ste|de|e|st|nd|rd|th)?\s*(?:,|en|of|and|or|&|/|-|\u2013|tot|t/m|to)\s*"
)
_OTHER_DAY: Final = re.compile(
    rf"(?<![\d.:/-])(?P<d>{_DAY_AND})(?P<d3>{_DAY_AND})?"
    rf"(?P<d2>[0-3]?\d)(?:ste|de|e|st|nd|rd|th)?\s+(?P<mon>{_MONTH})(?![^\W\d_])",
    _FLAGS,
)
_WEEKDAY_ALONE: Final = re.compile(
    r"\b(?:(?P<next>aanstaande|komende|volgende|next|this|coming)\s+)?"
    rf"(?P<wd>{_WEEKDAY_FULL})(?:\s?(?:ochtend|middag|avond|morgen|nacht))?\b",
    _FLAGS,
)

_MONTH_TOKENS: Final = frozenset(MONTH_WORDS)
_RELATIVE_TOKENS: Final = frozenset(
    "overmorgen morgen morgenochtend morgenmiddag morgenavond tomorrow vandaag vanavond "
    "vanmiddag vanochtend vanmorgen today tonight".split()
)
# Enough dates of one form to see that a message names several; more is only work.
MAX_DATES_PER_FORM: Final = 4
# A day and month without a year this long ago reads as a slip, not as next year.
RECENT_PAST: Final = timedelta(days=62)
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


def _short_patterns(context: Context) -> list[re.Pattern[str]]:
    """Day and month with only a slash or dash between: "14/12", "19-12"."""
    if context == "time":
        return []
    return [_SHORT_SLASH, _SHORT_DASH]


def _plausible_short(match: re.Match[str], context: Context) -> bool:
    """Whether "14/12" or "19-12" in ``context`` is a date rather than something else.

    In a Datum:/Date: value it always is. Elsewhere "24/7" is a phrase, and "10-12" with
    a dash reads as a time range (10:00 to 12:00) unless the day cannot be an hour.
    """
    if context == "date":
        return True
    day, month = int(match["d"]), int(match["m"])
    if match.re is _SHORT_SLASH:
        return (day, month) != (24, 7)
    return not day < month  # "1-3", "10-12" read as times: 13:00-15:00, 10:00-12:00


def _passed(day: int, month: int, today: date) -> date | None:
    """This day and month in the recent past (within `RECENT_PAST`), if it was."""
    for year in (today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate < today and today - candidate <= RECENT_PAST:
            return candidate
    return None


def _resolve(day: int, month: int, year: int | None, today: date) -> date | None:
    """Build a date; without a year, the next such date from today (today counts)."""
    if year is not None:
        if year < 100:
            year += 2000
        try:
            return date(year, month, day)
        except ValueError:
            return None
    # Without a year, the next such date within a year: "29-02" is not four years ahead.
    for candidate_year in (today.year, today.year + 1):
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
    """Every explicit date in the text (day and month, maybe a year and a weekday)."""
    hits: list[DateHit] = []
    for pattern in [*_date_patterns(tokens), *_short_patterns(context)]:
        for index, match in enumerate(pattern.finditer(text)):
            if index == MAX_DATES_PER_FORM:
                break
            groups = match.groupdict()
            if "mon" in groups:
                month = MONTH_WORDS[groups["mon"].casefold()]
            else:
                month = int(groups["m"])
                if "y" not in groups and not _plausible_short(match, context):
                    continue
            year = int(groups["y"]) if groups.get("y") else None
            day = _resolve(int(groups["d"]), month, year, today)
            if day is None:
                continue
            passed = _passed(int(groups["d"]), month, today) if year is None else None
            start, weekday = match.start(), None
            before = _WEEKDAY_BEFORE.search(text, max(0, start - 16), start)
            if before is not None:
                start, weekday = before.start(), _weekday_of(before["wd"])
            mismatch = weekday is not None and weekday != day.weekday()
            hits.append(DateHit(day, start, match.end(), mismatch, passed, weekday))
    if tokens & _MONTH_TOKENS:
        for index, match in enumerate(_OTHER_DAY.finditer(text)):
            if index == MAX_DATES_PER_FORM:
                break
            month = MONTH_WORDS[match["mon"].casefold()]
            for group in ("d", "d3"):
                if match[group] is None:
                    continue
                number = int(re.match(r"\d+", match[group])[0])  # type: ignore[index]
                day = _resolve(number, month, None, today)
                if day is not None:
                    passed = _passed(number, month, today)
                    hits.append(DateHit(day, match.start(group), match.end(group), passed=passed))
            last = _resolve(int(match["d2"]), month, None, today)
            if last is not None:  # "4-6 december": the 6th, found here when nothing else does
                passed = _passed(int(match["d2"]), month, today)
                hits.append(DateHit(last, match.start("d2"), match.end(), passed=passed))
    return _without_overlaps(hits)


def _without_overlaps(hits: list[DateHit]) -> list[DateHit]:
    """One hit per stretch of text (the first pattern's), in the order of the text."""
    kept: list[DateHit] = []
    for hit in hits:
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda hit: hit.start)


def find_dates(text: str, *, today: date, context: Context) -> list[DateHit]:
    """Every explicit date in the text, in order; several different days are a question."""
    return _explicit_dates(text, _tokens(text), today, context)


def _relatives(text: str, today: date) -> Iterator[DateHit]:
    """Every "vandaag", "morgen(middag)", "overmorgen", "tomorrow"...: the day each means.
    "morgen" right after a weekday is that day's morning ("zaterdag morgen"), not tomorrow.
    """
    if not _tokens(text) & _RELATIVE_TOKENS:
        return
    for match in _RELATIVE.finditer(text):
        if match[0].casefold() == "morgen" and _WEEKDAY_BEFORE.search(
            text, max(0, match.start() - 16), match.start()
        ):
            continue
        offset = 2 if match["plus2"] else 1 if match["plus1"] else 0
        yield DateHit(today + timedelta(days=offset), match.start(), match.end())


def find_relative_day(text: str, *, today: date) -> DateHit | None:
    """The first relative day word in the text and the day it means."""
    return next(_relatives(text, today), None)


def _weekday_hit(match: re.Match[str], today: date) -> DateHit:
    """A weekday alone: its next occurrence, today included; "volgende zaterdag" on a
    Saturday is a week later."""
    ahead = (WEEKDAY_WORDS[match["wd"].casefold()] - today.weekday()) % 7
    if ahead == 0 and match["next"] and match["next"].casefold() in ("volgende", "next"):
        ahead = 7
    return DateHit(today + timedelta(days=ahead), match.start(), match.end())


def _next_week_hit(match: re.Match[str], today: date) -> DateHit:
    weekday = WEEKDAY_WORDS[(match["wd"] or match["wd2"]).casefold()]
    monday = today + timedelta(days=7 - today.weekday())
    return DateHit(monday + timedelta(days=weekday), match.start(), match.end())


def find_day_phrases(text: str, *, today: date, context: Context) -> list[DateHit]:
    """Every phrase that names a day: dates, relative words and weekdays, in text order.
    More than one different day among them is a question to ask."""
    hits = _explicit_dates(text, _tokens(text), today, context)
    hits += list(islice(_relatives(text, today), MAX_DATES_PER_FORM))
    if _tokens(text) & _WEEKDAY_TOKENS:
        for pattern, make in ((_NEXT_WEEK_DAY, _next_week_hit), (_WEEKDAY_ALONE, _weekday_hit)):
            for match in islice(pattern.finditer(text), MAX_DATES_PER_FORM):
                hits.append(make(match, today))
    return _without_overlaps(hits)


def find_date(text: str, *, today: date, context: Context) -> DateHit | None:
    """Find the day a text speaks of: an explicit date, else a relative word, else a weekday.

    A weekday alone means its next occurrence, today included ("zaterdag" on a Saturday
    is today); with "volgende"/"next" on that same weekday it is a week later;
    "volgende week woensdag" is the Wednesday of the next calendar week.
    """
    tokens = _tokens(text)
    explicit = _explicit_dates(text, tokens, today, context)
    if explicit:
        return explicit[0]
    relative = find_relative_day(text, today=today)
    if relative is not None:
        return relative
    if not tokens & _WEEKDAY_TOKENS:
        return None
    next_week = _NEXT_WEEK_DAY.search(text)
    if next_week is not None:
        return _next_week_hit(next_week, today)
    alone = _WEEKDAY_ALONE.search(text)
    return _weekday_hit(alone, today) if alone is not None else None


def mask_dates(text: str, context: Context = "free") -> str:
    """Blank out everything that reads as a date, keeping offsets, before reading times."""
    chars = list(text)
    for pattern in [*_date_patterns(_tokens(text)), *_short_patterns(context)]:
        for match in pattern.finditer(text):
            if "y" not in match.groupdict() and not _plausible_short(match, context):
                continue
            chars[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(chars)
