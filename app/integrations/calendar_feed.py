"""iCalendar (RFC 5545 / RFC 7986) feeds of gigs, written as text.

Pure: no database and no web framework. The service queries the gigs (within
`feed_window(now)`, at most `MAX_FEED_EVENTS`), turns each into a `FeedEvent` and calls
`render_feed`; the router sends the bytes with `feed_etag` and answers 304 when
`not_modified` (If-None-Match) or `not_modified_since` (If-Modified-Since) says so.

Determinism is the point of most choices here: the same gigs give the same bytes, so an
unchanged feed keeps its ETag. Nothing reads the clock: `DTSTAMP` and `LAST-MODIFIED`
come from the gig's `updated_at`, events are sorted, and the `VTIMEZONE` covers only the
years the events span.

Times are written as local Europe/Amsterdam time with `TZID=Europe/Amsterdam` and a
`VTIMEZONE` generated from the zoneinfo database, because people read these calendars
and some clients show the raw text of an event.

Speed: building a component tree with the `icalendar` library cost ~0.5 ms per event
(half of it folding lines one character at a time), so the events are written directly
as content lines: TEXT escaping (§3.3.11), DATE-TIME values (§3.3.5) and folding at 75
octets (§3.1) are the few rules they need. The bytes are those `icalendar` 7 wrote
(its property order, escaping and folding), so feeds kept their ETags when this
changed; `tests/integrations/test_calendar_render.py` holds the two equal. The parts
that do not change with the gigs, the `VTIMEZONE` for a span of years and the refresh
duration, are still made by `icalendar`, once each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final, Literal

from app.integrations.ical_text import (
    AMSTERDAM,
    content_lines,
    date_time_value,
    duration_value,
    text_value,
    utc_value,
    vtimezone,
)

Language = Literal["nl", "en"]
GigStatus = Literal["open", "cancelled", "completed"]

CONTENT_TYPE: Final = "text/calendar; charset=utf-8"

#: Most events one feed holds; the service passes it as the query's LIMIT (ordered by
#: `starts_at`). `render_feed` itself does not enforce it, so benchmarks can go beyond.
MAX_FEED_EVENTS: Final = 1000
#: How far back a feed reaches, so a gig that just happened (or was just cancelled)
#: stays visible for a week instead of vanishing from subscribers' calendars.
FEED_PAST: Final = timedelta(days=7)
#: How far ahead a feed reaches: a year covers an association's academic-year planning.
FEED_FUTURE: Final = timedelta(days=365)

#: Events end before this: the VTIMEZONE runs to 1 January after the last event's year,
#: which must still be a date (rows from before gig dates were bounded can be anywhere).
CALENDAR_END: Final = datetime(MAXYEAR, 1, 1, tzinfo=AMSTERDAM)

#: Gig fields whose change bumps `SEQUENCE` (RFC 5545 §3.8.7.4: a significant revision).
#: `location` is there for callers that pass the nested API object instead of its parts.
TIME_PLACE_FIELDS: Final = (
    "starts_at",
    "ends_at",
    "location",
    "address",
    "postcode",
    "area",
    "lat",
    "lon",
    "online",
)

CATEGORY_LABELS: Final[Mapping[Language, Mapping[str, str]]] = {
    "nl": {
        "board": "Bestuur",
        "information_advice": "Informatie en advies",
        "visiting": "Bezoek",
        "training": "Training en les",
        "advocacy": "Belangenbehartiging",
        "office": "Kantoorwerk",
        "odd_jobs": "Klussen",
        "personal_advice": "Persoonlijk advies",
        "transport": "Vervoer",
        "fundraising": "Fondsenwerving",
        "care": "Zorg",
        "other": "Overig",
    },
    "en": {
        "board": "Board",
        "information_advice": "Information and advice",
        "visiting": "Visiting",
        "training": "Training and teaching",
        "advocacy": "Advocacy",
        "office": "Office work",
        "odd_jobs": "Odd jobs",
        "personal_advice": "Personal advice",
        "transport": "Transport",
        "fundraising": "Fundraising",
        "care": "Care",
        "other": "Other",
    },
}

_TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {
    "nl": {
        "signed_up": "✔ Aangemeld: {title}",
        "cancelled": "Geannuleerd: {title}",
        "organization": "Organisatie: {name}",
        "category": "Soort klus: {label}",
        "spots_left": "Plekken vrij: {count}",
        "full": "Plekken vrij: 0 (vol)",
        "signup_size": "Jullie aanmelding: {count} personen",
        "status_cancelled": "Deze klus gaat niet door.",
        "link": "Meer informatie en aanmelden: {url}",
    },
    "en": {
        "signed_up": "✔ Signed up: {title}",
        "cancelled": "Cancelled: {title}",
        "organization": "Organisation: {name}",
        "category": "Kind of task: {label}",
        "spots_left": "Spots left: {count}",
        "full": "Spots left: 0 (full)",
        "signup_size": "Your sign-up: {count} people",
        "status_cancelled": "This task has been cancelled.",
        "link": "More information and sign-up: {url}",
    },
}


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One gig as it appears in a feed; built by the service from a gig row."""

    #: The gig's opaque id (e.g. `gig_01m8...`); with the host it makes the event's UID.
    gig_id: str
    title: str
    description: str | None
    organization_name: str
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime
    address: str | None
    area: str | None
    postcode: str | None
    lat: float | None
    lon: float | None
    url: str
    category: str
    spots_left: int
    #: Owned by the service: +1 whenever `time_or_place_changed` (see `next_sequence`).
    sequence: int
    status: GigStatus
    #: The feed's association signed up for this gig (association feeds only).
    signed_up: bool = False
    #: People in that association's sign-up, when known.
    signup_size: int | None = None

    def __post_init__(self) -> None:
        for field_name in ("starts_at", "ends_at", "updated_at"):
            moment: datetime = getattr(self, field_name)
            if moment.utcoffset() is None:
                raise ValueError(f"FeedEvent.{field_name} must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("FeedEvent.ends_at must be after starts_at")
        if self.ends_at >= CALENDAR_END:
            raise ValueError(f"FeedEvent.ends_at must be before the year {MAXYEAR}")
        if self.sequence < 0:
            raise ValueError("FeedEvent.sequence must not be negative")


def render_feed(
    *,
    name: str,
    events: Sequence[FeedEvent],
    host: str,
    refresh_minutes: int = 60,
    lang: Language = "nl",
) -> bytes:
    """Render the gigs as one iCalendar feed: same input (in any order) gives same bytes."""
    if lang not in _TEXTS:
        raise ValueError(f"unsupported language: {lang!r}")
    if refresh_minutes < 1:
        raise ValueError("refresh_minutes must be at least 1")
    gig_ids = [event.gig_id for event in events]
    if len(set(gig_ids)) != len(gig_ids):
        raise ValueError("each gig may appear only once in a feed (its UID must be unique)")

    # Properties in icalendar's order: the canonical ones first, then by name.
    refresh = duration_value(refresh_minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//Klusmakelaar//Klusmakelaar gig feed//{lang.upper()}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        # NAME (RFC 7986) and X-WR-CALNAME (Apple, Google), as TEXT (`,` `;` escaped).
        f"NAME:{text_value(name)}",
        f"X-WR-CALNAME:{text_value(name)}",
    ]
    feed_modified = last_modified(events)
    if feed_modified is not None:
        lines.append(f"LAST-MODIFIED:{utc_value(feed_modified)}")
    # RFC 7986 requires the VALUE parameter; X-PUBLISHED-TTL is for older Microsoft and
    # Apple clients.
    lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}", f"X-PUBLISHED-TTL:{refresh}"]
    parts = [content_lines(lines)]

    # Keys in UTC: a tuple compares its items with == first, and an ambiguous local time
    # is never == to another zone's time (PEP 495), which would make the order unstable.
    ordered = sorted(events, key=lambda event: (event.starts_at.astimezone(UTC), event.gig_id))
    vevents = [_vevent(event, host=host, lang=lang) for event in ordered]
    if any(b";TZID=" in vevent for vevent in vevents):
        # Bounded by the events, not by today, so the VTIMEZONE is as deterministic as
        # the rest and stays a few observances long instead of spanning 1970-2038.
        first_year = min(event.starts_at.astimezone(AMSTERDAM).year for event in ordered)
        last_year = max(event.ends_at.astimezone(AMSTERDAM).year for event in ordered)
        parts.append(vtimezone(first_year, last_year))
    parts += vevents
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def _vevent(event: FeedEvent, *, host: str, lang: Language) -> bytes:
    texts = _TEXTS[lang]
    label = category_label(event.category, lang=lang)
    if event.status == "cancelled":
        summary = texts["cancelled"].format(title=event.title)
    elif event.signed_up:
        summary = texts["signed_up"].format(title=event.title)
    else:
        summary = event.title
    # Seconds only: iCalendar has no fractions, and DTSTAMP must equal LAST-MODIFIED.
    updated_at = utc_value(event.updated_at)
    categories = [event.category, label] if label != event.category else [event.category]
    # A completed gig did take place, so CONFIRMED; only cancellations differ. Only gigs
    # the association committed to make its members look busy.
    cancelled = event.status == "cancelled"
    busy = event.signed_up and not cancelled
    location = _location(event)
    # Properties in icalendar's order for a VEVENT: SUMMARY, DTSTART, DTEND, DTSTAMP,
    # UID, SEQUENCE, then by name.
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{text_value(summary)}",
        f"DTSTART{date_time_value(event.starts_at)}",
        f"DTEND{date_time_value(event.ends_at)}",
        f"DTSTAMP:{updated_at}",
        # The id already says it is a gig (`gig_...`); the host makes the UID global.
        f"UID:{text_value(f'{event.gig_id}@{host}')}",
        f"SEQUENCE:{event.sequence}",
        f"CATEGORIES:{','.join(text_value(category) for category in categories)}",
        f"DESCRIPTION:{text_value(_description(event, label=label, lang=lang))}",
    ]
    if event.lat is not None and event.lon is not None:
        lines.append(f"GEO:{float(event.lat)};{float(event.lon)}")
    lines.append(f"LAST-MODIFIED:{updated_at}")
    if location is not None:
        lines.append(f"LOCATION:{text_value(location)}")
    lines += [
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"TRANSP:{'OPAQUE' if busy else 'TRANSPARENT'}",
        f"URL:{event.url}",  # a URI: not escaped
        "END:VEVENT",
    ]
    return content_lines(lines)


