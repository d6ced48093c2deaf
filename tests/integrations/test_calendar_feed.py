"""Gig feeds: parsed by two independent parsers (`icalendar` and the strict `ical`), and
checked against the wire rules (CRLF, 75-octet folding, VTIMEZONE per TZID, determinism).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import icalendar
import pytest
from ical.calendar import Calendar as StrictCalendar
from ical.calendar_stream import IcsCalendarStream
from ical.event import EventStatus
from icalendar.parser import unescape_backslash

from app.integrations.calendar_feed import (
    CONTENT_TYPE,
    FEED_FUTURE,
    FEED_PAST,
    MAX_FEED_EVENTS,
    FeedEvent,
    category_label,
    feed_etag,
    feed_window,
    last_modified,
    next_sequence,
    not_modified,
    render_feed,
    time_or_place_changed,
)
from app.integrations.ical_text import AMSTERDAM

HOST = "klusmakelaar.example"
UPDATED = datetime(2027, 2, 3, 4, 5, 6, tzinfo=UTC)
LONG_TITLE = "Koffie schenken bij de Oosterpoort ☕ — één middag " * 3


def make_event(number: int = 1, **overrides: Any) -> FeedEvent:
    starts_at = datetime(2027, 6, 14, 8, 0, tzinfo=UTC) + timedelta(days=number)
    fields: dict[str, Any] = {
        "gig_id": f"gig_{number}",
        "title": f"Tuin opknappen {number}",
        "description": "Onkruid wieden en een border aanleggen.",
        "organization_name": "Buurthuis De Kroon",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "updated_at": UPDATED + timedelta(minutes=number),
        "address": "Trompsingel 27",
        "area": "Oosterpoort",
        "postcode": "9724 AB",
        "lat": 53.2105,
        "lon": 6.5714,
        "url": f"https://{HOST}/gigs/{number}",
        "category": "odd_jobs",
        "spots_left": 3,
        "sequence": 0,
        "status": "open",
    }
    fields.update(overrides)
    return FeedEvent(**fields)


def render(events: list[FeedEvent], **options: Any) -> bytes:
    options.setdefault("name", "Klussen in Groningen")
    return render_feed(events=events, host=HOST, **options)


def parse_both(body: bytes) -> tuple[icalendar.Calendar, StrictCalendar]:
    return icalendar.Calendar.from_ical(body), IcsCalendarStream.calendar_from_ics(
        body.decode("utf-8")
    )


def in_utc(*moments: object) -> tuple[datetime, ...]:
    # Compared in UTC: Python calls an ambiguous local time unequal to any other zone's.
    assert all(isinstance(moment, datetime) for moment in moments)
    return tuple(moment.astimezone(UTC) for moment in moments)  # type: ignore[attr-defined]


def unfolded_lines(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


# --- parsing with two parsers -------------------------------------------------------------


def test_both_parsers_see_every_gig_with_its_uid_and_status() -> None:
    events = [
        make_event(1),
        make_event(2, status="cancelled"),
        make_event(3, status="completed"),
    ]
    loose, strict = parse_both(render(events))

    expected_uids = [f"gig_{number}@{HOST}" for number in (1, 2, 3)]
    assert [str(event["UID"]) for event in loose.events] == expected_uids
    assert [event.uid for event in strict.events] == expected_uids
    assert [str(event["STATUS"]) for event in loose.events] == [
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
    ]
    assert [event.status for event in strict.events] == [
        EventStatus.CONFIRMED,
        EventStatus.CANCELLED,
        EventStatus.CONFIRMED,
    ]


def test_both_parsers_read_the_event_fields() -> None:
    event = make_event(
        7,
        title='Komma, puntkomma; backslash \\ en "aanhalingstekens"',
        signed_up=True,
        signup_size=4,
        sequence=2,
    )
    loose, strict = parse_both(render([event]))
    loose_event, strict_event = loose.events[0], strict.events[0]

    expected_summary = f"✔ Aangemeld: {event.title}"
    assert str(loose_event["SUMMARY"]) == expected_summary
    assert strict_event.summary == expected_summary
    for description in (str(loose_event["DESCRIPTION"]), strict_event.description or ""):
        assert description.startswith("Onkruid wieden en een border aanleggen.\n\n")
        assert "Organisatie: Buurthuis De Kroon" in description
        assert "Plekken vrij: 3" in description
        assert "Jullie aanmelding: 4 personen" in description
        assert f"https://{HOST}/gigs/7" in description
    assert str(loose_event["LOCATION"]) == "Trompsingel 27, 9724 AB, Oosterpoort"
    assert strict_event.location == "Trompsingel 27, 9724 AB, Oosterpoort"
    assert str(loose_event["URL"]) == f"https://{HOST}/gigs/7"
    assert strict_event.url == f"https://{HOST}/gigs/7"
    assert loose_event.categories == ["odd_jobs", "Klussen"]
    assert strict_event.categories == ["odd_jobs", "Klussen"]
    geo = loose_event["GEO"]
    assert isinstance(geo, icalendar.vGeo)
    assert (geo.latitude, geo.longitude) == (53.2105, 6.5714)
    assert strict_event.geo is not None
    assert (strict_event.geo.lat, strict_event.geo.lng) == (53.2105, 6.5714)
    assert loose_event["SEQUENCE"] == 2
    assert strict_event.sequence == 2
    assert str(loose_event["TRANSP"]) == "OPAQUE"


def test_dtstamp_and_last_modified_are_updated_at_never_now() -> None:
    updated_at = datetime(2026, 12, 31, 23, 59, 58, 123456, tzinfo=AMSTERDAM)
    loose, strict = parse_both(render([make_event(1, updated_at=updated_at)]))
    expected = datetime(2026, 12, 31, 22, 59, 58, tzinfo=UTC)

    assert loose.events[0].DTSTAMP == expected
    assert loose.events[0].LAST_MODIFIED == expected
    assert strict.events[0].dtstamp == expected
    assert strict.events[0].last_modified == expected
    assert strict.last_modified == expected


def test_english_feed_uses_english_labels() -> None:
    body = render([make_event(1, spots_left=0, signed_up=True)], lang="en")
    loose, strict = parse_both(body)

    assert str(loose.events[0]["SUMMARY"]) == "✔ Signed up: Tuin opknappen 1"
    assert strict.events[0].categories == ["odd_jobs", "Odd jobs"]
    assert "Spots left: 0 (full)" in (strict.events[0].description or "")
    assert "PRODID:-//Klusmakelaar//Klusmakelaar gig feed//EN" in unfolded_lines(body)


def test_cancelled_gig_says_so_in_summary_status_and_description() -> None:
    loose, strict = parse_both(render([make_event(1, status="cancelled", signed_up=True)]))

    assert str(loose.events[0]["SUMMARY"]) == "Geannuleerd: Tuin opknappen 1"
    assert strict.events[0].status == EventStatus.CANCELLED
    assert "Deze klus gaat niet door." in (strict.events[0].description or "")
    assert str(loose.events[0]["TRANSP"]) == "TRANSPARENT"


def test_optional_place_fields_are_left_out() -> None:
    event = make_event(1, address=None, postcode=None, area=None, lat=52.0, lon=None)
    loose, strict = parse_both(render([event]))

    assert "LOCATION" not in loose.events[0]
    assert "GEO" not in loose.events[0]
    assert strict.events[0].location is None
    assert strict.events[0].geo is None


def test_empty_feed_is_a_valid_calendar() -> None:
    body = render([])
    loose, strict = parse_both(body)

    assert loose.events == []
    assert strict.events == []
    assert b"BEGIN:VTIMEZONE" not in body
    assert "METHOD:PUBLISH" in unfolded_lines(body)


# --- times and time zones -----------------------------------------------------------------


def test_times_are_amsterdam_local_across_the_spring_dst_change() -> None:
    # 01:30 CET to 04:00 CEST on the night the clocks go forward: 1.5 hours, not 2.5.
    starts_at = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    ends_at = datetime(2027, 3, 28, 2, 0, tzinfo=UTC)
    body = render([make_event(1, starts_at=starts_at, ends_at=ends_at)])
    loose, strict = parse_both(body)

    lines = unfolded_lines(body)
    assert "DTSTART;TZID=Europe/Amsterdam:20270328T013000" in lines
    assert "DTEND;TZID=Europe/Amsterdam:20270328T040000" in lines
    assert in_utc(loose.events[0].start, loose.events[0].end) == (starts_at, ends_at)
    assert in_utc(strict.events[0].dtstart, strict.events[0].dtend) == (starts_at, ends_at)
    # The VTIMEZONE on its own (not the parser's zoneinfo lookup) gives the same instants.
    own_zone = loose.timezones[0].to_tz(lookup_tzid=False)
    assert in_utc(datetime(2027, 3, 28, 1, 30, tzinfo=own_zone)) == (starts_at,)
    assert in_utc(datetime(2027, 3, 28, 4, 0, tzinfo=own_zone)) == (ends_at,)


def test_the_repeated_hour_in_autumn_stays_exact() -> None:
    # 02:30 CEST to 02:30 CET: a TZID time would mean the first 02:30 for both ends.
    starts_at = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    ends_at = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    body = render([make_event(1, starts_at=starts_at, ends_at=ends_at)])
    loose, strict = parse_both(body)

    assert "DTEND:20271031T013000Z" in unfolded_lines(body)
    assert in_utc(loose.events[0].start, loose.events[0].end) == (starts_at, ends_at)
    assert in_utc(strict.events[0].dtstart, strict.events[0].dtend) == (starts_at, ends_at)


def test_input_in_any_offset_is_written_as_amsterdam_time() -> None:
    starts_at = datetime(2027, 7, 1, 18, 0, tzinfo=timezone(timedelta(hours=-4)))
    body = render([make_event(1, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))])

    assert "DTSTART;TZID=Europe/Amsterdam:20270702T000000" in unfolded_lines(body)
    assert parse_both(body)[1].events[0].dtstart == starts_at


def test_every_tzid_has_a_vtimezone_covering_the_events() -> None:
    january, august = datetime(2027, 1, 10, 9, tzinfo=UTC), datetime(2028, 8, 10, 9, tzinfo=UTC)
    events = [
        make_event(1, starts_at=january, ends_at=january + timedelta(hours=2)),
        make_event(2, starts_at=august, ends_at=august + timedelta(hours=2)),
    ]
    body = render(events)
    loose, _ = parse_both(body)

    used = set(re.findall(rb";TZID=([^:;]+)[:;]", body))
    defined = {str(zone["TZID"]).encode() for zone in loose.timezones}
    assert used == {b"Europe/Amsterdam"}
    assert used <= defined
    assert loose.get_missing_tzids() == set()
    # Observances for both years, so clients without a zoneinfo database get summer right.
    own_zone = loose.timezones[0].to_tz(lookup_tzid=False)
    assert own_zone.utcoffset(datetime(2027, 1, 10, 10)) == timedelta(hours=1)
    assert own_zone.utcoffset(datetime(2028, 8, 10, 11)) == timedelta(hours=2)
    assert "TZID=Europe/Amsterdam:20280810T110000" in body.decode()
    # ...and only for the years the events span, not 1970-2038 (a few lines, not hundreds).
    vtimezone = body.split(b"BEGIN:VTIMEZONE")[1].split(b"END:VTIMEZONE")[0]
    assert set(re.findall(rb"\n(?:DTSTART|RDATE):(\d{4})", vtimezone)) == {b"2027", b"2028"}


# --- wire rules ---------------------------------------------------------------------------


def test_every_line_ends_with_crlf() -> None:
    body = render([make_event(1, description="Regel één\nRegel twee\r\nRegel drie")])

    assert body.endswith(b"END:VCALENDAR\r\n")
    without_crlf = body.replace(b"\r\n", b"")
    assert b"\n" not in without_crlf
    assert b"\r" not in without_crlf


def test_lines_are_folded_at_75_octets_without_splitting_characters() -> None:
    events = [make_event(1, title=LONG_TITLE, description=LONG_TITLE, organization_name="é" * 90)]
    body = render(events)
    physical_lines = body.split(b"\r\n")[:-1]

    assert max(len(line) for line in physical_lines) <= 75
    continuations = [line for line in physical_lines if line.startswith(b" ")]
    assert len(continuations) >= 5  # the titles really were folded
    for line in physical_lines:
        line.decode("utf-8")  # raises if a fold fell inside a multi-byte character
    loose, strict = parse_both(body)
    assert str(loose.events[0]["SUMMARY"]) == LONG_TITLE
    assert strict.events[0].summary == LONG_TITLE
    assert ("é" * 90) in (strict.events[0].description or "")


def test_calendar_properties() -> None:
    body = render([make_event(1)], name="Klussen, Vindicat; ☕", refresh_minutes=30)
    lines = unfolded_lines(body)
    loose, strict = parse_both(body)

    assert lines[:4] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Klusmakelaar//Klusmakelaar gig feed//NL",
        "CALSCALE:GREGORIAN",
    ]
    assert "METHOD:PUBLISH" in lines
    assert "NAME:Klussen\\, Vindicat\\; ☕" in lines
    assert "X-WR-CALNAME:Klussen\\, Vindicat\\; ☕" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in lines
    assert "X-PUBLISHED-TTL:PT30M" in lines
    # icalendar 7.3 reads NAME back raw (an unknown property), so unescape it as TEXT.
    assert unescape_backslash(str(loose["NAME"])) == "Klussen, Vindicat; ☕"
    assert strict.name == ["Klussen, Vindicat; ☕"]
    assert strict.refresh_interval == timedelta(minutes=30)
    assert strict.method == "PUBLISH"
    assert CONTENT_TYPE == "text/calendar; charset=utf-8"


# --- determinism --------------------------------------------------------------------------


def test_same_gigs_give_identical_bytes_and_uids_in_any_order() -> None:
    events = [make_event(number, title=LONG_TITLE) for number in range(1, 30)]
    # Two gigs at the same moment: the gig id breaks the tie.
    events.append(make_event(99, starts_at=events[0].starts_at, ends_at=events[0].ends_at))
    # The same instant, once as the second 02:30 of an autumn night and once in UTC.
    repeated_hour = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=AMSTERDAM)
    for number, starts_at in ((97, repeated_hour.astimezone(UTC)), (98, repeated_hour)):
        events.append(
            make_event(number, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))
        )
    shuffled = events.copy()
    random.Random(5).shuffle(shuffled)

    first, second, from_shuffled = render(events), render(events), render(shuffled)

    assert first == second
    assert from_shuffled == first
    assert list(by_uid(parse_both(first)[0])) == list(by_uid(parse_both(from_shuffled)[0]))
    assert feed_etag(first) == feed_etag(from_shuffled)


def test_uid_depends_on_gig_and_host_only() -> None:
    before = make_event(5)
    later = timedelta(days=3)
    after = replace(
        before,
        title="Nieuwe titel",
        starts_at=before.starts_at + later,
        ends_at=before.ends_at + later,
        sequence=1,
    )

    assert list(by_uid(parse_both(render([before]))[0])) == [f"gig_5@{HOST}"]
    assert list(by_uid(parse_both(render([after]))[0])) == [f"gig_5@{HOST}"]
    other_host = render_feed(name="x", events=[before], host="other.example")
    assert "UID:gig_5@other.example" in unfolded_lines(other_host)


def test_sequence_grows_when_time_or_place_changes() -> None:
    before = make_event(3, sequence=4)
    moved_starts_at = before.starts_at + timedelta(hours=1)
    moved = replace(before, starts_at=moved_starts_at, ends_at=moved_starts_at + timedelta(hours=3))
    renamed = replace(before, title="Andere titel")

    snapshot = {"starts_at": before.starts_at, "ends_at": before.ends_at, "area": before.area}
    moved_sequence = next_sequence(
        before.sequence,
        before=snapshot,
        after={**snapshot, "starts_at": moved.starts_at, "ends_at": moved.ends_at},
    )
    renamed_sequence = next_sequence(before.sequence, before=snapshot, after=snapshot)
    moved = replace(moved, sequence=moved_sequence)
    renamed = replace(renamed, sequence=renamed_sequence)

    assert parse_both(render([before]))[1].events[0].sequence == 4
    assert parse_both(render([moved]))[1].events[0].sequence == 5
    assert parse_both(render([moved]))[0].events[0]["SEQUENCE"] == 5
    assert parse_both(render([renamed]))[1].events[0].sequence == 4


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": "Nieuwe titel", "capacity": 9}, False),
        ({"starts_at": datetime(2027, 6, 14, 9, tzinfo=UTC)}, True),
        ({"ends_at": datetime(2027, 10, 31, 1, 30, tzinfo=UTC)}, True),
        ({"address": "Herestraat 1"}, True),
        ({"postcode": "9711 AA"}, True),
        ({"area": "Centrum"}, True),
        ({"lat": 53.3}, True),
        ({"lon": None}, True),
        ({"online": True}, True),
        ({"location": {"address": "Herestraat 1"}}, True),
        # The same instant written in another offset is no change.
        ({"starts_at": datetime(2027, 6, 14, 10, tzinfo=AMSTERDAM)}, False),
        # Also in the repeated autumn hour, which Python never calls equal across zones.
        ({"ends_at": datetime(2027, 10, 31, 2, 30, tzinfo=AMSTERDAM)}, False),
    ],
)
def test_time_or_place_changed(change: dict[str, object], expected: bool) -> None:
    before: dict[str, object] = {
        "title": "Tuin",
        "capacity": 4,
        "starts_at": datetime(2027, 6, 14, 8, tzinfo=UTC),
        "ends_at": datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        "address": "Trompsingel 27",
        "postcode": "9724 AB",
        "area": "Oosterpoort",
        "lat": 53.21,
        "lon": 6.57,
        "online": False,
    }
    after = {**before, **change}

    assert time_or_place_changed(before, after) is expected
    assert next_sequence(7, before=before, after=after) == (8 if expected else 7)


# --- HTTP caching: ETag, 304, Last-Modified -----------------------------------------------


def test_unchanged_feed_answers_304_and_a_change_does_not() -> None:
    events = [make_event(1), make_event(2)]
    etag = feed_etag(render(events))

    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: quoted, no W/
    assert not_modified(etag, feed_etag(render(list(reversed(events)))))
    changed = [events[0], replace(events[1], spots_left=2, updated_at=UPDATED + timedelta(hours=1))]
    assert not not_modified(etag, feed_etag(render(changed)))


@pytest.mark.parametrize(
    ("if_none_match", "expected"),
    [
        (None, False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"xyz", "abc"', True),
        ("*", True),
        ('"xyz"', False),
        ("abc", False),
    ],
)
def test_not_modified(if_none_match: str | None, expected: bool) -> None:
    assert not_modified(if_none_match, '"abc"') is expected


def test_last_modified_is_the_latest_update_in_whole_utc_seconds() -> None:
    latest = datetime(2027, 5, 1, 12, 0, 30, 999999, tzinfo=AMSTERDAM)
    events = [make_event(1), make_event(2, updated_at=latest), make_event(3)]

    assert last_modified(events) == datetime(2027, 5, 1, 10, 0, 30, tzinfo=UTC)
    assert last_modified(events).tzinfo is UTC  # type: ignore[union-attr]
    assert last_modified([]) is None


# --- window, limits and validation --------------------------------------------------------


def test_feed_window_is_a_week_back_to_a_year_ahead() -> None:
    now = datetime(2027, 9, 1, 12, tzinfo=UTC)

    start, end = feed_window(now)

    assert (start, end) == (datetime(2027, 8, 25, 12, tzinfo=UTC), now + timedelta(days=365))
    assert end == datetime(2028, 8, 31, 12, tzinfo=UTC)  # 2028 is a leap year
    assert (FEED_PAST, FEED_FUTURE) == (timedelta(days=7), timedelta(days=365))
    assert 100 <= MAX_FEED_EVENTS <= 5000
    with pytest.raises(ValueError, match="aware"):
        feed_window(datetime(2027, 9, 1, 12))


def test_category_label_falls_back_to_the_code() -> None:
    assert category_label("information_advice") == "Informatie en advies"
    assert category_label("information_advice", lang="en") == "Information and advice"
    assert category_label("juggling") == "juggling"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"starts_at": datetime(2027, 6, 14, 8)}, "starts_at must be timezone-aware"),
        ({"updated_at": datetime(2027, 6, 14, 8)}, "updated_at must be timezone-aware"),
        ({"ends_at": datetime(2027, 6, 15, 8, tzinfo=UTC)}, "after starts_at"),
        ({"sequence": -1}, "negative"),
    ],
)
def test_feed_event_rejects_bad_values(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_event(1, **overrides)


def test_render_rejects_duplicate_gigs_and_bad_options() -> None:
    with pytest.raises(ValueError, match="only once"):
        render([make_event(1), make_event(1, title="Dubbel")])
    with pytest.raises(ValueError, match="refresh_minutes"):
        render([make_event(1)], refresh_minutes=0)
    with pytest.raises(ValueError, match="language"):
        render([make_event(1)], lang="de")
