"""A chat draft's open questions, and how the sender's answer fills them in.

Pure: no database. The state of a draft (what was understood, what is still asked) is
kept as JSON next to the draft gig (`services.chat_drafts`); `apply_answer` reads the
next message of the same sender as the answer and returns the new state. An answer can
be short and loose: "zaterdag", "de 19e", "19 december", "14:00-16:00", "tot 13 uur", or
a title when the title was asked.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from app.integrations.message_dates import find_date, mask_dates
from app.integrations.message_doubts import doubts
from app.integrations.message_parsed import ParsedMessage
from app.integrations.message_parser import parse_message
from app.integrations.message_times import find_time
from app.integrations.message_vocabulary import AMSTERDAM, WEEKDAY_WORDS

DAY_QUESTIONS: Final = frozenset({"date", "which_date", "past", "recurring"})
TIME_QUESTIONS: Final = frozenset({"time", "end", "past", "which_time"})
# An answer is short; a longer message is a message of its own.
MAX_ANSWER_WORDS: Final = 20
# Words an answer may hold beyond its day and time ("graag zaterdag", "dan om 14:00").
MAX_LEFTOVER_WORDS: Final = 3
# The bounds on gigs: a start at most two years ahead (`app.schemas.gig`).
MAX_AHEAD: Final = timedelta(days=730)
_KEYED_TITLE: Final = re.compile(r"^\W*(?:klus|taak|titel|task|title|job)\s*:", re.I | re.M)
_UNTIL: Final = re.compile(r"(?:tot|until|till|to|t/m)\s*$", re.I)
# A duration or a spoken time ("duurt 2 uur", "half 12", "kwart over 10"): not read.
_NOT_A_CLOCK: Final = re.compile(
    r"\b(?:duurt|duur|ongeveer|zo'n|for|about|lasts?|half|kwart|quarter)\b", re.I
)
_CLOCKS: Final = re.compile(r"\d{1,2}[:.]\d{2}|\d{1,2}\s*(?:uur|u|h|am|pm)\b", re.I)
_FILLERS: Final = frozenset(
    (
        "ok", "oke", "oké", "okay", "ja", "nee", "yes", "no", "top", "prima", "goed", "super",
        "dank", "dank je", "dank u", "dankjewel", "dank je wel", "bedankt", "thanks",
        "thank you", "thx", "hoi", "hallo", "hi", "hello", "sorry", "oké dank je",
        "ok thanks", "top dank je", "prima dank je",
    )
)  # fmt: skip
_FILLER_STARTS: Final = frozenset(
    ("sorry", "weet", "ik weet", "geen idee", "hoezo", "pardon", "i don", "no idea", "not sure")
)
_BARE_DAY: Final = re.compile(r"(?<![\d:.,])(?:de\s+|the\s+)?([0-3]?\d)(?:ste|de|e|st|nd|rd|th)?\b")
_WEEKDAY: Final = re.compile(r"[^\W\d_]+")


def to_state(parsed: ParsedMessage) -> dict[str, Any]:
    """What a draft keeps of its message, as JSON."""
    return {
        "language": parsed.language,
        "title": parsed.title,
        "day": parsed.day.isoformat() if parsed.day else None,
        "start": parsed.start_time.strftime("%H:%M") if parsed.start_time else None,
        "end": parsed.end_time.strftime("%H:%M") if parsed.end_time else None,
        "missing": list(parsed.missing),
        "doubts": list(parsed.doubts),
        "options": [day.isoformat() for day in parsed.date_options],
        "passed_day": parsed.passed_day.isoformat() if parsed.passed_day else None,
        "recurring": parsed.recurring,
        "part_of_day": parsed.part_of_day,
        "several_times": "which_time" in parsed.doubts,
    }


def _clock(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def from_state(state: dict[str, Any], **place: Any) -> ParsedMessage:
    """The draft's state as a parsed message (for the reply and the gig's times)."""
    day, start, end = _day(state["day"]), _clock(state["start"]), _clock(state["end"])
    starts_at = ends_at = None
    if day is not None and start is not None:
        starts_at = datetime.combine(day, start, AMSTERDAM).astimezone(UTC)
        if end is not None:
            end_day = day + timedelta(days=1) if end <= start else day
            ends_at = datetime.combine(end_day, end, AMSTERDAM).astimezone(UTC)
        else:
            ends_at = starts_at + timedelta(hours=2)  # a placeholder: "end" is still asked
    return ParsedMessage(
        language=state["language"],
        title=state["title"],
        starts_at=starts_at,
        ends_at=ends_at,
        end_defaulted=start is not None and end is None,
        date_found=day is not None,
        time_found=start is not None,
        missing=list(state["missing"]),
        day=day,
        start_time=start,
        end_time=end,
        doubts=tuple(state["doubts"]),
        date_options=tuple(date.fromisoformat(option) for option in state["options"]),
        passed_day=_day(state["passed_day"]),
        recurring=state["recurring"],
        part_of_day=state["part_of_day"],
        **place,
    )


def _chosen_option(text: str, options: list[date], today: date) -> date | None:
    """The option an answer picks: by its date, its weekday or its day of the month."""
    found = find_date(text, today=today, context="date")
    if found is not None and found.day in options:
        return found.day
    words = _WEEKDAY.findall(text.casefold())
    weekdays = {WEEKDAY_WORDS[word] for word in words if word in WEEKDAY_WORDS}
    by_weekday = [option for option in options if option.weekday() in weekdays]
    if len(by_weekday) == 1:
        return by_weekday[0]
    numbers = {int(match[1]) for match in _BARE_DAY.finditer(_CLOCKS.sub(" ", text))}
    by_number = [option for option in options if option.day in numbers]
    return by_number[0] if len(by_number) == 1 else None


def _answered_day(text: str, state: dict[str, Any], today: date) -> date | None:
    """The day an answer gives: one of the options offered, else a date of its own (not
    one that has passed, nor one beyond the bounds on gigs)."""
    options = [date.fromisoformat(option) for option in state["options"]]
    if options:
        chosen = _chosen_option(text, options, today)
        if chosen is not None:
            return chosen
    found = find_date(text, today=today, context="date")
    if found is None or found.passed is not None or found.day < today:
        return None
    if found.day > today + MAX_AHEAD:
        return None
    return found.day


def _answered_clock(text: str, state: dict[str, Any]) -> tuple[time | None, time | None] | None:
    """The (start, end) an answer gives; None when it gives no clock time or one that is
    not plain ("half 12", "duurt 2 uur": asked again rather than guessed)."""
    if _NOT_A_CLOCK.search(text):
        return None
    masked = mask_dates(text, "date")
    hit = find_time(masked, context="when")
    if hit is None:
        return None
    until = _UNTIL.search(masked[max(0, hit.start - 12) : hit.start]) is not None
    if hit.end_time is None and state["start"] and (until or "time" not in state["missing"]):
        return None, hit.start_time  # "tot 13 uur", or a lone time when only the end is asked
    if until:
        return None, hit.start_time
    return hit.start_time, hit.end_time


def answers_question(state: dict[str, Any], text: str, *, now: datetime) -> bool:
    """Whether a message reads as the answer to this draft's question, not as a new gig:
    short, without a key of its own, and giving something that was asked."""
    if len(text.split()) > MAX_ANSWER_WORDS or _KEYED_TITLE.search(text):
        return False
    today = now.astimezone(AMSTERDAM).date()
    asked = set(state["missing"]) | set(state["doubts"])
    try:
        parsed = parse_message(text, now=now)
    except (OverflowError, ValueError):  # a year like 9999: no answer, a message of its own
        return False
    if "title" in asked:
        return not (parsed.title and parsed.date_found and parsed.time_found)
    if parsed.title is not None and len(parsed.title.split()) > MAX_LEFTOVER_WORDS:
        return False  # words beyond a day and a time: a message of its own
    gives_day = bool(asked & DAY_QUESTIONS) and _answered_day(text, state, today) is not None
    gives_time = bool(asked & TIME_QUESTIONS) and _answered_clock(text, state) is not None
    return gives_day or gives_time


def _plain_title(text: str, now: datetime) -> str | None:
    """A title given as an answer, unless it is a thank-you, a filler or a question back."""
    title = parse_message(text, now=now).title
    if title is None:
        return None
    words = _WEEKDAY.findall(title.casefold())
    starts = {words[0], " ".join(words[:2])} if words else set()
    if not words or " ".join(words) in _FILLERS or starts & _FILLER_STARTS:
        return None
    if title.endswith("?") and len(words) <= 3:  # "Wat bedoel je?": a question back
        return None
    return title


def apply_answer(state: dict[str, Any], text: str, *, now: datetime) -> dict[str, Any]:
    """The draft's state after the sender's answer ``text``; what is still asked is left."""
    today = now.astimezone(AMSTERDAM).date()
    asked = set(state["missing"]) | set(state["doubts"])
    new = dict(state)
    if asked & DAY_QUESTIONS:
        day = _answered_day(text, state, today)
        if day is not None:
            new.update(day=day.isoformat(), options=[], passed_day=None, recurring=None)
    if asked & TIME_QUESTIONS:
        clock = _answered_clock(text, state)
        if clock is not None:
            start, end = clock
            if start is not None:
                new["start"] = start.strftime("%H:%M")
            if end is not None:
                new["end"] = end.strftime("%H:%M")
            elif start is not None and (earlier := _clock(state["end"])) and earlier <= start:
                new["end"] = None  # an end given earlier that the new start has passed
            new["several_times"] = False
    if "title" in asked:
        title = _plain_title(text, now)
        if title is not None:
            new["title"] = title
    return _recheck(new, now)


def _recheck(state: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Recompute what is missing or in doubt after an answer."""
    start, end = _clock(state["start"]), _clock(state["end"])
    if start is not None and end is not None and end <= start and start.hour < 17:
        state = {**state, "end": None}  # "tot 9 uur" after a 10:00 start: no usable end
    missing = [
        name
        for name, absent in (
            ("title", state["title"] is None),
            ("date", state["day"] is None),
            ("time", state["start"] is None),
            ("end", state["start"] is not None and state["end"] is None),
        )
        if absent
    ]
    parsed = from_state({**state, "missing": missing})
    remaining = doubts(
        options=tuple(date.fromisoformat(option) for option in state["options"]),
        passed=_day(state["passed_day"]),
        starts_at=parsed.starts_at,
        now=now,
        recurring=state["recurring"] is not None,
        several_times=bool(state.get("several_times")),
    )
    return {**state, "missing": missing, "doubts": list(remaining)}
