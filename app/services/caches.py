"""Every cache of the service, each with the rule that says when what it holds is right.

They are made once per application (`Caches.create`, in `create_app`) and reached by
handlers through `CachesDep` (`app.dependencies`). Each worker process has its own; they
agree because every rule is checked against the database.

- `lists` (`ListCache`): whole `GET /gigs` responses by query string. Used while the
  database's data version is the one read *before* the response was made: nothing was
  committed since, anywhere. A list without `starts_after` starts at the clock (gigs not
  started yet, `gig_list_sql.plan_request`), so its answer is also used only while the clock
  is before the earliest `starts_at` among the rows its query read (`valid_until`): a gig
  that has started is never answered again, and until then the same query would read
  the same rows (`gig_listing._page`). A list with `starts_after` does not depend on
  the clock.
- `gigs` (`RenderedGigs`): each gig rendered as the JSON of `GigRead`. Used while the
  list query reads the same row key (version, confirmed people, waitlist count).
- `pool` (`PoolCache`): the matching module's pool of every volunteer. Used while the
  data version is the one it was built or last checked at; otherwise while its
  fingerprint (`matching_data.pool_fingerprint`) is.
- `feeds` (`FeedCache`, in `app.services.feed_cache`): calendar feeds by request, with
  their ETag and Last-Modified.
  Used while the data version is the one read before the feed's rows were read and the
  feed's window is the same minute; then made again once however many ask (single
  flight), and rendered only when a hash of every value its events are made of changed.
- `gig_reads` (`GigReads`): `GET /gigs/{id}` answers (the JSON and the ETag). Used
  while the data version is the one read before the gig's row was read; who may see
  the gig is checked on every use.
- `gig_pages` (`GigPages`, in `app.services.page_cache`): what a gig's public page
  shows (`services.gig_pages`): the gig's row with its organisation, and the open gigs
  read for a closed gig's page. Used while the data version is the one read before
  they were read; where the gig stands (open, started, past) is worked out from the
  clock at every visit, and a nearby gig that has started since is left out then. With
  them, the HTML made from them for each way the page was shown (language, where the
  gig stands: `app.web.pages`), bounded by bytes (16 MiB). It also keeps the keys of
  the pages' links and forms (`page_links.LinkKeys`): they follow from the instance
  secret, which a migration makes once and nothing changes.
- `reports` (`ReportCache`, in `app.services.reports_cache`): report answers by
  report, form, scope and parameters. Used while the data version is the one read
  before the report's statement ran; a public answer holding a month not over yet only
  until that month ends.
- `tokens` (`KnownTokens`, in `app.services.token_cache`): the principal of each bearer
  token (by its digest) read lately. Used while the data version is the one read
  before its key's row was read; unknown and revoked tokens are not kept.

The data version (`Database.data_version`, `app.db.data_version`) changes with every
commit. Row versions: every UPDATE of a gig, volunteer, organisation or association gets
a new `version` and `updated_at` from the database itself (migration 0007's trigger),
whatever statement made it; `tests/services/test_caches.py` changes a gig with a plain
Core `UPDATE` and sees lists, pools and calendars follow.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select

from app.config import Settings
from app.db import Database, Row, Tx, in_ids
from app.models import Gig
from app.models.base import utcnow
from app.services.feed_cache import ENTRY_OVERHEAD_BYTES, FeedCache
from app.services.gig_json import gig_json
from app.services.page_cache import GigPages
from app.services.reports_cache import ReportCache
from app.services.token_cache import KnownTokens

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_KEY_BYTES = 2048


class ListCache:
    """Responses of `GET /api/v1/gigs` by raw query string, each valid for one data
    version, and a list that starts at the clock only until its first gig starts (see
    the module docstring). Lists of drafts are never kept: who may see them depends on
    the caller, while every other list is the same for everyone. Bounded in bytes
    (`KLUSMAKELAAR_LIST_CACHE_MB`, 0 turns it off); the least recently used go first."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[bytes, _Listed] = OrderedDict()
        self._lock = threading.Lock()

    async def version(self, database: Database) -> str | None:
        """The data version now; None when nothing may be kept or answered."""
        if self._max_bytes <= 0:
            return None
        try:
            return await database.data_version()
        except Exception:  # the list is made as if there were no cache; its own read decides
            logger.warning("list cache: no data version", exc_info=True)
            return None

    def get(self, key: bytes, version: str | None) -> bytes | None:
        """The kept body for ``key`` if it was made at ``version`` and the clock is before
        its ``valid_until``, else None."""
        if version is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or (
                entry.valid_until is not None and utcnow() >= entry.valid_until
            ):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry.body

    def put(
        self,
        key: bytes,
        version: str | None,
        body: bytes,
        *,
        shared: bool,
        valid_until: datetime | None = None,
    ) -> None:
        """Keep ``body``, made after reading ``version``, for ``key`` (if ``shared``: the
        same for every caller), until the clock reaches ``valid_until`` (None: no end)."""
        if not shared or version is None:
            return
        if len(key) > MAX_KEY_BYTES or len(body) > self._max_bytes // 4:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = _Listed(version, valid_until, body)
            self._bytes += _size(key, version, body)
            while self._bytes > self._max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _size(key, entry.version, entry.body)


