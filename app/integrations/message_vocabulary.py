"""Dutch and English words for dates, times and message keys, and how we render them.

Our own tables, so the output never depends on the process locale.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

Language = Literal["nl", "en"]

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
# Between two clock times, as Dutch and English typography want it.
EN_DASH: Final = "\u2013"

MONTHS_NL: Final = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS_NL: Final = (
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
)
WEEKDAYS_EN: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for number, (dutch, english) in enumerate(zip(MONTHS_NL, MONTHS_EN, strict=True), 1):
        words[dutch] = number
        words[english.casefold()] = number
        words[dutch[:3]] = number
        words[english[:3].casefold()] = number
    # Common Dutch and English short forms beyond the first three letters.
    words.update({"mrt": 3, "sept": 9, "okt": 10})
    return words


def _weekday_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for number, (dutch, english) in enumerate(zip(WEEKDAYS_NL, WEEKDAYS_EN, strict=True)):
        words[dutch] = number
        words[english.casefold()] = number
    return words


# Month name (full or abbreviated, either language, casefolded) → month number 1 to 12.
MONTH_WORDS: Final = _month_words()
# Full weekday name (either language, casefolded) → weekday 0 (Monday) to 6.
WEEKDAY_WORDS: Final = _weekday_words()
# Abbreviations that are only trusted in front of a date ("za 14 juni"): alone they are
# ordinary words ("zo", "do", "sat").
WEEKDAY_ABBREVIATIONS: Final = {
    "ma": 0,
    "di": 1,
    "wo": 2,
    "do": 3,
    "vr": 4,
    "za": 5,
    "zo": 6,
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}

# Message keys: alias (casefolded) → (field, language the alias betrays, or None).
KEY_ALIASES: Final[dict[str, tuple[str, Language | None]]] = {
    "klus": ("title", "nl"),
    "taak": ("title", "nl"),
    "titel": ("title", "nl"),
    "task": ("title", "en"),
    "title": ("title", "en"),
    "job": ("title", "en"),
    "gig": ("title", None),
    "wanneer": ("when", "nl"),
    "when": ("when", "en"),
    "datum": ("date", "nl"),
    "dag": ("date", "nl"),
    "date": ("date", "en"),
    "day": ("date", "en"),
    "tijd": ("time", "nl"),
    "tijdstip": ("time", "nl"),
    "time": ("time", "en"),
    "waar": ("where", "nl"),
    "locatie": ("where", "nl"),
    "plek": ("where", "nl"),
    "where": ("where", "en"),
    "location": ("where", "en"),
    "place": ("where", "en"),
    "adres": ("address", "nl"),
    "address": ("address", "en"),
    "postcode": ("postcode", "nl"),
    "postal code": ("postcode", "en"),
    "zip": ("postcode", "en"),
    "aantal": ("people", "nl"),
    "personen": ("people", "nl"),
    "vrijwilligers": ("people", "nl"),
    "aantal personen": ("people", "nl"),
    "aantal vrijwilligers": ("people", "nl"),
    "people": ("people", "en"),
    "volunteers": ("people", "en"),
    "number of people": ("people", "en"),
    "wat": ("what", "nl"),
    "omschrijving": ("what", "nl"),
    "beschrijving": ("what", "nl"),
    "what": ("what", "en"),
    "description": ("what", "en"),
    "details": ("what", None),
    "info": ("what", None),
}

NUMBER_WORDS: Final = {
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

# Everyday words that only one of the two languages uses, for language detection.
DUTCH_WORDS: Final = frozenset(
    "de het een en van voor met op bij tot om uur wij zoeken gezocht nodig graag hulp "
    "helpen vrijwilligers personen mensen vandaag morgen overmorgen volgende komende "
    "aanstaande neem mee onze ons jullie zijn wordt kunnen niet ook nog".split()
    + list(MONTHS_NL)
    + list(WEEKDAYS_NL)
) - {"april", "september", "november", "december"}
ENGLISH_WORDS: Final = frozenset(
    "the a and for with at to from on we need needed looking help please volunteers "
    "people today tomorrow next this our you your will be can bring are not also".split()
    + [month.casefold() for month in MONTHS_EN]
    + [weekday.casefold() for weekday in WEEKDAYS_EN]
) - {"april", "september", "november", "december"}


def to_local(moment: datetime) -> datetime:
    """Convert an aware datetime to Europe/Amsterdam; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(AMSTERDAM)


def format_day(day: date, lang: Language) -> str:
    """Render a day in words: "zaterdag 14 juni 2027" or "Saturday 14 June 2027"."""
    if lang == "en":
        return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{WEEKDAYS_NL[day.weekday()]} {day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def format_when(starts_at: datetime, ends_at: datetime | None, lang: Language) -> str:
    """Render a start (and end) in Europe/Amsterdam: "zaterdag 14 juni 2027, 10:00-13:00"."""
    start = to_local(starts_at)
    text = f"{format_day(start.date(), lang)}, {start:%H:%M}"
    if ends_at is None:
        return text
    end = to_local(ends_at)
    if end.date() == start.date():
        return f"{text}{EN_DASH}{end:%H:%M}"
    return f"{text} {EN_DASH} {format_day(end.date(), lang)}, {end:%H:%M}"
