"""The calendar feed cache (`Caches.feeds`): each feed kept as made at one data version
and window minute, made once however many ask (single flight), rendered only when what
it is made of changed. Its validity rule is in `FeedCache`'s docstring; the other caches
are in `app.services.caches`."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from app.integrations.calendar_feed import feed_etag
from app.models.base import utcnow

# Two bytes objects, a str, a datetime, a record and a slot in the ordered dict (CPython
# 3.11), roughly.
ENTRY_OVERHEAD_BYTES = 300


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
