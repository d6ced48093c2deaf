"""Phrases of a chat message besides its day and time: the number of people, the
postcode and the place (a Groningen neighbourhood), and a bare time range right after a
day. Pure functions, used by `message_parser` and `message_title`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Final

from app.integrations.groningen_places import Place, find_place, place_for_postcode
from app.integrations.message_dates import find_date, mask_dates
from app.integrations.message_times import TimeHit, find_time
from app.integrations.message_vocabulary import NUMBER_WORDS

POSTCODE: Final = re.compile(r"(?<![\d\w])([1-9]\d{3})(\s?)([a-z]{2})(?![^\W\d_])", re.IGNORECASE)
# Two-letter words that follow a number in a sentence ("2027 en", "10 op"), never postcodes.
_NOT_POSTCODE_LETTERS: Final = frozenset(
    "en in op om te to at is of on an am pm by or as it je we ze he me my no so up us do go "
    "ga na er al nu ok sa sd ss".split()
)
_NUMBER: Final = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
PEOPLE: Final = re.compile(
    rf"(?<![\d:.,-])\b(?P<low>{_NUMBER})(?:\s?(?:-|\u2013|tot|to|à)\s?(?P<high>\d{{1,3}}))?\s"
    r"?(?:vrijwilligers?|personen|persoon|pers\b\.?|mensen|man\b|helpers?|handen|people"
    r"|persons?|volunteers?)(?![^\W\d_])",
    re.IGNORECASE,
)
_COUNT: Final = re.compile(rf"\b(?:{_NUMBER})\b", re.IGNORECASE)
_MAX_CAPACITY: Final = 1000


def time_after_day(text: str, today: date) -> TimeHit | None:
    """A bare range right after a day ("zaterdag 10-12") is a time, as in a Wanneer: value."""
    day = find_date(text, today=today, context="free")
    if day is None:
        return None
    window = text[day.end : day.end + 24]
    hit = find_time(mask_dates(window, "when"), context="when")
    if hit is None or window[: hit.start].strip(" ,") or PEOPLE.match(window, hit.start):
        return None
    return replace(hit, start=hit.start + day.end, end=hit.end + day.end)


def find_postcode(texts: Iterable[str]) -> str | None:
    for text in texts:
        for match in POSTCODE.finditer(text):
            letters = match[3]
            if letters.casefold() in _NOT_POSTCODE_LETTERS and (
                letters.casefold() in {"sa", "sd", "ss"} or (match[2] and not letters.isupper())
            ):
                continue
            return f"{match[1]} {letters.upper()}"
    return None


def place_of(texts: Iterable[str], postcode: str | None) -> Place | None:
    """The neighbourhood or postcode area named (the Waar:/Where: text first), with its
    centre; a full postcode found by `find_postcode` gives the centre when no name does."""
    for text in texts:
        place = find_place(text)
        if place is not None:
            return place
    return place_for_postcode(postcode) if postcode else None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.casefold()]


def find_capacity(keyed_values: list[str], full_text: str) -> int | None:
    capacity: int | None = None
    for value in keyed_values:
        numbers = [_count(word) for word in _COUNT.findall(value)[:2]]
        if numbers:
            capacity = max(numbers)  # "4-6" → up to 6 people
            break
    if capacity is None:
        match = PEOPLE.search(full_text)
        if match is not None:
            capacity = int(match["high"]) if match["high"] else _count(match["low"])
    if capacity is None or not 1 <= capacity <= _MAX_CAPACITY:
        return None
    return capacity
