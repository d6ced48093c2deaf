"""Weekly quarter-hour slots in Europe/Amsterdam: the common grid for availability.

Slot ``s`` is weekday ``s // 96`` (Monday = 0), starting at local minute ``(s % 96) * 15``.
Amsterdam's UTC offset is always a whole hour, so local quarter-hour boundaries are UTC
quarter-hour boundaries: a gig is walked in real (UTC) quarter hours and each piece is
put into the local slot it falls in. On the spring DST night the skipped local hour gets
no time; on the autumn night the repeated hour is counted twice, as it is lived twice.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from app.matching.profiles import AvailabilityWindow

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
SLOT_MINUTES: Final = 15
SLOTS_PER_DAY: Final = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK: Final = 7 * SLOTS_PER_DAY
MAX_WALK_DAYS: Final = 28
"""Gigs longer than this are only walked for their first four weeks (the pattern repeats)."""

_STEP: Final = timedelta(minutes=SLOT_MINUTES)


def _minute_of_day(hhmm: str) -> int:
    hours, _, minutes = hhmm.strip().partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"time of day out of range: {hhmm!r}")
    return value


def window_slot_ranges(window: AvailabilityWindow) -> list[tuple[int, int]]:
    """Half-open weekly slot ranges covered by one availability window.

    A window ending at or before its start runs past midnight into the next day (Sunday
    wraps to Monday). Partial quarter hours are rounded outwards.
    """
    weekday, start, end = window
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0-6, got {weekday}")
    first = weekday * SLOTS_PER_DAY + _minute_of_day(start) // SLOT_MINUTES
    end_minute = _minute_of_day(end)
    last = weekday * SLOTS_PER_DAY + -(-end_minute // SLOT_MINUTES)
    if last <= first:
        last += SLOTS_PER_DAY
    if last <= SLOTS_PER_WEEK:
        return [(first, last)]
    return [(first, SLOTS_PER_WEEK), (0, last - SLOTS_PER_WEEK)]


def availability_mask(windows: Sequence[AvailabilityWindow]) -> NDArray[np.bool_]:
    """Boolean weekly mask (SLOTS_PER_WEEK,) of one volunteer's availability windows."""
    mask = np.zeros(SLOTS_PER_WEEK, dtype=np.bool_)
    for window in windows:
        for first, last in window_slot_ranges(window):
            mask[first:last] = True
    return mask


def local_slot(moment: datetime) -> int:
    """Weekly slot of an aware moment in Europe/Amsterdam."""
    local = moment.astimezone(AMSTERDAM)
    return local.weekday() * SLOTS_PER_DAY + (local.hour * 60 + local.minute) // SLOT_MINUTES


def gig_slot_weights(
    starts_at: datetime, ends_at: datetime
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Weekly slots a gig covers and the seconds spent in each (the weights sum to its span)."""
    moment = starts_at.astimezone(UTC)
    # The span, not `moment + 28 days`: that would overflow for a gig at the calendar's end.
    end = moment + min(ends_at - starts_at, timedelta(days=MAX_WALK_DAYS))
    seconds: defaultdict[int, float] = defaultdict(float)
    while moment < end:
        boundary = moment.replace(
            minute=moment.minute - moment.minute % SLOT_MINUTES, second=0, microsecond=0
        )
        piece_end = min(boundary + _STEP, end)
        seconds[local_slot(moment)] += (piece_end - moment).total_seconds()
        moment = piece_end
    slots = np.fromiter(seconds.keys(), dtype=np.intp, count=len(seconds))
    weights = np.fromiter(seconds.values(), dtype=np.float64, count=len(seconds))
    return slots, weights


def day_part(moment: datetime) -> tuple[int, str]:
    """Local weekday and part of the day ("night", "morning", "afternoon", "evening")."""
    local = moment.astimezone(AMSTERDAM)
    parts = ("night", "morning", "afternoon", "evening")
    return local.weekday(), parts[local.hour // 6]
