"""The database's data version: a value that changes whenever any transaction commits.

Caches use it as their validity rule (`app.services.caches`): an answer made after
reading version V is still exact while the version is V, since nothing committed in
between, on any connection of any process.

- SQLite: `PRAGMA data_version` on a connection of its own that never writes: SQLite
  counts there every commit made by any other connection, in any process. Read in
  place (a few microseconds, and it never waits for a lock). The count restarts when
  that connection is reopened, so each connection's numbers carry a tag of their own.
- SQLite in memory: none (None): the database lives in one connection, which has no
  other connections' commits to count, so nothing may be kept.
- PostgreSQL: `pg_current_snapshot()`, which changes whenever a transaction ends
  anywhere in the cluster (so a commit in another database of the cluster also makes
  kept answers stale: that costs speed, never correctness). Read on a connection of
  its own (one per process, besides the pool: the hot path skips the pool's check-out),
  and callers in one turn of the event loop share one read, sent once all of them asked.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import make_url

from app.db.connections import open_sqlite, sqlite_path

if TYPE_CHECKING:
    from app.db.unit_of_work import Database

_SNAPSHOT = "SELECT pg_current_snapshot()::text"


class DataVersion:
    """`await database.data_version()`: the current data version (see the module)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._tag = ""
        self._pending: dict[asyncio.AbstractEventLoop, asyncio.Future[str]] = {}
        self._reads: set[asyncio.Task[None]] = set()
        self._pg_watch: dict[asyncio.AbstractEventLoop, psycopg.AsyncConnection[Any]] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._in_memory = database.is_sqlite and sqlite_path(database.url) == ":memory:"

    async def __call__(self) -> str | None:
        if self._database.holds_writes():
            return None  # the request reads its own uncommitted writes: nothing may be kept
        if self._database.is_sqlite:
            return None if self._in_memory else self._sqlite()
        loop = asyncio.get_running_loop()
        answer = self._pending.get(loop)
        if answer is None:
            answer = self._pending[loop] = loop.create_future()
            loop.call_soon(self._read_snapshot, loop, answer)
        return await asyncio.shield(answer)

    def _sqlite(self) -> str:
        with self._lock:
            if self._watch is None:
                self._watch = open_sqlite(sqlite_path(self._database.url))
                self._tag = secrets.token_hex(8)
            try:
                (version,) = self._watch.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._watch.close()
                self._watch = None
                raise
            return f"{self._tag}:{version}"

    def _read_snapshot(self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future[str]) -> None:
        # From here on a new caller waits for the next read: this one may be sent already.
        del self._pending[loop]

        async def read() -> None:
            try:
                answer.set_result(await self._snapshot(loop))
            except asyncio.CancelledError:
                answer.cancel()
                raise
            except Exception as error:  # every waiter gets it (e.g. no free connection)
                answer.set_exception(error)

        # Read even when every waiter has gone away meanwhile (no "never retrieved").
        answer.add_done_callback(lambda done: done.cancelled() or done.exception())
        task = loop.create_task(read())
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    async def _snapshot(self, loop: asyncio.AbstractEventLoop) -> str:
        watch = self._pg_watch.get(loop)
        if watch is None or watch.closed:
            # Reads of the first turns run while the connection is still being opened:
            # one opens it, the others wait for it (else each opened one, and all but the
            # last were never closed).
            opening = self._opening.setdefault(loop, asyncio.Lock())
            async with opening:
                watch = self._pg_watch.get(loop)
                if watch is None or watch.closed:
                    for stale in [key for key in self._pg_watch if key.is_closed()]:
                        del self._pg_watch[stale]
                        self._opening.pop(stale, None)
                    url = make_url(self._database.url).set(drivername="postgresql")
                    watch = self._pg_watch[loop] = await psycopg.AsyncConnection.connect(
                        url.render_as_string(hide_password=False), autocommit=True
                    )
        try:
            cursor = await watch.execute(_SNAPSHOT)
            row = await cursor.fetchone()
        except psycopg.Error:
            await watch.close()
            raise
        assert row is not None
        return str(row[0])

    async def aclose(self) -> None:
        """Close the watching connections (at shutdown)."""
        self.close()
        watch = self._pg_watch.pop(asyncio.get_running_loop(), None)
        if watch is not None:
            await watch.close()

    def close(self) -> None:
        """Close SQLite's watching connection (at shutdown)."""
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