def _description(event: FeedEvent, *, label: str, lang: Language) -> str:
    texts = _TEXTS[lang]
    lines: list[str] = []
    if event.description:
        lines += [event.description.strip(), ""]
    lines.append(texts["organization"].format(name=event.organization_name))
    lines.append(texts["category"].format(label=label))
    if event.status == "cancelled":
        lines.append(texts["status_cancelled"])
    elif event.spots_left > 0:
        lines.append(texts["spots_left"].format(count=event.spots_left))
    else:
        lines.append(texts["full"])
    if event.signed_up and event.signup_size is not None:
        lines.append(texts["signup_size"].format(count=event.signup_size))
    lines.append(texts["link"].format(url=event.url))
    return "\n".join(lines)


def _location(event: FeedEvent) -> str | None:
    parts = [part.strip() for part in (event.address, event.postcode, event.area) if part]
    unique_parts = [part for index, part in enumerate(parts) if part not in parts[:index]]
    return ", ".join(unique_parts) or None


def category_label(category: str, *, lang: Language = "nl") -> str:
    """Return the human label of a gig category, or the code itself when unknown."""
    return CATEGORY_LABELS[lang].get(category, category)


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """Return the (start, end) of the gigs a feed shows: a week back to a year ahead."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now - FEED_PAST, now + FEED_FUTURE


def feed_etag(body: bytes) -> str:
    """Return a strong ETag for a rendered feed: a quoted sha256 hex prefix."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Tell whether an If-None-Match header matches the ETag, so the answer is 304."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    # RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so W/ is ignored.
    opaque = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )


