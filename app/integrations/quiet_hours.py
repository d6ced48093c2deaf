"""Quiet hours: when messages that can wait are held (Europe/Amsterdam wall-clock time)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Final

from app.integrations.message_vocabulary import AMSTERDAM

_WINDOW: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
Window = tuple[time, time]


def parse(text: str) -> Window | None:
    """``"21:00-08:00"`` as (start, end); an empty text is no quiet hours."""
    if not text.strip():
        return None
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError("must look like '21:00-08:00' (or be empty for none)")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59:
        raise ValueError("hours 0-23 and minutes 0-59, e.g. '21:00-08:00'")
    start, end = time(start_h, start_m), time(end_h, end_m)
    if start == end:
        raise ValueError("the start and the end must differ")
    return start, end


def quiet_until(moment: datetime, window: Window | None) -> datetime | None:
    """When the quiet hours around ``moment`` end (UTC-aware as given), or None when
    ``moment`` is not in them."""
    if window is None:
        return None
    start, end = window
    local = moment.astimezone(AMSTERDAM)
    clock = local.time()
    if start < end:
        inside = start <= clock < end
        ends_on = local.date()
    else:  # across midnight: 21:00-08:00
        inside = clock >= start or clock < end
        ends_on = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    # The wall-clock end on that day, in Amsterdam (fold/DST resolved by zoneinfo).
    return datetime.combine(ends_on, end, tzinfo=AMSTERDAM).astimezone(moment.tzinfo)
