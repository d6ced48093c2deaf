"""The parts of the reports that need no database: periods, the public rule's periods and
clock, content negotiation, and the report cache's rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from app.errors import ValidationFailed
from app.routers.reports import wants_csv
from app.services import reports_public
from app.services.reports_cache import ReportAnswer, ReportCache
from app.services.reports_period import Period


def test_a_period_runs_from_midnight_to_midnight_in_amsterdam() -> None:
    winter = Period.of(date(2026, 1, 1), date(2026, 1, 31))
    assert (winter.start, winter.end) == (
        datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 1, 31, 23, tzinfo=UTC))  # fmt: skip
    # The clocks go forward on 29 March 2026: March ends at 22:00 UTC.
    march = Period.of(date(2026, 3, 1), date(2026, 3, 31))
    assert (march.start, march.end) == (
        datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))  # fmt: skip
    assert march.months() == [date(2026, 3, 1)]
    assert Period.of(date(2026, 11, 15), date(2027, 2, 1)).months() == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]  # fmt: skip
    assert march.is_whole_months()
    assert not Period.of(date(2026, 3, 1), date(2026, 3, 30)).is_whole_months()
    assert Period.of(date(2024, 2, 1), date(2024, 2, 29)).is_whole_months()


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "to"),
        (date(1969, 12, 31), date(2026, 3, 1), "from"),
        (date(2026, 3, 1), date(3000, 1, 1), "to"),
        (date(2009, 1, 1), date(2020, 1, 1), "to"),
    ],
)
def test_bad_periods_are_refused(first: date, last: date, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Period.of(first, last)
    assert refused.value.extra["errors"][0]["loc"] == ["query", field]


def test_public_periods_and_the_months_that_are_over() -> None:
    reports_public.check_period(Period.of(date(2026, 1, 1), date(2026, 3, 31)))
    with pytest.raises(ValidationFailed):
        reports_public.check_period(Period.of(date(2026, 1, 1), date(2026, 3, 30)))
    # 31 May 22:30 UTC is already June in Amsterdam: May is over.
    now = datetime(2026, 5, 31, 22, 30, tzinfo=UTC)
    assert reports_public.first_open_month(now) == date(2026, 6, 1)
    may = Period.of(date(2026, 5, 1), date(2026, 5, 31))
    assert reports_public.valid_until(may, now) is None
    june = Period.of(date(2026, 6, 1), date(2026, 6, 30))
    assert reports_public.valid_until(june, now) == datetime(2026, 6, 30, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        (None, False),
        ("text/csv", True),
        ("text/csv, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv;q=0", False),
        ("*/*", False),
        ("text/csv;q=bad", False),
    ],
)
def test_accept_chooses_csv_only_when_preferred(accept: str | None, csv: bool) -> None:
    assert wants_csv(accept) is csv


def test_the_report_cache_keeps_an_answer_for_one_data_version_and_until_its_end() -> None:
    cache = ReportCache()
    key = ("impact", "json", "*", "from=2026-03-01&to=2026-03-31&group_by=area")
    answer = ReportAnswer(b"answer", "application/json", {"Vary": "Accept"})
    cache.put(key, "v1", answer, valid_until=None)
    assert cache.get(key, "v1") == answer
    assert cache.get(key, "v2") is None, "a commit since: made again"
    assert cache.get(key, "v1") is None, "and the stale answer is gone"
    cache.put(key, None, answer, valid_until=None)
    assert cache.get(key, None) is None, "no data version: nothing kept"
    cache.put(key, "v1", answer, valid_until=datetime(2000, 1, 1, tzinfo=UTC))
    assert cache.get(key, "v1") is None, "a month that has ended since"
    cache.put(("impact", "json", "*", "x" * 600), "v1", answer, valid_until=None)
    assert cache.get(("impact", "json", "*", "x" * 600), "v1") is None, "a long query string"
    small = ReportCache(max_bytes=4000)
    large = ReportAnswer(b"x" * 500, "application/json", {})
    for number in range(10):
        small.put((*key[:-1], str(number)), "v1", large, valid_until=None)
    assert small.get((*key[:-1], "0"), "v1") is None, "the least recently used went first"
    assert small.get((*key[:-1], "9"), "v1") == large


def test_a_report_asked_for_while_it_is_made_is_made_once() -> None:
    cache = ReportCache()
    key = ("impact", "json", "*", "from=2026-03-01&to=2026-03-31&group_by=area")
    calls = 0

    async def make() -> tuple[ReportAnswer, None]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return ReportAnswer(b"answer", "application/json", {}), None

    async def ask_together() -> list[ReportAnswer]:
        return await asyncio.gather(*(cache.answer(key, "v1", make) for _ in range(5)))

    answers = asyncio.run(ask_together())
    assert calls == 1
    assert {answer.body for answer in answers} == {b"answer"}
    assert asyncio.run(cache.answer(key, "v1", make)).body == b"answer"
    assert calls == 1, "then kept"
