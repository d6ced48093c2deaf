"""`render_feed` writes its text directly; here it is held byte for byte equal to the same
feed built as a component tree with the `icalendar` library (how it was rendered before:
subscribers' ETags stayed valid), over awkward input: TEXT escapes, UTF-8 at fold
boundaries, the repeated autumn hour, every status and option.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar, Event, vDuration, vText
from icalendar.enums import STATUS, TRANSP

from app.integrations import calendar_feed, ical_text
from app.integrations.calendar_feed import (
    AMSTERDAM,
    FeedEvent,
    Language,
    category_label,
    last_modified,
    render_feed,
)
from tests.integrations.calendar_helpers import check_wire_rules, parse_both

HOST = "klusmakelaar.example"
# Characters that need escaping or folding care: TEXT specials, a literal "\N", CR and
# LF, the caret, and one-, two-, three- and four-byte UTF-8.
AWKWARD = [*"ab ,;\\^\n\r:\"'é☕€𝄞", "\\N", "\r\n", "xyz", "0123456789"]


def reference_feed(
    *,
    name: str,
    events: Sequence[FeedEvent],
    host: str,
    refresh_minutes: int = 60,
    lang: Language = "nl",
) -> bytes:
    """The feed as a tree of `icalendar` components, serialised by the library."""
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", f"-//Klusmakelaar//Klusmakelaar gig feed//{lang.upper()}")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    refresh = timedelta(minutes=refresh_minutes)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    feed_modified = last_modified(events)
    if feed_modified is not None:
        calendar.add("last-modified", feed_modified)
    ordered = sorted(events, key=lambda event: (event.starts_at.astimezone(UTC), event.gig_id))
    for event in ordered:
        calendar.add_component(_reference_event(event, host=host, lang=lang))
    if ordered:
        first_year = min(event.starts_at.astimezone(AMSTERDAM).year for event in ordered)
        last_year = max(event.ends_at.astimezone(AMSTERDAM).year for event in ordered)
        calendar.add_missing_timezones(
            first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
        )
    body: bytes = calendar.to_ical()
    return body


def _reference_event(event: FeedEvent, *, host: str, lang: Language) -> Event:
    texts = calendar_feed._TEXTS[lang]
    label = category_label(event.category, lang=lang)
    if event.status == "cancelled":
        summary = texts["cancelled"].format(title=event.title)
    elif event.signed_up:
        summary = texts["signed_up"].format(title=event.title)
    else:
        summary = event.title
    updated_at = event.updated_at.astimezone(UTC).replace(microsecond=0)
    vevent = Event.new(
        uid=f"{event.gig_id}@{host}",
        stamp=updated_at,
        last_modified=updated_at,
        start=ical_text.local_or_utc(event.starts_at),
        end=ical_text.local_or_utc(event.ends_at),
        summary=summary,
        description=calendar_feed._description(event, label=label, lang=lang),
        location=calendar_feed._location(event),
        url=event.url,
        categories=[event.category, label] if label != event.category else [event.category],
        sequence=event.sequence,
        status=STATUS.CANCELLED if event.status == "cancelled" else STATUS.CONFIRMED,
        transparency=(
            TRANSP.OPAQUE if event.signed_up and event.status != "cancelled" else TRANSP.TRANSPARENT
        ),
    )
    if event.lat is not None and event.lon is not None:
        vevent.add("geo", (event.lat, event.lon))
    return vevent


def awkward_text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(AWKWARD) for _ in range(rng.randrange(longest)))


def random_event(rng: random.Random, number: int) -> FeedEvent:
    # Around the night clocks go back, so some times fall in the repeated hour.
    starts_at = datetime(2027, 10, 31, 0, 0, 0, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(-9_000, 9_000), microseconds=rng.randrange(1_000_000)
    )
    zone = rng.choice([UTC, AMSTERDAM, timezone(timedelta(hours=5, minutes=30))])
    return FeedEvent(
        gig_id=f"gig_{number}",
        title=awkward_text(rng, 120) or "t",
        description=rng.choice([None, "", awkward_text(rng, 300)]),
        organization_name=awkward_text(rng, 60),
        starts_at=starts_at.astimezone(zone),
        ends_at=(starts_at + timedelta(minutes=rng.randrange(1, 600))).astimezone(zone),
        updated_at=starts_at - timedelta(days=3, microseconds=rng.randrange(1_000_000)),
        address=rng.choice([None, "", awkward_text(rng, 80)]),
        area=rng.choice([None, awkward_text(rng, 20)]),
        postcode=rng.choice([None, "9724 AB", " 9724 AB "]),
        lat=rng.choice([None, 53.2, rng.uniform(-90, 90)]),
        lon=rng.choice([None, 6.5, rng.uniform(-180, 180)]),
        url=f"https://{HOST}/api/v1/gigs/gig_{number}" + "x" * rng.randrange(0, 100),
        category=rng.choice(["odd_jobs", "care", "unknown,code;x"]),
        spots_left=rng.randrange(0, 5),
        sequence=rng.randrange(0, 4),
        status=rng.choice(["open", "cancelled", "completed"]),
        signed_up=rng.random() < 0.5,
        signup_size=rng.choice([None, 3]),
    )


@pytest.mark.parametrize("seed", range(8))
def test_awkward_feeds_are_byte_identical_to_the_icalendar_rendering(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        events = [random_event(rng, number) for number in range(rng.choice([1, 1, 2, 5]))]
        options: dict[str, Any] = {
            "name": awkward_text(rng, 100),
            "host": HOST,
            "lang": rng.choice(["nl", "en"]),
            "refresh_minutes": rng.choice([1, 60, 90, 1440, 1500]),
        }
        assert render_feed(events=events, **options) == reference_feed(events=events, **options)


def test_a_large_feed_is_byte_identical_and_read_by_both_parsers() -> None:
    rng = random.Random(42)
    first = datetime(2027, 1, 4, 8, tzinfo=UTC)
    events = []
    for number in range(1, 401):
        starts_at = first + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
        events.append(
            FeedEvent(
                gig_id=f"gig_{number}",
                title=f"Koffie schenken bij de Oosterpoort ☕ — één middag #{number}",
                description="Onkruid wieden, een border aanleggen; daarna samen soep eten.",
                organization_name="Stichting Buurtwerk Groningen",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=rng.randint(1, 4)),
                updated_at=starts_at - timedelta(days=rng.randint(1, 30)),
                address="Trompsingel 27",
                area="Oosterpoort",
                postcode="9724 AB",
                lat=53.21 + rng.random() / 100,
                lon=6.57 + rng.random() / 100,
                url=f"https://{HOST}/api/v1/gigs/gig_{number}",
                category=rng.choice(sorted(calendar_feed.CATEGORY_LABELS["nl"])),
                spots_left=rng.randint(0, 10),
                sequence=rng.randint(0, 3),
                status="cancelled" if rng.random() < 0.05 else "open",
                signed_up=rng.random() < 0.1,
                signup_size=rng.randint(2, 8),
            )
        )

    body = render_feed(name="Klussen in Groningen", events=events, host=HOST)

    assert body == reference_feed(name="Klussen in Groningen", events=events, host=HOST)
    check_wire_rules(body)
    loose, strict = parse_both(body)
    assert len(loose.events) == len(strict.events) == 400


def test_feeds_without_a_local_time_have_no_vtimezone_like_icalendar() -> None:
    # Both ends in the repeated autumn hour: written in UTC, so no TZID is used.
    repeated = datetime(2027, 10, 31, 1, 10, tzinfo=UTC)  # 02:10 local, the second time
    event = FeedEvent(
        gig_id="gig_1", title="Nachtwacht", description=None, organization_name="Wijkteam",
        starts_at=repeated, ends_at=repeated + timedelta(minutes=20), updated_at=repeated,
        address=None, area=None, postcode=None, lat=None, lon=None,
        url=f"https://{HOST}/api/v1/gigs/gig_1", category="other", spots_left=1, sequence=0,
        status="open",
    )  # fmt: skip

    body = render_feed(name="x", events=[event], host=HOST)

    assert b"VTIMEZONE" not in body
    assert body == reference_feed(name="x", events=[event], host=HOST)
