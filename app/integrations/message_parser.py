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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final

from app.integrations.message_dates import (
    Context,
    DateHit,
    TimeHit,
    find_date,
    find_time,
    mask_dates,
)
from app.integrations.message_parsed import MAX_TITLE_LENGTH, MIN_TITLE_LENGTH, ParsedMessage
from app.integrations.message_reply import compose_reply
from app.integrations.message_vocabulary import (
    AMSTERDAM,
    DUTCH_WORDS,
    ENGLISH_WORDS,
    KEY_ALIASES,
    NUMBER_WORDS,
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
_POSTCODE: Final = re.compile(r"(?<![\d\w])([1-9]\d{3})(\s?)([a-z]{2})(?![^\W\d_])", re.IGNORECASE)
# Two-letter words that follow a number in a sentence ("2027 en", "10 op"), never postcodes.
_NOT_POSTCODE_LETTERS: Final = frozenset(
    "en in op om te to at is of on an am pm by or as it je we ze he me my no so up us do go "
    "ga na er al nu ok sa sd ss".split()
)
_NUMBER: Final = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_PEOPLE: Final = re.compile(
    rf"(?<![\d:.,-])\b(?P<low>{_NUMBER})(?:\s?(?:-|\u2013|tot|to|à)\s?(?P<high>\d{{1,3}}))?\s"
    r"?(?:vrijwilligers?|personen|persoon|mensen|helpers?|people|persons?|volunteers?)\b",
    re.IGNORECASE,
)
_COUNT: Final = re.compile(rf"\b(?:{_NUMBER})\b", re.IGNORECASE)
_TITLE_CONNECTORS: Final = frozenset(
    "op on om at van from vanaf this next coming aanstaande komende volgende deze".split()
)
_MAX_CAPACITY: Final = 1000
_TITLE_TRIM: Final = " \t-\u2013\u2014:;,"


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


def _search_date(
    sources: Iterable[tuple[str, Context]], today: date
) -> tuple[DateHit | None, Context | None]:
    for text, context in sources:
        hit = find_date(text, today=today, context=context)
        if hit is not None:
            return hit, context
    return None, None


def _search_time(sources: Iterable[tuple[str, Context]]) -> tuple[TimeHit | None, Context | None]:
    for text, context in sources:
        hit = find_time(mask_dates(text), context=context)
        if hit is not None:
            return hit, context
    return None, None


def _find_postcode(texts: Iterable[str]) -> str | None:
    for text in texts:
        for match in _POSTCODE.finditer(text):
            letters = match[3]
            if letters.casefold() in _NOT_POSTCODE_LETTERS and (
                letters.casefold() in {"sa", "sd", "ss"} or (match[2] and not letters.isupper())
            ):
                continue
            return f"{match[1]} {letters.upper()}"
    return None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.casefold()]


def _find_capacity(keyed_values: list[str], full_text: str) -> int | None:
    capacity: int | None = None
    for value in keyed_values:
        numbers = [_count(word) for word in _COUNT.findall(value)[:2]]
        if numbers:
            capacity = max(numbers)  # "4-6" → up to 6 people
            break
    if capacity is None:
        match = _PEOPLE.search(full_text)
        if match is not None:
            capacity = int(match["high"]) if match["high"] else _count(match["low"])
    if capacity is None or not 1 <= capacity <= _MAX_CAPACITY:
        return None
    return capacity


def _clean_title(title: str) -> str | None:
    title = title.strip(_TITLE_TRIM + ".")
    words = title.split(" ")
    while len(words) > 1 and words[-1].casefold() in _TITLE_CONNECTORS:
        words.pop()
    title = " ".join(words).rstrip(_TITLE_TRIM)
    if len(title) > MAX_TITLE_LENGTH:
        cut = title[: MAX_TITLE_LENGTH - 1]
        if " " in cut[MAX_TITLE_LENGTH // 2 :]:
            cut = cut.rsplit(" ", 1)[0]
        title = cut.rstrip(_TITLE_TRIM) + "…"
    return title if len(title) >= MIN_TITLE_LENGTH else None


def _title_from_line(line: str, spans: list[tuple[int, int]]) -> str | None:
    """A free-text title line minus the date and time written in it."""
    segments: list[str] = []
    position = 0
    for start, end in sorted(spans):
        segments.append(line[position:start])
        position = max(position, end)
    segments.append(line[position:])
    if len(segments) > 1:
        for segment in segments:
            title = _clean_title(segment)
            if title is not None:
                return title[0].upper() + title[1:]
    return _clean_title(line)


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

    date_hit, date_context = _search_date(sources(("date", "date"), ("when", "when")), today)
    time_hit, time_context = _search_time(sources(("time", "time"), ("when", "when")))
    postcode = _find_postcode(
        [*keyed.get("postcode", []), *keyed.get("where", []), *keyed.get("address", []), full_text]
    )

    title: str | None = None
    title_values = keyed.get("title")
    if title_values:
        title = _clean_title(title_values[0])
    title_index: int | None = None
    if title is None and "title" not in keyed:
        for index, line in sections.loose:
            if _GREETING.match(line) and len(line.split()) <= 4:
                continue
            offset = sum(len(previous) + 1 for previous in lines[:index])
            spans = [
                (max(hit.start - offset, 0), min(hit.end - offset, len(line)))
                for hit, context in ((date_hit, date_context), (time_hit, time_context))
                if hit is not None
                and context == "free"
                and hit.start < offset + len(line)
                and hit.end > offset
            ]
            title = _title_from_line(line, spans)
            title_index = index
            break

    description = _joined(keyed.get("what"), "\n")
    if description is None:
        rest = [
            line
            for index, line in sections.loose
            if index != title_index and not (_GREETING.match(line) and len(line.split()) <= 4)
        ]
        description = "\n".join(rest) or None

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
        )
        if absent
    ]
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
        capacity=_find_capacity(keyed.get("people", []), full_text),
        missing=missing,
        day=date_hit.day if date_hit else None,
        start_time=time_hit.start_time if time_hit else None,
        end_time=time_hit.end_time if time_hit else None,
        weekday_mismatch=date_hit.weekday_mismatch if date_hit else False,
    )
