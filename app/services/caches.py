"""Every cache of the service, each with the rule that says when what it holds is right.

They are made once per application (`Caches.create`, in `create_app`) and reached by
handlers through `CachesDep` (`app.dependencies`). Each worker process has its own; they
agree because every rule is checked against the database.

- `lists` (`ListCache`): whole `GET /gigs` responses by query string. Used while the
  database's data version is the one read *before* the response was made: nothing was
  committed since, anywhere. A list without `starts_after` starts at the clock (gigs not
  started yet, `gig_listing.plan_request`), so its answer is also used only while the clock
  is before the earliest `starts_at` among the rows its query read (`valid_until`): a gig
  that has started is never answered again, and until then the same query would read
  the same rows (`gig_listing._page`). A list with `starts_after` does not depend on
  the clock.
- `gigs` (`RenderedGigs`): each gig rendered as the JSON of `GigRead`. Used while the
  list query reads the same row key (version, confirmed people, waitlist count).
- `pool` (`PoolCache`): the matching module's pool of every volunteer. Used while the
  data version is the one it was built or last checked at; otherwise while its
  fingerprint (`matching_data.pool_fingerprint`) is.
- `feeds` (`FeedCache`): calendar feeds by request, with their ETag and Last-Modified.
  Used while the data version is the one read before the feed's rows were read and the
  feed's window is the same minute; then made again once however many ask (single
  flight), and rendered only when a hash of every value its events are made of changed.
- `gig_reads` (`GigReads`): `GET /gigs/{id}` answers (the JSON and the ETag). Used
  while the data version is the one read before the gig's row was read; who may see
  the gig is checked on every use.

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
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select

from app.config import Settings
from app.db import Database, Row, Tx, in_ids
from app.integrations.calendar_feed import feed_etag
from app.models import Gig
from app.models.base import utcnow
from app.services.gig_json import gig_json

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_KEY_BYTES = 2048
# Two bytes objects, a str, a datetime, a record and a slot in the ordered dict (CPython
# 3.11), roughly.
ENTRY_OVERHEAD_BYTES = 300


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
class FeedContent:
    """What a feed is made of, read from the database and not rendered yet."""

    #: SHA-256 of every value the feed's text is made from.
    key: bytes
    #: The feed's bytes and its number of events (run in a worker thread).
    render: Callable[[], tuple[bytes, int]]
    #: Association feeds: SHA-256 of the token that opens the feed.
    credential: bytes | None = None


@dataclass(frozen=True, slots=True)
class KeptFeed:
    """A feed as made at one data version and window minute, with its validators."""

    data_version: str | None
    window: datetime
    content_key: bytes
    body: bytes
    etag: str
    events: int
    #: The second this process first made the feed as it is (see `FeedCache`).
    last_modified: datetime
    #: Another version of this feed carried the same `last_modified` second.
    last_modified_shared: bool
    credential: bytes | None


class FeedCache:
    """Calendar feeds by what a request asks for (the public feed's query string, or an
    association), each kept as made at one data version and window minute.

    - Used while the data version is the one read before the feed's rows were read
      (nothing was committed since, anywhere) and the window (`calendar_feeds`) is the
      same minute: a request, a 304 included, costs one data-version check, no query.
    - Otherwise made again, once: requests for the same feed, data version and minute
      that come meanwhile await that one make (single flight). A make reads the rows and
      hashes them; when the hash is the kept one, the bytes, ETag and Last-Modified stay
      and nothing is rendered. Makes of one feed run one after another, so a commit that
      lands during a make does not render the same text twice. `renders` counts renders.
    - Last-Modified is the second this process first made the feed as it is now; no gig
      in it was updated later. The newest `updated_at` in the feed alone would not do:
      a gig that leaves the feed (cancelled, moved, out of the window) takes its own
      with it. When the feed changes twice in one second, the second version carries
      the same Last-Modified, marked shared: If-Modified-Since cannot tell them apart,
      so only If-None-Match gets a 304 (until a later make, in a later second, stamps it
      anew).

    Bounded in bytes and entries; the least recently used go first.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, entries: int = 1024) -> None:
        self._max_bytes = max_bytes
        self._max_entries = entries
        self._bytes = 0
        self._feeds: OrderedDict[Hashable, KeptFeed] = OrderedDict()
        self._flights: dict[Hashable, asyncio.Task[KeptFeed]] = {}
        self._latest: dict[Hashable, asyncio.Task[KeptFeed]] = {}
        #: Per feed, the make that waits for the one before it to end (and its window).
        self._queued: dict[Hashable, tuple[asyncio.Task[KeptFeed], datetime]] = {}
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, key: Hashable, data_version: str | None, window: datetime) -> KeptFeed | None:
        """The feed kept for ``key`` if it was made at ``data_version`` and ``window``."""
        if data_version is None:
            return None
        with self._lock:
            kept = self._feeds.get(key)
            if kept is None or kept.data_version != data_version or kept.window != window:
                return None
            self._feeds.move_to_end(key)
            return kept

    async def make(
        self,
        key: Hashable,
        data_version: str | None,
        window: datetime,
        content: Callable[[], Awaitable[FeedContent]],
    ) -> KeptFeed:
        """Make the feed for ``key`` (its rows read by ``content``), or await the make
        that another request for the same data version and window started."""
        if data_version is None:  # nothing may be kept: every request makes its own
            return await self._make(key, None, window, content)
        loop = asyncio.get_running_loop()
        flight_key = (loop, key, data_version, window)
        flight = self._flights.get(flight_key)
        if flight is None:
            feed_key = (loop, key)
            queued = self._queued.get(feed_key)
            if queued is not None and queued[1] == window:
                # A make of this feed that has not read its rows yet reads them after this
                # request read its data version, so what it makes is at least as new:
                # joining it keeps one running and one waiting make per feed, however fast
                # commits come (else each new version queued a make behind the others).
                return await asyncio.shield(queued[0])
            earlier = self._latest.get(feed_key)
            # A task of its own: a waiter that goes away does not cancel the others' make.
            flight = loop.create_task(
                self._make(key, data_version, window, content, earlier, feed_key)
            )
            self._flights[flight_key] = self._latest[feed_key] = flight
            if earlier is not None and not earlier.done():
                self._queued[feed_key] = (flight, window)

            def landed(task: asyncio.Task[KeptFeed]) -> None:
                self._flights.pop(flight_key, None)
                if self._latest.get(feed_key) is task:
                    del self._latest[feed_key]
                self._unqueue(feed_key, task)
                if not task.cancelled():
                    task.exception()  # retrieved: every waiter gets it

            flight.add_done_callback(landed)
        return await asyncio.shield(flight)

    def _unqueue(self, feed_key: Hashable, task: asyncio.Task[KeptFeed] | None) -> None:
        """``task`` no longer waits to start: later requests start or join another make."""
        queued = self._queued.get(feed_key)
        if queued is not None and queued[0] is task:
            del self._queued[feed_key]

    async def _make(
        self,
        key: Hashable,
        data_version: str | None,
        window: datetime,
        content: Callable[[], Awaitable[FeedContent]],
        earlier: asyncio.Task[KeptFeed] | None = None,
        feed_key: Hashable | None = None,
    ) -> KeptFeed:
        if earlier is not None and not earlier.done():
            # One make of a feed at a time, so each compares with what the one before it
            # made: a commit during a make does not cause a second render of the same text.
            await asyncio.wait([earlier])
        if feed_key is not None:
            self._unqueue(feed_key, asyncio.current_task())
        made = await content()
        with self._lock:
            previous = self._feeds.get(key)
        second = utcnow().replace(microsecond=0)
        if previous is not None and previous.content_key == made.key:
            restamp = previous.last_modified_shared and second > previous.last_modified
            kept = replace(
                previous,
                data_version=data_version,
                window=window,
                credential=made.credential,
                last_modified=second if restamp else previous.last_modified,
                last_modified_shared=previous.last_modified_shared and not restamp,
            )
        else:
            body, events = await asyncio.to_thread(made.render)
            self.renders += 1
            etag = feed_etag(body)
            if previous is not None and previous.etag == etag:
                last_modified, shared = previous.last_modified, previous.last_modified_shared
            elif previous is not None and second <= previous.last_modified:
                last_modified, shared = previous.last_modified, True
            else:
                last_modified, shared = second, False
            kept = KeptFeed(
                data_version, window, made.key, body, etag, events, last_modified, shared,
                made.credential,
            )  # fmt: skip
        if data_version is not None:
            self._keep(key, kept)
        return kept

    def _keep(self, key: Hashable, kept: KeptFeed) -> None:
        size = len(kept.body) + ENTRY_OVERHEAD_BYTES
        if size > self._max_bytes // 4:
            return
        with self._lock:
            self._drop(key)
            self._feeds[key] = kept
            self._bytes += size
            while self._bytes > self._max_bytes or len(self._feeds) > self._max_entries:
                self._drop(next(iter(self._feeds)))

    def _drop(self, key: Hashable) -> None:
        kept = self._feeds.pop(key, None)
        if kept is not None:
            self._bytes -= len(kept.body) + ENTRY_OVERHEAD_BYTES

    def clear(self) -> None:
        """Forget every feed (for benchmarks that time the render)."""
        with self._lock:
            self._feeds.clear()
            self._bytes = 0


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

    @classmethod
    def create(cls, settings: Settings) -> Caches:
        """Empty caches sized by the settings."""
        return cls(
            lists=ListCache(settings.list_cache_mb * 1024 * 1024),
            gigs=RenderedGigs(),
            pool=PoolCache(),
            feeds=FeedCache(),
        )
