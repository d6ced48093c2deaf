"""The gig a chat message describes (`gig_from_message`): `open` when the message says
all a gig needs, else a `draft` with placeholders for the organisation to complete.
Pure: the message was read by `app.integrations.message_parser`; storing it is
`app.services.inbound_messages`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final

from app.integrations.message_parser import ParsedMessage
from app.integrations.message_vocabulary import AMSTERDAM, Language
from app.schemas.common import normalize_postcode
from app.schemas.gig import GigCreate, GigLocation, gig_time_errors

#: A draft's length, and its start when the message gives none.
DRAFT_DURATION: Final = timedelta(hours=2)
PLACEHOLDER_START: Final = time(10, 0)
DRAFT_TITLE: Final[dict[Language, str]] = {
    "nl": "Klus via chatbericht (concept)",
    "en": "Task from a chat message (draft)",
}


def placeholder_times(parsed: ParsedMessage, now: datetime) -> tuple[datetime, datetime]:
    """A draft's times: what was understood, else 10:00 a week ahead (to be completed)."""
    if parsed.starts_at is not None and parsed.ends_at is not None:
        return parsed.starts_at, parsed.ends_at
    local_now = now.astimezone(AMSTERDAM)
    day = parsed.day or (local_now + timedelta(days=7)).date()
    start = datetime.combine(day, parsed.start_time or PLACEHOLDER_START, AMSTERDAM)
    end = start + DRAFT_DURATION
    if parsed.end_time is not None:
        candidate = datetime.combine(day, parsed.end_time, AMSTERDAM)
        end = candidate if candidate > start else end
    return start, end


def within_bounds(parsed: ParsedMessage, now: datetime) -> ParsedMessage:
    """A day beyond the bounds on gigs (`gig_time_errors`) reads as no day, like 31-02."""
    starts_at, ends_at = placeholder_times(parsed, now)
    if gig_time_errors(starts_at=starts_at, ends_at=ends_at, now=now):
        return parsed.without_date()
    return parsed


def gig_from_message(parsed: ParsedMessage, text: str, now: datetime) -> GigCreate:
    """The one-off gig a message describes: `open` when complete, else a `draft`.

    A draft keeps the whole message as its description and fills what is missing with
    placeholders (a title, 10:00–12:00 a week ahead), so the organisation can complete it.
    """
    starts_at, ends_at = placeholder_times(parsed, now)
    postcode = None
    if parsed.postcode:
        try:
            postcode = normalize_postcode(parsed.postcode)
        except ValueError:
            postcode = None
    address = parsed.address[:300] if parsed.address else None
    # Nothing of the message is lost: without a Wat:/What: text, a draft keeps all of it.
    description = parsed.description or (None if parsed.complete else text)
    return GigCreate(
        title=parsed.title or DRAFT_TITLE[parsed.language],
        description=description[:5000] if description else None,
        category="other",
        kind="one_off",
        starts_at=starts_at,
        ends_at=ends_at,
        location=GigLocation(
            address=address, postcode=postcode, area=parsed.area, lat=parsed.lat, lon=parsed.lon
        ),
        capacity=min(max(parsed.capacity or 1, 1), 100_000),
        status="open" if parsed.complete else "draft",
    )
