"""`series_rules.parse`: a rule's first day is found where the calendar is the same
shortly before the year 9999, so a rule that gives no date at all costs milliseconds."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import ValidationFailed
from app.services import series_rules
from app.services.series_rules import AMSTERDAM, parse

NEVER = (
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31",
    "FREQ=DAILY;BYWEEKNO=53;BYDAY=MO;BYMONTH=1",
    "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2",
    "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
    "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=20SA",  # python-dateutil raised IndexError: a 500
)


@pytest.mark.parametrize("text", NEVER)
def test_a_rule_that_gives_no_date_is_refused_at_once(text: str) -> None:
    started = time.process_time()
    with pytest.raises(ValidationFailed):
        parse(text, datetime(2027, 3, 1, 9, tzinfo=UTC))
    # Searched up to the year 9999 from 2027 this took 1 to 14 s.
    assert time.process_time() - started < 1.0


def _plain_first(rule: object, start: datetime) -> bool:
    """The first-day check without the move: python-dateutil from ``start`` itself."""
    found = rule.replace(count=None, until=start + timedelta(days=1))  # type: ignore[attr-defined]
    return next(iter(found), None) == start


def _rules(rng: random.Random) -> str:
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    freq = rng.choice(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
    # Rules that give dates (the ones that give none take the plain search seconds).
    parts = [f"FREQ={freq}"]
    if freq in ("MONTHLY", "YEARLY") and rng.random() < 0.3:
        parts.append(f"BYDAY={rng.choice(['1', '2', '-1'])}{rng.choice(days)}")
    else:
        if rng.random() < 0.5:
            parts.append("BYDAY=" + ",".join(rng.sample(days, rng.randint(1, 3))))
        if rng.random() < 0.3:
            parts.append(f"BYMONTHDAY={rng.choice([1, 15, 28, -1])}")
    if rng.random() < 0.3:
        parts.append(f"BYMONTH={rng.randint(1, 12)}")
    if freq == "YEARLY" and rng.random() < 0.3:
        parts = [f"FREQ={freq}", f"BYWEEKNO={rng.choice([1, 9, 52, 53, -1])}", "BYDAY=MO"]
    return ";".join(parts)


def test_the_first_day_is_the_same_as_searched_from_the_start_itself() -> None:
    rng = random.Random(17)
    checked = 0
    for _ in range(600):
        text = _rules(rng)
        start = datetime(2026, 1, 1, 10, tzinfo=AMSTERDAM) + timedelta(days=rng.randrange(1461))
        local = start.replace(tzinfo=None)
        rule = series_rules.rrulestr(text, dtstart=local)
        expected = _plain_first(rule, local)
        assert series_rules._starts_on_its_first_day(rule, local) is expected, (text, local)
        try:
            parse(text, start.astimezone(UTC))
            assert expected, (text, local)
        except ValidationFailed:
            assert not expected, (text, local)
        checked += expected
    assert checked > 50  # the sample holds starts that are first days, and ones that are not
