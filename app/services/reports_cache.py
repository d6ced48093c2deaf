"""The report cache (`Caches.reports`): answers of `/api/v1/reports/...` as made, so a
dashboard that polls does not run the aggregation again.

Validity rule: a kept answer is used while

- the database's data version (`Database.data_version`) is the one read *before* its
  statement ran: every figure is made of committed rows, and nothing was committed
  since, on any connection of any process (a commit by a write that forgot about
  reports changes the version all the same: `tests/routers/test_reports.py` changes a
  sign-up with a plain Core UPDATE and sees the report follow). A report brings its
  lines up to date first, which commits: the version is read again after that
  (`answer`'s ``prepare``), so the answer is kept by the version it was made at; and
- the clock is before the answer's `valid_until`: the public report shows a month's
  figures about people only once the month is over, so an answer that holds a month
  not over yet is right only until the next month begins (None: for ever).

Answers are kept by everything else they depend on: the report, the form (JSON, CSV,
SVG), whose gigs (one organisation's, or all), and the raw query string (the grouping,
the period, the language), read only to make an answer: a kept one costs a data-version
check and a look-up. The hourly rate is a setting, the same for the life of the process. Without
a data version (SQLite in memory, a request that holds uncommitted writes, a failed
read) nothing is kept or used. Bounded in bytes; the least recently used go first.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.db import Database
from app.models.base import utcnow
from app.services.feed_cache import ENTRY_OVERHEAD_BYTES

logger = logging.getLogger(__name__)

#: What an answer is kept by: (report, form, organisation or "*", the raw query string).
ReportKey = tuple[str, ...]
#: Longer query strings are answered, not kept (they hold parameters no report reads).
MAX_KEY_CHARS = 512


@dataclass(frozen=True, slots=True)
class ReportAnswer:
    """A report as answered: its body, media type and the headers of its form."""

    body: bytes
    media_type: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class KeptReport:
    """An answer, the data version it was made at and until when the clock leaves it
    right (None: for ever)."""

    data_version: str
    valid_until: datetime | None
    answer: ReportAnswer


class ReportCache:
    """Report answers by `ReportKey` (the rule is in the module docstring)."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[ReportKey, KeptReport] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[ReportKey, asyncio.Future[ReportAnswer]] = {}
        #: How many answers were made rather than taken from the cache (for tests).
        self.made = 0

    async def answer(
        self,
        key: ReportKey,
        version: str | None,
        make: Callable[[], Awaitable[tuple[ReportAnswer, datetime | None]]],
        prepare: Callable[[str | None], Awaitable[str | None]] | None = None,
    ) -> ReportAnswer:
        """The kept answer for ``key`` at ``version``, else the one ``make`` makes (with
        until when it is right), kept. Made once however many ask meanwhile (single
        flight): a dashboard's many viewers after a write run the aggregation once.

        ``prepare``, when nothing is kept: what must run before ``make`` and may commit;
        it gives the data version after it (``version`` when it committed nothing)."""
        kept = self.get(key, version)
        if kept is not None:
            return kept
        if prepare is not None:
            version = await prepare(version)
            kept = self.get(key, version)
            if kept is not None:
                return kept
        if version is None:
            answer, _ = await make()
            self.made += 1
            return answer
        flight = (*key, version)
        waiting = self._flights.get(flight)
        if waiting is not None:
            return await asyncio.shield(waiting)
        made: asyncio.Future[ReportAnswer] = asyncio.get_running_loop().create_future()
        # Read even when no one else waited (no "exception was never retrieved").
        made.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._flights[flight] = made
        try:
            answer, valid_until = await make()
        except BaseException as error:
            made.set_exception(error)
            raise
        finally:
            del self._flights[flight]
        self.put(key, version, answer, valid_until)
        made.set_result(answer)
        return answer

    async def version(self, database: Database) -> str | None:
        """The data version now; None when nothing may be kept or answered."""
        try:
            return await database.data_version()
        except Exception:  # the report is made as if there were no cache
            logger.warning("report cache: no data version", exc_info=True)
            return None

    def get(self, key: ReportKey, version: str | None) -> ReportAnswer | None:
        """The kept answer for ``key`` if it was made at ``version`` and is still right."""
        if version is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.data_version != version or (
                entry.valid_until is not None and utcnow() >= entry.valid_until
            ):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.answer

    def put(
        self,
        key: ReportKey,
        version: str | None,
        answer: ReportAnswer,
        valid_until: datetime | None,
    ) -> None:
        """Keep ``answer``, made after reading ``version``, until the clock reaches
        ``valid_until`` (None: no end)."""
        self.made += 1
        too_big = _size(key, answer) > self._max_bytes // 4
        if version is None or too_big or sum(map(len, key)) > MAX_KEY_CHARS:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = KeptReport(version, valid_until, answer)
            self._bytes += _size(key, answer)
            while self._bytes > self._max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: ReportKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _size(key, entry.answer)


def _size(key: ReportKey, answer: ReportAnswer) -> int:
    """What an entry holds in memory, roughly."""
    headers = sum(len(name) + len(value) for name, value in answer.headers.items())
    return sum(map(len, key)) + len(answer.body) + headers + ENTRY_OVERHEAD_BYTES
