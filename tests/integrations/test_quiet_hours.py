"""Quiet hours in Amsterdam wall-clock time, across midnight and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.config import Settings
from app.integrations.quiet_hours import parse, quiet_until

NIGHT = parse("21:00-08:00")
LUNCH = parse("12:00-13:30")


@pytest.mark.parametrize(
    ("moment", "window", "until"),
    [
        # Winter (UTC+1): 21:30 local is 20:30 UTC; held until 08:00 local = 07:00 UTC.
        (datetime(2026, 12, 2, 20, 30, tzinfo=UTC), NIGHT, datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
        # After midnight: 03:00 local, until 08:00 the same day.
        (datetime(2026, 12, 3, 2, 0, tzinfo=UTC), NIGHT, datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
        # Summer (UTC+2): 22:00 local is 20:00 UTC; until 08:00 local = 06:00 UTC.
        (datetime(2027, 6, 12, 20, 0, tzinfo=UTC), NIGHT, datetime(2027, 6, 13, 6, 0, tzinfo=UTC)),
        # The night daylight saving ends (25 October 2026): still 08:00 wall-clock.
        (
            datetime(2026, 10, 24, 21, 0, tzinfo=UTC),
            NIGHT,
            datetime(2026, 10, 25, 7, 0, tzinfo=UTC),
        ),
        # Daytime: not quiet.
        (datetime(2026, 12, 2, 11, 0, tzinfo=UTC), NIGHT, None),
        # The end itself is no longer quiet; the start is.
        (datetime(2026, 12, 3, 7, 0, tzinfo=UTC), NIGHT, None),
        (datetime(2026, 12, 2, 20, 0, tzinfo=UTC), NIGHT, datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
        # A window within one day.
        (
            datetime(2026, 12, 2, 11, 15, tzinfo=UTC),
            LUNCH,
            datetime(2026, 12, 2, 12, 30, tzinfo=UTC),
        ),
        (datetime(2026, 12, 2, 13, 0, tzinfo=UTC), LUNCH, None),
        (datetime(2026, 12, 2, 20, 30, tzinfo=UTC), None, None),
    ],
)
def test_quiet_until(moment: datetime, window: object, until: datetime | None) -> None:
    assert quiet_until(moment, window) == until  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["21-08", "25:00-08:00", "21:00-21:00", "nachts"])
def test_a_bad_window_stops_the_start(bad: str) -> None:
    with pytest.raises(ValueError, match="quiet_hours"):
        Settings(quiet_hours=bad)


def test_empty_is_no_quiet_hours() -> None:
    assert Settings(quiet_hours="").quiet_window is None
    assert Settings().quiet_window == NIGHT
