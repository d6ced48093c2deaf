"""Fixed-window rate limits counted in the database, so they hold across workers."""

from __future__ import annotations

import math
import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import Database
from app.errors import RateLimited
from app.models import RateLimitCounter


def hit(database: Database, *, key: str, limit: int, period_seconds: int) -> None:
    """Count one request for ``key``; 429 with Retry-After when the window is full.

    The increment is one atomic upsert in its own committed transaction, so requests
    that fail later still count, and parallel workers never lose a count.
    """
    now = time.time()
    window = int(now // period_seconds)
    insert = sqlite_insert if database.is_sqlite else postgresql_insert
    statement = (
        insert(RateLimitCounter)
        .values(key=key, window=window, count=1)
        .on_conflict_do_update(
            index_elements=["key", "window"], set_={"count": RateLimitCounter.count + 1}
        )
        .returning(RateLimitCounter.count)
    )
    with database.serialized_writes(), database.writer() as session, session.begin():
        count = int(session.execute(statement).scalar_one())
        if window % 16 == 0:
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.window < window - 1))
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * period_seconds - now))
        raise RateLimited(retry_after)