@dataclass(frozen=True, slots=True)
class _Listed:
    """A kept list: the data version it was made at, until when the clock leaves it right
    (None: for ever), and the body."""

    version: str
    valid_until: datetime | None
    body: bytes


def _size(key: bytes, version: str, body: bytes) -> int:
    """What an entry holds in memory, roughly: the bytes plus the objects around them."""
    return len(key) + len(version) + len(body) + ENTRY_OVERHEAD_BYTES


#: What identifies one state of a gig's rendering; the list query reads it for each row.
ROW_KEY = (Gig.id, Gig.version, Gig.confirmed_people, Gig.waitlist_count)
_DISTANCE_KEY = '"distance_km"'


@dataclass(frozen=True, slots=True)
class RenderedGig:
    """A gig rendered as the JSON of `GigRead`, split where its `distance_km` goes."""

    key: tuple[Any, ...]
    head: str
    tail: str

    @property
    def plain(self) -> str:
        return f"{self.head}null{self.tail}"

    def with_distance(self, distance_km: float | None) -> str:
        value = "null" if distance_km is None else repr(round(float(distance_km), 3))
        return f"{self.head}{value}{self.tail}"

    @classmethod
    def split(cls, key: tuple[Any, ...], rendered: str) -> RenderedGig:
        # The key is the last but two of the object (only timestamps follow), so the last
        # occurrence is the key itself: in a title or description it would be escaped.
        at = rendered.rindex(_DISTANCE_KEY)
        value_at = rendered.index("null", at + len(_DISTANCE_KEY))
        return cls(key, rendered[:value_at], rendered[value_at + 4 :])


def row_key(row: Row) -> tuple[Any, ...]:
    """The key part of a row that has the `ROW_KEY` columns."""
    return (row.version, row.confirmed_people, row.waitlist_count)


