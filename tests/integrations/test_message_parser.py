"""parse_message: the corpus of real-looking messages, edge cases and the input guard."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.integrations.message_parser import MAX_MESSAGE_CHARS, parse_message
from tests.integrations.message_corpus import CASES, DEFAULT_NOW, MessageCase

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(text: str) -> datetime:
    """'2027-06-02 09:00' as an aware Europe/Amsterdam datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=AMSTERDAM)


def as_local_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


NOW = local(DEFAULT_NOW)


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.language for case in CASES} == {"nl", "en"}
    assert any(not case.complete for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_message(case: MessageCase) -> None:
    parsed = parse_message(case.text, now=local(case.now))

    assert parsed.title == case.title
    assert as_local_text(parsed.starts_at) == case.start
    assert as_local_text(parsed.ends_at) == case.end
    assert parsed.postcode == case.postcode
    assert parsed.capacity == case.capacity
    assert parsed.language == case.language
    assert (*parsed.missing, *parsed.doubts) == case.asks
    if case.area is not None:
        assert parsed.area == case.area
        assert parsed.lat is not None
        assert parsed.lon is not None
    assert parsed.complete is case.complete
    for moment in (parsed.starts_at, parsed.ends_at):
        assert moment is None or moment.utcoffset() == timedelta(0)


def test_contract_example_reads_every_field() -> None:
    parsed = parse_message(CASES[0].text, now=NOW)

    assert parsed.address == "Oosterpoort, 9724 AB"
    assert parsed.place == parsed.address
    assert parsed.description == "Onkruid wieden en een border aanleggen."
    assert parsed.missing == []
    assert parsed.date_found
    assert parsed.time_found
    # 14 June 2027 is a Monday, not the Saturday the sender wrote.
    assert parsed.weekday_mismatch


def test_matching_weekday_is_not_flagged() -> None:
    parsed = parse_message("Klus: Koken\nWanneer: zaterdag 5 juni 10:00-12:00", now=NOW)

    assert parsed.day == date(2027, 6, 5)
    assert not parsed.weekday_mismatch


@pytest.mark.parametrize(
    ("when", "utc_start", "utc_end"),
    [
        ("zaterdag 27 maart 10:00-12:00", "2027-03-27 09:00", "2027-03-27 11:00"),
        ("zondag 28 maart 10:00-12:00", "2027-03-28 08:00", "2027-03-28 10:00"),
        ("zaterdag 30 oktober 10:00-12:00", "2027-10-30 08:00", "2027-10-30 10:00"),
        ("zondag 31 oktober 10:00-12:00", "2027-10-31 09:00", "2027-10-31 11:00"),
        # 01:00 + the default 2 hours crosses the spring-forward gap: 2 real hours.
        ("zondag 28 maart om 01:00", "2027-03-28 00:00", "2027-03-28 02:00"),
    ],
)
def test_dst_days_convert_to_utc(when: str, utc_start: str, utc_end: str) -> None:
    parsed = parse_message(f"Klus: Klaarzetten\nWanneer: {when}", now=local("2027-03-01 09:00"))

    assert parsed.starts_at == datetime.strptime(utc_start, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert parsed.ends_at == datetime.strptime(utc_end, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "when", "expected"),
    [
        ("2027-12-31 23:30", "morgen 10:00-12:00", date(2028, 1, 1)),
        ("2027-12-20 09:00", "14 jan 10:00-12:00", date(2028, 1, 14)),
        ("2027-12-20 09:00", "20 december 10:00-12:00", date(2027, 12, 20)),
        ("2027-12-20 09:00", "19 december 10:00-12:00", date(2028, 12, 19)),
        ("2027-03-01 09:00", "29 februari 10:00-12:00", date(2028, 2, 29)),
        ("2027-06-02 09:00", "volgende woensdag 10:00-12:00", date(2027, 6, 9)),
        ("2027-06-02 09:00", "dinsdag 10:00-12:00", date(2027, 6, 8)),
        ("2027-06-02 09:00", "sun 6 jun 10:00-12:00", date(2027, 6, 6)),
    ],
)
def test_day_resolution(now: str, when: str, expected: date) -> None:
    parsed = parse_message(f"Klus: Helpen\nWanneer: {when}", now=local(now))

    assert parsed.day == expected


def test_now_in_another_zone_is_read_in_amsterdam() -> None:
    # 23:30 UTC on 2 June is already 3 June in Groningen, so "morgen" is 4 June.
    now = datetime(2027, 6, 2, 23, 30, tzinfo=UTC)

    assert parse_message("Klus: Helpen\nWanneer: morgen 10:00", now=now).day == date(2027, 6, 4)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_message("Klus: Helpen", now=datetime(2027, 6, 2, 9, 0))


def test_time_without_date_is_kept_as_local_parts() -> None:
    parsed = parse_message("Klus: Zwerfvuil prikken\nWanneer: 10:00-12:00", now=NOW)

    assert parsed.missing == ["date"]
    assert parsed.time_found
    assert not parsed.date_found
    assert (parsed.start_time, parsed.end_time) == (
        datetime(2027, 1, 1, 10).time(),
        datetime(2027, 1, 1, 12).time(),
    )


def test_missing_lists_all_three_in_order() -> None:
    assert parse_message("", now=NOW).missing == ["title", "date", "time"]


def test_long_title_is_cut_at_a_word_within_120_characters() -> None:
    words = " ".join(["sneeuwschuiven"] * 20)
    parsed = parse_message(f"Klus: {words}\nWanneer: morgen 10:00", now=NOW)

    assert parsed.title is not None
    assert len(parsed.title) <= 120
    assert parsed.title.endswith("sneeuwschuiven…")


def test_unkeyed_description_is_the_whole_message_as_written() -> None:
    text = "[14-06 10:12] Anna: Soep koken 🍲\r\n\r\n\r\n*vrijdag* om 17:30\nNeem een schort mee. "
    parsed = parse_message(text, now=NOW)

    assert parsed.title == "Soep koken"
    assert parsed.description == "Soep koken 🍲\n\n*vrijdag* om 17:30\nNeem een schort mee."


def test_description_runs_over_several_lines() -> None:
    text = (
        "Klus: Koken\nWat: Soep voor 40 mensen.\nNeem een schort mee.\n"
        "Wanneer: morgen 17:00\nAantal: 3"
    )
    parsed = parse_message(text, now=NOW)

    assert parsed.description == "Soep voor 40 mensen.\nNeem een schort mee."
    assert parsed.capacity == 3  # the Aantal: key wins over people mentioned elsewhere
    assert parsed.day == date(2027, 6, 3)


@pytest.mark.parametrize(
    "text",
    [
        "Klus: Koken\nWanneer: 14 juni 2027 en daarna",  # "2027 en" is no postcode
        "Klus: Koken\nBel 06-12345678 of 050 3123456",
        "Klus: Koken\nWe zijn 24/7 bereikbaar",
    ],
)
def test_numbers_that_are_not_postcodes_times_or_dates(text: str) -> None:
    parsed = parse_message(text, now=NOW)

    assert parsed.postcode is None
    assert not parsed.time_found
    assert parsed.day in (None, date(2027, 6, 14))


def test_prices_are_not_times() -> None:
    parsed = parse_message("Klus: Koken\nmorgen, kosten €10.00 per persoon", now=NOW)

    assert parsed.date_found
    assert not parsed.time_found


def test_a_greeting_with_a_question_is_a_draft_without_title() -> None:
    parsed = parse_message("Hoi! Wie kan helpen?", now=NOW)

    assert parsed.title is None
    assert not parsed.complete


def test_only_the_first_4096_characters_are_read() -> None:
    text = "Klus: Koken\n" + "x" * MAX_MESSAGE_CHARS + "\nWanneer: morgen 10:00-12:00"

    assert not parse_message(text, now=NOW).date_found
    assert parse_message(text.replace("x" * MAX_MESSAGE_CHARS, "x"), now=NOW).date_found


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 100_000,
        "1 " * 50_000,
        ("10:" * 33_000) + "!",
        "Wanneer: " + "-" * 100_000,
        "*_" * 50_000,
        " " * 100_000 + "x",
        ("za " * 30_000) + "14",
        "9724" * 25_000,
        ("van 1 tot " * 10_000) + "uur",
        "[" + "1" * 100_000,
    ],
)
def test_adversarial_100kb_input_is_fast(hostile: str) -> None:
    started = clock.perf_counter()
    parse_message(hostile, now=NOW)

    assert clock.perf_counter() - started < 0.5
