"""The few rules of iCalendar text (RFC 5545) the feeds are written with: TEXT escaping
(§3.3.11), DATE-TIME values (§3.3.5), folding at 75 octets (§3.1), and the parts made
once by `icalendar` (a `VTIMEZONE` for a span of years, a DURATION). Each writes what
`icalendar` 7 wrote, byte for byte (`tests/integrations/test_calendar_render.py`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import Timezone, vDuration

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")


def text_value(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11), escaped as `icalendar` does: a literal `\\N`
    is read as a line break first, and CR LF, LF or a lone CR become `\\n`."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_value(moment: datetime) -> str:
    """A DATE-TIME in UTC, whole seconds (`20270614T080000Z`)."""
    at = moment.astimezone(UTC)
    return f"{at.year:04}{at.month:02}{at.day:02}T{at.hour:02}{at.minute:02}{at.second:02}Z"


def date_time_value(moment: datetime) -> str:
    """`;TZID=Europe/Amsterdam:<local time>`, or `:<UTC time>Z` (see `local_or_utc`)."""
    at = local_or_utc(moment)
    if at.tzinfo is UTC:
        return f":{utc_value(at)}"
    local = f"{at.year:04}{at.month:02}{at.day:02}T{at.hour:02}{at.minute:02}{at.second:02}"
    return f";TZID={AMSTERDAM.key}:{local}"


#: Content lines are folded before they pass this many octets (RFC 5545 §3.1 allows
#: 75; like `icalendar`, a first line holds 74 and a continuation a space and 74).
FOLD_AT: Final = 74


def content_lines(lines: list[str]) -> bytes:
    """The lines, each folded and ended with CR LF."""
    folded = []
    for line in lines:
        octets = line.encode()
        folded.append(octets if len(octets) <= FOLD_AT else fold_line(octets))
    folded.append(b"")
    return b"\r\n".join(folded)


def fold_line(octets: bytes) -> bytes:
    """Split one long line between characters, never inside a UTF-8 sequence, and never
    right after a `\\` or `^` (an escape would be cut in two: `icalendar` issue 1501)."""
    chunks = []
    start = 0
    while len(octets) - start > FOLD_AT:
        end = start + FOLD_AT
        while octets[end] & 0xC0 == 0x80:  # a continuation byte: not a character's start
            end -= 1
        if octets[end - 1] in b"\\^":
            end -= 1
        chunks.append(octets[start:end])
        start = end
    chunks.append(octets[start:])
    return b"\r\n ".join(chunks)


@lru_cache(maxsize=64)
def vtimezone(first_year: int, last_year: int) -> bytes:
    """Europe/Amsterdam from 1 January of ``first_year`` to 1 January after ``last_year``."""
    timezone = Timezone.from_tzid(
        AMSTERDAM.key, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    vtimezone: bytes = timezone.to_ical()  # typed as Any in icalendar
    return vtimezone


@lru_cache(maxsize=16)
def duration_value(minutes: int) -> str:
    """A DURATION value (`PT1H`)."""
    duration: bytes = vDuration(timedelta(minutes=minutes)).to_ical()  # type: ignore[no-untyped-call]
    return duration.decode()


def local_or_utc(moment: datetime) -> datetime:
    # When clocks go back, 02:00-03:00 happens twice and a TZID time means the first
    # (RFC 5545 §3.3.5); an instant in the second hour is written in UTC to stay exact.
    local = moment.astimezone(AMSTERDAM)
    if local.replace(fold=0).astimezone(UTC) != moment.astimezone(UTC):
        return moment.astimezone(UTC)
    return local
