"""When a chat message is not certain enough to publish, and what to ask.

Pure functions over what `message_parser` found. A wrong gig that goes out to volunteers
is worse than a draft that asks, so a message stays a draft when:

- it offers two time slots ("10:00-12:00 of 14:00-16:00");
- its day is in doubt: two different days are named ("14 of 15 december", "morgen"
  next to a date that is not tomorrow), or the weekday does not match the date
  ("zaterdag 14 december" when the 14th is a Monday);
- it starts in the past, or names a day and month without a year that passed only
  recently ("1 december" on 2 December: next year is rarely meant);
- it describes a recurring task ("elke maandag", "every week"), which is not one gig;
- its end is not given (``missing`` holds ``end``; the contract wants start and end
  certain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final, Literal

from app.integrations.message_dates import DateHit
from app.integrations.message_vocabulary import WEEKDAY_WORDS

Doubt = Literal["which_date", "which_time", "past", "recurring"]
PartOfDay = Literal["morning", "afternoon", "evening"]

_WEEKDAYS: Final = "|".join(sorted(WEEKDAY_WORDS, key=len, reverse=True))
_RECURRING: Final = re.compile(
    r"\b(?:(?:elke|iedere|ieder|every|each|alle)\s+"
    rf"(?:(?:{_WEEKDAYS})(?:ochtend|middag|avond|s)?|week|maand|dag|ochtend|middag|avond"
    r"|month|day|morning|afternoon|evening)"
    r"|(?:elke|iedere|every)\s+(?:\d+|twee|drie|vier|two|three|four|other)\s+(?:weken|weeks|maanden|months|dagen|days)"
    r"|\d+\s*(?:x|keer|maal|times)\s+(?:per|in\s+de|a|per)\s+(?:week|maand|month)"
    r"|wekelijks|maandelijks|dagelijks|tweewekelijks|om\s+de\s+(?:week|twee\s+weken|\d+\s+weken)"
    r"|weekly|monthly|daily|fortnightly|every\s+other\s+week"
    rf"|(?:{_WEEKDAYS})(?:ochtend|middag|avond)?(?:en|s))(?![^\W\d_])",
    re.IGNORECASE,
)
_PART_OF_DAY: Final = re.compile(
    rf"(?<![^\W\d_])(?:morgen|van|{_WEEKDAYS})?"
    r"(?:(?P<morning>ochtend|morgen(?=s))|(?P<afternoon>middag)|(?P<evening>avond))s?(?![^\W\d_])"
    r"|'s\s+(?:(?P<morning2>ochtends|morgens)|(?P<afternoon2>middags)|(?P<evening2>avonds))\b"
    r"|\b(?:(?P<morning3>morning)|(?P<afternoon3>afternoon)|(?P<evening3>evening|tonight))\b",
    re.IGNORECASE,
)


def recurring_phrase(text: str) -> tuple[int, int] | None:
    """The span of a phrase that makes a task recurring ("elke maandag"), if any."""
    match = _RECURRING.search(text)
    return None if match is None else match.span()


def part_of_day(text: str) -> PartOfDay | None:
    """The part of the day the text names ("morgenmiddag", "'s avonds", "evening")."""
    match = _PART_OF_DAY.search(text)
    if match is None or match.lastgroup is None:
        return None
    part = match.lastgroup.rstrip("23")
    return part if part in ("morning", "afternoon", "evening") else None  # type: ignore[return-value]


def _other_reading(day: date, weekday: int, today: date) -> date:
    """The day with ``weekday`` a sender may have meant instead of ``day``: the one in the
    same calendar week (Monday to Sunday), or the next one when that has passed."""
    candidate = day + timedelta(days=weekday - day.weekday())
    if candidate < today:
        candidate = day + timedelta(days=(weekday - day.weekday()) % 7)
    return candidate


def date_options(hits: Iterable[DateHit], today: date) -> tuple[date, ...]:
    """The days a message could mean, when its day phrases name more than one; else ()."""
    days: list[date] = []
    for hit in hits:
        days.append(hit.day)
        if hit.weekday_mismatch and hit.weekday is not None:
            days.append(_other_reading(hit.day, hit.weekday, today))
    unique = sorted(set(days))
    return tuple(unique) if len(unique) > 1 else ()


def doubts(
    *,
    options: tuple[date, ...],
    passed: date | None,
    starts_at: datetime | None,
    now: datetime,
    recurring: bool,
    several_times: bool = False,
) -> tuple[Doubt, ...]:
    """What keeps a message with a title, day and times from being published."""
    found: list[Doubt] = []
    if options:
        found.append("which_date")
    if several_times:
        found.append("which_time")
    if passed is not None or (starts_at is not None and starts_at < now):
        found.append("past")
    if recurring:
        found.append("recurring")
    return tuple(found)
