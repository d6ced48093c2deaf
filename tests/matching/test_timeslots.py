from datetime import UTC, datetime

import numpy as np
import pytest

from app.matching.timeslots import (
    SLOTS_PER_DAY,
    SLOTS_PER_WEEK,
    availability_mask,
    gig_slot_weights,
    window_slot_ranges,
)
from tests.matching.factories import local


def slot(weekday: int, hhmm: str) -> int:
    hours, minutes = map(int, hhmm.split(":"))
    return weekday * SLOTS_PER_DAY + (hours * 60 + minutes) // 15


def covered_hours(start: datetime, end: datetime, first: int, last: int) -> float:
    slots, seconds = gig_slot_weights(start, end)
    inside = (slots >= first) & (slots < last)
    return float(seconds[inside].sum()) / 3600


def test_window_within_a_day() -> None:
    assert window_slot_ranges((5, "09:00", "13:00")) == [(slot(5, "09:00"), slot(5, "13:00"))]


def test_window_past_midnight_continues_next_day() -> None:
    assert window_slot_ranges((4, "22:00", "02:00")) == [(slot(4, "22:00"), slot(5, "02:00"))]


def test_sunday_window_past_midnight_wraps_to_monday() -> None:
    ranges = window_slot_ranges((6, "22:00", "02:00"))
    assert ranges == [(slot(6, "22:00"), SLOTS_PER_WEEK), (0, slot(0, "02:00"))]
    mask = availability_mask([(6, "22:00", "02:00")])
    assert mask.sum() == 16
    assert mask[0]
    assert mask[SLOTS_PER_WEEK - 1]
    assert not mask[slot(0, "02:00")]


def test_window_until_midnight_written_as_24() -> None:
    assert window_slot_ranges((0, "20:00", "24:00")) == [(slot(0, "20:00"), slot(1, "00:00"))]


@pytest.mark.parametrize("window", [(7, "09:00", "10:00"), (1, "25:00", "26:00")])
def test_invalid_windows_raise(window: tuple[int, str, str]) -> None:
    with pytest.raises(ValueError, match=r"range|weekday"):
        window_slot_ranges(window)


def test_gig_weights_use_local_time_and_sum_to_duration() -> None:
    slots, seconds = gig_slot_weights(local("2026-06-06 10:00"), local("2026-06-06 12:10"))
    assert seconds.sum() == pytest.approx(130 * 60)
    assert slots.min() == slot(5, "10:00")  # Saturday 10:00 local is 08:00 UTC
    assert seconds[slots == slot(5, "12:00")][0] == pytest.approx(600)


def test_gig_across_midnight_is_split_over_two_weekdays() -> None:
    start, end = local("2026-06-05 23:00"), local("2026-06-06 01:00")  # Friday -> Saturday
    assert covered_hours(start, end, slot(4, "23:00"), slot(5, "00:00")) == pytest.approx(1)
    assert covered_hours(start, end, slot(5, "00:00"), slot(5, "01:00")) == pytest.approx(1)


def test_spring_dst_night_skips_the_missing_local_hour() -> None:
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST. 00:00-03:00 UTC is 01:00-05:00 local.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    end = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert covered_hours(start, end, slot(6, "01:00"), slot(6, "02:00")) == pytest.approx(1)
    assert covered_hours(start, end, slot(6, "02:00"), slot(6, "03:00")) == 0
    assert covered_hours(start, end, slot(6, "03:00"), slot(6, "05:00")) == pytest.approx(2)


def test_autumn_dst_night_counts_the_repeated_hour_twice() -> None:
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET; 00:00-02:00 UTC is 02:00-02:00.
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    end = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert covered_hours(start, end, slot(6, "02:00"), slot(6, "03:00")) == pytest.approx(2)


def test_long_gigs_are_capped() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    slots, seconds = gig_slot_weights(start, datetime(2027, 1, 1, tzinfo=UTC))
    assert len(slots) == SLOTS_PER_WEEK
    assert seconds.sum() == pytest.approx(28 * 24 * 3600)
    assert np.all(seconds == seconds[0])
