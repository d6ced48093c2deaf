"""Whole gig-list responses, answered again while nothing in the database has changed.

The public list is read far more often than gigs change: front ends and association
calendars poll the same few queries. A response is kept together with the database's
data version read *before* it was made (`AsyncReads.data_version`), and is answered again
only while the version is still that one. A version is equal only if no transaction
ended in between, on any connection of any worker, so a kept answer is exactly what the
query would return now: never older than the last commit. Any commit (a sign-up, a new
gig) makes every kept response stale, and the next request makes a fresh one.

Keys are the raw query string (the same parameters in another order are another entry).
Drafts are never kept: who may see them depends on the caller, while every other list
is the same for every caller. Bounded in bytes; the least recently used go first.
`KLUSMAKELAAR_LIST_CACHE_MB=0` turns it off.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from app.db import Database

MAX_KEY_BYTES = 2048
# Two bytes objects, a str, a tuple and a slot in the ordered dict (CPython 3.11).
ENTRY_OVERHEAD_BYTES = 300

logger = logging.getLogger(__name__)


class ListCache:
    """Responses of `GET /api/v1/gigs` by query string, each valid for one data version."""

    def __init__(self, database: Database, max_bytes: int) -> None:
        self._database = database
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[bytes, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    async def version(self) -> str | None:
        """The database's data version now; None when nothing may be kept or answered."""
        if self._max_bytes <= 0:
            return None
        try:
            return await self._database.reads.data_version()
        except Exception:  # the list is made as if there were no cache; its own read decides
            logger.warning("list cache: no data version", exc_info=True)
            return None

    def get(self, key: bytes, version: str | None) -> bytes | None:
        """The kept body for ``key`` if it was made at ``version``, else None."""
        if version is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] != version:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: bytes, version: str | None, body: bytes) -> None:
        """Keep ``body``, made after reading ``version``, for ``key``."""
        if version is None or len(key) > MAX_KEY_BYTES or len(body) > self._max_bytes // 4:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (version, body)
            self._bytes += _size(key, version, body)
            while self._bytes > self._max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _size(key, *entry)


def _size(key: bytes, version: str, body: bytes) -> int:
    """What an entry holds in memory, roughly: the bytes plus the objects around them."""
    return len(key) + len(version) + len(body) + ENTRY_OVERHEAD_BYTES
