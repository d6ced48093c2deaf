"""The in-process cache of the volunteer pool that `/gigs/{id}/candidates` ranks.

Building a ``VolunteerPool`` from 100,000 volunteer rows takes a second or two; ranking
it for one gig takes tens of milliseconds. So each process keeps the last pool it built
per database (keyed by the engine's connection pool, shared by the reader and writer
engines), together with a **fingerprint** read from the database:

- ``volunteers``: ``count(*)``, ``sum(version)``, ``max(updated_at)``. Registration adds a
  row, erasure removes one, and every ORM update bumps ``version``: the sum grows with
  each committed change whatever order transactions commit in.
- ``signups``: ``count(*)``, ``max(updated_at)``: new sign-ups, cancellations, promotions.
- ``gigs`` with confirmed people: ``count(*)``, ``sum(version)``, ``max(updated_at)``. Every
  sign-up change also updates its gig, and moving a gig (``PATCH`` of its time) changes
  the busy intervals of the people confirmed for it without touching a sign-up.
- the current month in Europe/Amsterdam, since "hours booked this month" starts over.

Each request reads the fingerprint first (three aggregate queries), then, only when it
differs from the cached one, loads the volunteers and rebuilds the pool under a lock (so
concurrent requests wait for one build instead of each building). Reading the
fingerprint before the data means a change committed in between can only make the data
newer than its fingerprint, never older: the next request rebuilds once more.

Several worker processes each keep their own cache; they agree because the fingerprint
comes from the database. Cost when warm: the fingerprint scans (about 10-30 ms with
100,000 volunteers without an index on ``updated_at``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.matching import VolunteerPool
from app.models import Gig, Signup, Volunteer
from app.services.matching_data import month_bounds, volunteer_profiles

logger = logging.getLogger("klusmakelaar.matching")
Fingerprint = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class CachedPool:
    """A built pool and the fingerprint of the data it was built from."""

    fingerprint: Fingerprint
    pool: VolunteerPool
    build_seconds: float


def fingerprint(session: Session, now: datetime) -> Fingerprint:
    """A cheap summary that changes whenever volunteers, sign-ups or booked gigs change."""
    volunteers = session.execute(
        select(func.count(), func.sum(Volunteer.version), func.max(Volunteer.updated_at))
    ).one()
    signups = session.execute(select(func.count(), func.max(Signup.updated_at))).one()
    booked_gigs = session.execute(
        select(func.count(), func.sum(Gig.version), func.max(Gig.updated_at)).where(
            Gig.confirmed_people > 0
        )
    ).one()
    return (*volunteers, *signups, *booked_gigs, month_bounds(now)[0])


def _build(session: Session, now: datetime) -> VolunteerPool:
    """Load every volunteer and build the pool, with the cyclic GC paused meanwhile.

    The build allocates hundreds of thousands of objects without making cycles; the
    collections that would trigger walk the whole heap again and again for nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return VolunteerPool.from_profiles(volunteer_profiles(session, now=now))
    finally:
        if was_enabled:
            gc.enable()


class PoolCache:
    """The last built pool per database, rebuilt when the fingerprint changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Any, CachedPool] = weakref.WeakKeyDictionary()
        self.builds = 0

    def pool(self, session: Session, *, now: datetime) -> VolunteerPool:
        """The pool of every volunteer, from the cache when the data did not change."""
        key = session.get_bind().engine.pool
        current = fingerprint(session, now)
        cached = self._entries.get(key)
        if cached is not None and cached.fingerprint == current:
            return cached.pool
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached.fingerprint == current:
                return cached.pool
            started = time.perf_counter()
            pool = _build(session, now)
            elapsed = time.perf_counter() - started
            self._entries[key] = CachedPool(current, pool, elapsed)
            self.builds += 1
            logger.info("volunteer pool built: %d volunteers in %.2f s", pool.size, elapsed)
            return pool

    def clear(self) -> None:
        """Forget every cached pool."""
        with self._lock:
            self._entries.clear()


POOL_CACHE = PoolCache()
"""The process's cache; every request of every app in this process shares it."""
