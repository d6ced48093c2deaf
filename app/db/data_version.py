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
  and callers share one read: every caller that asks before it is sent (one read at a
  time per connection; the next one waits, and gathers callers, while one is out).
  The read goes through libpq's own calls (`psycopg.pq`), not a cursor: the cursor's
  work for this one fixed statement was a third of the CPU of a poll answered from a
  cache (`bench/bench_gig_read.py`).
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import pq
from sqlalchemy import make_url

from app.db.connections import open_sqlite, sqlite_path

if TYPE_CHECKING:
    from app.db.unit_of_work import Database

_SNAPSHOT = b"SELECT pg_current_snapshot()::text"


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
        self._turns: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
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
        async def read() -> None:
            answer.set_result(await self._snapshot(loop, answer))

        def finished(task: asyncio.Task[None]) -> None:
            # Here, not in `read`: a task cancelled before its first step never runs it.
            self._reads.discard(task)
            if self._pending.get(loop) is answer:
                del self._pending[loop]
            if answer.done():
                return
            # Every waiter gets the failure (e.g. no connection), none a cancellation
            # that was not theirs.
            error = None if task.cancelled() else task.exception()
            answer.set_exception(
                error or psycopg.OperationalError("the data version read was cancelled")
            )

        # Read even when every waiter has gone away meanwhile (no "never retrieved").
        answer.add_done_callback(lambda done: done.cancelled() or done.exception())
        task = loop.create_task(read())
        self._reads.add(task)
        task.add_done_callback(finished)

    async def _snapshot(self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future[str]) -> str:
        # One read at a time on the connection: the next waits here, and callers keep
        # joining it (`_pending`) until it is sent.
        async with self._turns.setdefault(loop, asyncio.Lock()):
            watch = self._pg_watch.get(loop)
            if watch is None or watch.closed:
                for stale in [key for key in self._pg_watch if key.is_closed()]:
                    del self._pg_watch[stale]
                    self._turns.pop(stale, None)
                url = make_url(self._database.url).set(drivername="postgresql")
                async with asyncio.timeout(self._database.pool_timeout):
                    watch = self._pg_watch[loop] = await psycopg.AsyncConnection.connect(
                        url.render_as_string(hide_password=False),
                        autocommit=True,
                        connect_timeout=max(2, int(self._database.pool_timeout)),
                    )
            # Sent now, after every caller of it asked: a caller from here on waits for
            # the next read, since this one may not see what commits from now on.
            if self._pending.get(loop) is answer:
                del self._pending[loop]
            try:
                # A server that stops answering fails the read (callers then read without
                # caches) instead of holding every later one.
                async with asyncio.timeout(self._database.pool_timeout):
                    return await _ask(watch.pgconn, loop)
            except BaseException:  # broken, failed, late or cancelled: never used again
                await watch.close()
                raise

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


async def _ask(pgconn: pq.abc.PGconn, loop: asyncio.AbstractEventLoop) -> str:
    """`_SNAPSHOT`'s answer on an idle connection in autocommit, waiting on its socket
    in ``loop``; psycopg's error for a failed statement or a broken connection."""
    pgconn.send_query(_SNAPSHOT)
    while pgconn.flush():  # 1 while some of the statement is still to be sent
        await _socket_ready(loop, pgconn.socket, write=True)
    answer: pq.abc.PGresult | None = None
    while True:
        pgconn.consume_input()
        if pgconn.is_busy():
            await _socket_ready(loop, pgconn.socket, write=False)
            continue
        result = pgconn.get_result()
        if result is None:
            break
        answer = result
        if result.status != pq.ExecStatus.TUPLES_OK:  # the caller closes the connection
            message = result.error_message.decode("utf-8", "replace")
            raise psycopg.OperationalError(message or "the data version could not be read")
    if answer is None or answer.ntuples != 1:
        raise psycopg.OperationalError("the data version came without a row")
    value = answer.get_value(0, 0)
    assert value is not None, "pg_current_snapshot() is never NULL"
    return value.decode()


async def _socket_ready(loop: asyncio.AbstractEventLoop, fd: int, *, write: bool) -> None:
    """Until ``fd`` can be written (``write``) or read."""
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if write:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
