"""Read a WhatsApp/bridge chat message (Dutch or English) as a gig.

Pure functions: no database, no web framework. ``parse_message`` understands the keyed
format of the API contract (``Klus:``/``Task:``, ``Wanneer:``/``When:``, ...) in any
order and case, tolerates typos in keys, emoji, WhatsApp markup and forwarded or
chat-export prefixes, and falls back to free text: the first line is the title and the
date, time, postcode and number of people are looked for anywhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

from app.integrations.message_dates import (
    Context,
    DateHit,
    find_date,
    find_day_phrases,
    mask_dates,
)
from app.integrations.message_doubts import (
    PartOfDay,
    date_options,
    doubts,
    part_of_day,
    recurring_phrase,
)
from app.integrations.message_parsed import ParsedMessage
from app.integrations.message_phrases import (
    find_capacity,
    find_postcode,
    place_of,
    time_after_day,
)
from app.integrations.message_reply import compose_reply
from app.integrations.message_times import TimeHit, find_time
from app.integrations.message_title import clean_title, title_from_line
from app.integrations.message_vocabulary import (
    AMSTERDAM,
    DUTCH_WORDS,
    ENGLISH_WORDS,
    KEY_ALIASES,
    Language,
)

__all__ = ["MAX_MESSAGE_CHARS", "ParsedMessage", "compose_reply", "parse_message"]

# Longer messages are cut: a gig fits in far less, and it bounds the work per message.
MAX_MESSAGE_CHARS: Final = 4096
DEFAULT_DURATION: Final = timedelta(hours=2)
_EMOJI: Final = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0e\ufe0f\u200d\u20e3]"
)
_MARKUP: Final = re.compile(r"[*~`]|(?<![^\W_])_|_(?![^\W_])")
_BULLET: Final = re.compile(r"^[\s\-•·>»▪◦‣]+")
_SPACES: Final = re.compile(r"\s+")
# "[14-06 10:12] Naam: ", "[10:12, 14/6/2027] Naam: ", "14-06-2027 10:12 - Naam: "
_CHAT_PREFIX: Final = re.compile(
    r"^(?:\[[\d/.:,\sapmAPM-]{5,30}\]|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4},?\s\d{1,2}[:.]\d{2}\s?-)"
    r"\s?(?:[^\W\d_][^:\n]{0,39}|\+[\d ]{6,20}):\s?"
)
_FORWARD_MARKERS: Final = frozenset(
    {
        "doorgestuurd",
        "doorgestuurdbericht",
        "begindoorgestuurdbericht",
        "vaakdoorgestuurd",
        "forwarded",
        "forwardedmessage",
        "beginforwardedmessage",
        "forwardedmanytimes",
    }
)
_GREETING: Final = re.compile(
    r"^(?:hoi|hallo|hey|hi|hello|beste|dear|goedemorgen|goedemiddag|goedenavond"
    r"|good\s(?:morning|afternoon|evening))\b",
    re.IGNORECASE,
)
_KEY_SHAPE: Final = re.compile(r"[^\W\d_]+(?: [^\W\d_]+){0,2}")
_WORD: Final = re.compile(r"[^\W\d_]+")


@dataclass(slots=True)
class _Sections:
    """A message split into keyed values (field → values) and the lines without a key."""

    keyed: dict[str, list[str]] = field(default_factory=dict)
    loose: list[tuple[int, str]] = field(default_factory=list)
    key_languages: list[Language] = field(default_factory=list)


def _clean_line(line: str) -> str:
    line = _CHAT_PREFIX.sub("", line.strip())
    line = _MARKUP.sub("", _EMOJI.sub("", line))
    line = _BULLET.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _clean_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _clean_line(raw)
        if not line:
            continue
        if re.sub(r"[^a-z]", "", line.casefold()) in _FORWARD_MARKERS:
            continue
        lines.append(line)
    return lines


@lru_cache(maxsize=512)
def _key_field(candidate: str) -> tuple[str, Language | None] | None:
    """Match a key exactly, or with one typo (difflib, length within one character)."""
    if candidate in KEY_ALIASES:
        return KEY_ALIASES[candidate]
    if len(candidate) < 3:
        return None
    near = [alias for alias in KEY_ALIASES if abs(len(alias) - len(candidate)) <= 1]
    match = difflib.get_close_matches(candidate, near, n=1, cutoff=0.75)
    return KEY_ALIASES[match[0]] if match else None


def _split_key(line: str) -> tuple[str, str, Language | None] | None:
    colon = line.find(":")
    if not 0 < colon <= 24:
        return None
    candidate = line[:colon].strip().casefold()
    if not _KEY_SHAPE.fullmatch(candidate):
        return None
    found = _key_field(candidate)
    if found is None:
        return None
    return found[0], line[colon + 1 :].strip(), found[1]


def _sections(lines: list[str]) -> _Sections:
    sections = _Sections()
    current: str | None = None
    for index, line in enumerate(lines):
        split = _split_key(line)
        if split is not None:
            current, value, language = split
            values = sections.keyed.setdefault(current, [])
            if value:
                values.append(value)
            if language is not None:
                sections.key_languages.append(language)
        elif current in ("what", "where", "address"):
            # Descriptions and addresses run on over several lines.
            sections.keyed[current].append(line)
        else:
            sections.loose.append((index, line))
    return sections


def _detect_language(text: str, key_languages: list[Language]) -> Language:
    dutch = 3 * key_languages.count("nl")
    english = 3 * key_languages.count("en")
    for word in _WORD.findall(text.casefold()):
        dutch += word in DUTCH_WORDS
        english += word in ENGLISH_WORDS
    return "en" if english > dutch else "nl"


def _search_date(sources: Iterable[tuple[str, Context]], today: date) -> DateHit | None:
    for text, context in sources:
        hit = find_date(text, today=today, context=context)
        if hit is not None:
            return hit
    return None


def _search_time(sources: Iterable[tuple[str, Context]]) -> TimeHit | None:
    for text, context in sources:
        hit = find_time(mask_dates(text, context), context=context)
        if hit is not None:
            return hit
    return None


def _day_phrases(sources: Iterable[tuple[str, Context]], today: date) -> list[DateHit]:
    return [
        hit
        for text, context in sources
        for hit in find_day_phrases(text, today=today, context=context)
    ]


def _in_part_of_day(hit: TimeHit, part: PartOfDay | None) -> TimeHit:
    """ "morgenavond van 7 tot 9" is 19:00-21:00: a morning hour moves to the afternoon or
    evening the message names (am/pm and 24-hour times never go below 12 by themselves)."""
    if part not in ("afternoon", "evening") or hit.start_time.hour >= 12:
        return hit
    end = hit.end_time
    if end is not None and end.hour < 12 and (end > hit.start_time or end.hour == 0):
        end = end.replace(hour=end.hour + 12)
    return replace(
        hit, start_time=hit.start_time.replace(hour=hit.start_time.hour + 12), end_time=end
    )


def _second_slot(sources: list[tuple[str, Context]], first: TimeHit) -> bool:
    """Whether the text offers another time slot too ("10:00-12:00 of 14:00-16:00")."""
    for text, context in sources:
        masked = mask_dates(text, context)
        hit = find_time(masked, context=context)
        if hit is None:
            continue
        again = find_time(masked[hit.end :], context=context)
        if (
            again is not None
            and again.end_time is not None
            and again.start_time != first.start_time
        ):
            return True
    return False


def _written(text: str) -> str | None:
    """The message as written, for the description: without chat-export prefixes or
    forward markers, blank lines at most one in a row."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _CHAT_PREFIX.sub("", raw.strip()).rstrip()
        if re.sub(r"[^a-z]", "", line.casefold()) in _FORWARD_MARKERS and line:
            continue
        if line or (lines and lines[-1]):
            lines.append(line)
    written = "\n".join(lines).strip()
    return written or None