def not_modified_since(
    if_modified_since: str | None, last_modified: datetime, *, now: datetime, shared: bool = False
) -> bool:
    """Tell whether If-Modified-Since shows the client has the feed last modified at
    ``last_modified`` (RFC 9110 §13.1.3), so the answer is 304.

    A value that is not one HTTP-date, or a date after ``now``, is ignored. ``shared``:
    another version of the feed carried the same Last-Modified second, so only a later
    date proves the client has this one. Callers ignore this when If-None-Match is sent
    (RFC 9110 §13.2.2).
    """
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:  # "-0000": UTC, with no claim about the local zone
        since = since.replace(tzinfo=UTC)
    if since > now:
        return False
    return last_modified < since if shared else last_modified <= since


def last_modified(events: Sequence[FeedEvent]) -> datetime | None:
    """Return the latest `updated_at` in UTC, whole seconds (for Last-Modified), or None."""
    if not events:
        return None
    latest = max(event.updated_at.astimezone(UTC) for event in events)
    return latest.astimezone(UTC).replace(microsecond=0)


def time_or_place_changed(before: Mapping[str, object], after: Mapping[str, object]) -> bool:
    """Tell whether a gig's time or place differs between two snapshots of its fields.

    Both are complete snapshots (a missing key counts as None); only `TIME_PLACE_FIELDS`
    are compared, so a new title or capacity does not reschedule anyone's calendar.
    Aware datetimes compare as instants, so a change of time zone alone is no change.
    """
    return any(
        _as_instant(before.get(field)) != _as_instant(after.get(field))
        for field in TIME_PLACE_FIELDS
    )


def _as_instant(value: object) -> object:
    # Python never calls an ambiguous local time (the repeated autumn hour) equal to a
    # time in another zone (PEP 495), so datetimes are compared in UTC.
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return value


def next_sequence(
    old_sequence: int, *, before: Mapping[str, object], after: Mapping[str, object]
) -> int:
    """Return the gig's next SEQUENCE: one higher when its time or place changed."""
    return old_sequence + 1 if time_or_place_changed(before, after) else old_sequence