class RenderedGigs:
    """Gigs rendered by the database (`gig_json`), by id, each for exactly one row key.

    A lookup compares the key the list query just read with the kept one, so an item is
    never older than the row it stands for. Bounded: the oldest entries go first.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: dict[str, RenderedGig] = {}
        self._lock = threading.Lock()
        self._statements: dict[str, Any] = {}

    def lookup(self, rows: Sequence[Row]) -> list[RenderedGig | None]:
        """The kept rendering of each row (with the `ROW_KEY` columns), or None where it
        is missing or stale."""
        found: list[RenderedGig | None] = []
        for row in rows:
            item = self._items.get(row.id)
            found.append(item if item is not None and item.key == row_key(row) else None)
        return found

    async def render(self, tx: Tx, ids: list[str]) -> dict[str, RenderedGig]:
        """Render ``ids`` in the database, keep them, and return them by id."""
        statement = self._statements.get(tx.dialect.name)
        if statement is None:
            statement = self._statements[tx.dialect.name] = select(
                *ROW_KEY, gig_json(tx.dialect.name).label("json")
            ).where(in_ids(Gig.id, "ids"))
        rows = await tx.rows(statement, ids=ids)
        fresh = {row.id: RenderedGig.split(row_key(row), row.json) for row in rows}
        with self._lock:
            for gig_id, item in fresh.items():
                self._items.pop(gig_id, None)
                self._items[gig_id] = item
            while len(self._items) > self._size:
                del self._items[next(iter(self._items))]
        return fresh


@dataclass(frozen=True, slots=True)
class _Kept(Generic[T]):
    data_version: str | None
    fingerprint: Any
    value: T


class PoolCache(Generic[T]):
    """One value (the matching pool) that is expensive to build, with the data version
    and the fingerprint it was built at. While the data version is unchanged nothing was
    committed: the value is used as it is. Otherwise the fingerprint is read again
    (cheap aggregates, `matching_data.pool_fingerprint`), and only a changed fingerprint
    rebuilds; one build at a time, the others wait for it."""

    def __init__(self) -> None:
        self._kept: _Kept[T] | None = None
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.builds = 0

    def current(self, data_version: str | None) -> T | None:
        """The value, if nothing was committed since it was last known to be right."""
        kept = self._kept
        if kept is not None and data_version is not None and kept.data_version == data_version:
            return kept.value
        return None

    def matching(self, fingerprint: Any, data_version: str | None) -> T | None:
        """The value, if its fingerprint is ``fingerprint`` (and remember the version)."""
        kept = self._kept
        if kept is None or kept.fingerprint != fingerprint:
            return None
        self._kept = _Kept(data_version, fingerprint, kept.value)
        return kept.value

    async def rebuild(
        self, fingerprint: Any, data_version: str | None, build: Callable[[], Awaitable[T]]
    ) -> T:
        """Build the value for ``fingerprint`` (or take the one another request built)."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        async with lock:
            value = self.matching(fingerprint, data_version)
            if value is not None:
                return value
            value = await build()
            self._kept = _Kept(data_version, fingerprint, value)
            self.builds += 1
            return value

    def clear(self) -> None:
        """Forget the value (for benchmarks that time the build)."""
        self._kept = None


@dataclass(frozen=True, slots=True)
class GigAnswer:
    """`GET /gigs/{id}` for those who may see the gig: the JSON of `GigRead`, its ETag."""

    data_version: str | None
    body: bytes
    etag: str
    #: What decides who may see it (`Principal.may_see_gig`).
    organization_id: str
    status: str


class GigReads:
    """Single reads of gigs (`services.gigs.read_json`) by id, each used while the data
    version is the one read before its row was read: nothing was committed since, so
    the row, its counters and its ETag are the same. Whoever asks, a kept answer is
    checked against the caller's right to see the gig (drafts). Bounded: the oldest
    entries go first."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._answers: dict[str, GigAnswer] = {}
        self._lock = threading.Lock()

    def get(self, gig_id: str, data_version: str | None) -> GigAnswer | None:
        """The kept answer for ``gig_id`` if it was read at ``data_version``."""
        if data_version is None:
            return None
        answer = self._answers.get(gig_id)
        return answer if answer is not None and answer.data_version == data_version else None

    def put(self, gig_id: str, answer: GigAnswer) -> None:
        """Keep ``answer`` (replacing an older one)."""
        with self._lock:
            self._answers.pop(gig_id, None)
            self._answers[gig_id] = answer
            while len(self._answers) > self._size:
                del self._answers[next(iter(self._answers))]


@dataclass(frozen=True)
class Caches:
    """The caches of one application (see the table in the module docstring)."""

    lists: ListCache
    gigs: RenderedGigs
    pool: PoolCache[Any]
    feeds: FeedCache
    gig_reads: GigReads = field(default_factory=GigReads)
    gig_pages: GigPages[Any] = field(default_factory=GigPages)
    reports: ReportCache = field(default_factory=ReportCache)
    tokens: KnownTokens = field(default_factory=KnownTokens)

    @classmethod
    def create(cls, settings: Settings) -> Caches:
        """Empty caches sized by the settings."""
        return cls(
            lists=ListCache(settings.list_cache_mb * 1024 * 1024),
            gigs=RenderedGigs(),
            pool=PoolCache(),
            feeds=FeedCache(),
        )