def _local(day: date, hit: TimeHit) -> tuple[datetime, datetime, bool]:
    """Combine a local day and clock times into aware UTC (2 h when there is no end)."""
    # Local times that do not exist or occur twice on DST days follow zoneinfo's fold=0.
    starts_at = datetime.combine(day, hit.start_time, tzinfo=AMSTERDAM).astimezone(UTC)
    if hit.end_time is None:
        return starts_at, starts_at + DEFAULT_DURATION, True
    end_day = day + timedelta(days=1) if hit.ends_next_day else day
    ends_at = datetime.combine(end_day, hit.end_time, tzinfo=AMSTERDAM).astimezone(UTC)
    return starts_at, ends_at, False


def _joined(values: list[str] | None, separator: str) -> str | None:
    if not values:
        return None
    unique = list(dict.fromkeys(value.strip(" ,;") for value in values))
    text = separator.join(value for value in unique if value)
    return text or None


def parse_message(text: str, *, now: datetime) -> ParsedMessage:
    """Understand a Dutch or English chat message as a gig; `now` must be aware."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    today = now.astimezone(AMSTERDAM).date()
    lines = _clean_lines(text[:MAX_MESSAGE_CHARS])
    full_text = "\n".join(lines)
    sections = _sections(lines)
    keyed = sections.keyed

    def sources(*fields: tuple[str, Context]) -> list[tuple[str, Context]]:
        found = [(value, context) for name, context in fields for value in keyed.get(name, [])]
        return [*found, (full_text, "free")]

    date_sources = sources(("date", "date"), ("when", "when"))
    time_sources = sources(("time", "time"), ("when", "when"))
    date_hit = _search_date(date_sources, today)
    time_hit = _search_time(time_sources) or time_after_day(full_text, today)
    part = part_of_day(full_text)
    if time_hit is not None:
        time_hit = _in_part_of_day(time_hit, part)
    postcode = find_postcode(
        [*keyed.get("postcode", []), *keyed.get("where", []), *keyed.get("address", []), full_text]
    )

    title: str | None = None
    title_values = keyed.get("title")
    if title_values:
        title = clean_title(title_values[0])
    if title is None and "title" not in keyed:
        for _, line in sections.loose:
            if _GREETING.match(line) and len(line.split()) <= 4:
                continue
            title = title_from_line(line, today)
            break

    description = _joined(keyed.get("what"), "\n")
    if description is None and "title" not in keyed:
        description = _written(text[:MAX_MESSAGE_CHARS])

    starts_at = ends_at = None
    end_defaulted = False
    if date_hit is not None and time_hit is not None:
        starts_at, ends_at, end_defaulted = _local(date_hit.day, time_hit)

    missing = [
        name
        for name, absent in (
            ("title", title is None),
            ("date", date_hit is None),
            ("time", time_hit is None),
            ("end", time_hit is not None and time_hit.end_time is None),
        )
        if absent
    ]
    place = place_of([*keyed.get("where", []), *keyed.get("address", []), full_text], postcode)
    options = date_options(_day_phrases(date_sources, today), today)
    recurring = recurring_phrase(full_text)
    return ParsedMessage(
        language=_detect_language(full_text, sections.key_languages),
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        end_defaulted=end_defaulted,
        date_found=date_hit is not None,
        time_found=time_hit is not None,
        postcode=postcode,
        address=_joined([*keyed.get("where", []), *keyed.get("address", [])], ", "),
        capacity=find_capacity(keyed.get("people", []), full_text),
        missing=missing,
        day=date_hit.day if date_hit else None,
        start_time=time_hit.start_time if time_hit else None,
        end_time=time_hit.end_time if time_hit else None,
        weekday_mismatch=date_hit.weekday_mismatch if date_hit else False,
        doubts=doubts(
            options=options,
            passed=date_hit.passed if date_hit else None,
            starts_at=starts_at,
            now=now,
            recurring=recurring is not None,
            several_times=time_hit is not None and _second_slot(time_sources, time_hit),
        ),
        date_options=options,
        passed_day=date_hit.passed if date_hit else None,
        recurring=full_text[recurring[0] : recurring[1]] if recurring else None,
        part_of_day=part if time_hit is None else None,
        area=place.area if place else None,
        lat=place.lat if place else None,
        lon=place.lon if place else None,
    )
