"""Fixed-window rate limits counted in the database, so they hold across workers.

A key is `<kind>:<who>` (`register:<client address>`, `whatsapp:<number>`); a window is
the time divided by the limit's period. Counters of windows that ended are deleted as
new windows begin. The client address is the connection's peer, or what a proxy listed
in `KLUSMAKELAAR_FORWARDED_ALLOW_IPS` forwarded (`create_app`); never a client's say-so.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import delete

from app.db import Database, Tx, writes
from app.errors import RateLimited
from app.models import RateLimitCounter

#: Every this many windows, the ended windows of every key of a kind are deleted too.
PURGE_EVERY = 16


async def count(tx: Tx, *, key: str, period_seconds: int, now: float) -> int:
    """Count one request for ``key`` in the current window; the window's count so far.

    One atomic upsert: parallel requests of any worker never lose a count.
    """
    window = int(now // period_seconds)
    statement = (
        tx.insert(RateLimitCounter)
        .values(key=key, window=window, count=1)
        .on_conflict_do_update(
            index_elements=["key", "window"], set_={"count": RateLimitCounter.count + 1}
        )
        .returning(RateLimitCounter.count)
    )
    counted = int(await tx.scalar(statement))
    if counted == 1:  # the first request of its window: earlier windows are over
        ended = RateLimitCounter.window < window
        if window % PURGE_EVERY == 0:
            kind = key.split(":", 1)[0] + ":"
            tx.defer(delete(RateLimitCounter).where(RateLimitCounter.key.startswith(kind), ended))
        else:
            tx.defer(delete(RateLimitCounter).where(RateLimitCounter.key == key, ended))
    return counted


def retry_after(now: float, period_seconds: int) -> int:
    """Seconds until the current window ends (at least 1)."""
    window = int(now // period_seconds)
    return max(1, math.ceil((window + 1) * period_seconds - now))


@writes
async def _hit(tx: Tx, *, key: str, period_seconds: int, now: float) -> int:
    return await count(tx, key=key, period_seconds=period_seconds, now=now)


async def check(database: Database, *, key: str, limit: int, period_seconds: int) -> None:
    """Count one request for ``key``; 429 with Retry-After when the window is full.

    The count is committed first, in its own transaction: requests that are refused, or
    that fail later, still count.
    """
    now = time.time()
    with database.apart():
        counted = await _hit(database, key=key, period_seconds=period_seconds, now=now)
    if counted > limit:
        raise RateLimited(retry_after(now, period_seconds))
