"""The one way into the database: `Database.read()` and `@writes` (a `Tx` in both).

A service's public function is decorated, and called with the `Database`:

    @writes
    async def cancel(tx: Tx, *, principal: Principal, signup_id: str) -> SignupRead: ...

    signup = await signups.cancel(database, principal=principal, signup_id=signup_id)

- `@writes`: one transaction. Committed when the function returns, rolled back when it
  raises, and run again from the start (at most `TRANSACTION_ATTEMPTS` times) when the
  database chose it as a deadlock victim or a serialization failure, or when it raised
  `RunAgain` itself. So the function must not have effects outside the database.
  SQLite: the write lock is taken first (`BEGIN IMMEDIATE`; writers of this process queue
  on an asyncio lock instead of polling the busy handler), so a check and the write that
  depends on it never interleave with another writer. PostgreSQL: READ COMMITTED;
  rules that must not interleave lock their rows (`with_for_update()`).
- `@reads` (or `async with database.read() as tx`): no transaction; every statement
  reads the latest committed data on its own (as READ COMMITTED would, on both
  databases).
- Either, called with a `Tx` instead of the `Database`, runs in that transaction: one
  use case can be part of another (demo data, a chat message that becomes a gig).
- `Database.holding()`: while a request with an `Idempotency-Key` runs, its writes join
  one transaction that the idempotency middleware commits together with the record of
  the response (`HeldTransaction`), so a crash leaves both or neither.

Statements are SQLAlchemy Core, run by the `Tx` (`app.db.tx`: `rows`, `row`, `one`,
`scalar`, `scalars`, `run`, `batch`, `defer`, `commit`, `savepoint`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Dialect, text
from sqlalchemy.dialects.postgresql.psycopg import PGDialectAsync_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.exc import DBAPIError

from app.db.connections import Connection, Pool, SqliteConnection, SqlitePool, make_pool
from app.db.data_version import DataVersion
from app.db.held import TRANSACTION_ATTEMPTS, HeldTransaction, runs_again
from app.db.tx import Tx

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


_held: ContextVar[HeldTransaction | None] = ContextVar("held_transaction", default=None)


class Database:
    """The database of one process: its pool (one per event loop) and the way in."""

    def __init__(self, url: str, *, pool_size: int = 10, pool_timeout: float = 10.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.dialect: Dialect = (
            SQLiteDialect_pysqlite() if self.is_sqlite else PGDialectAsync_psycopg()  # type: ignore[no-untyped-call]
        )
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        # A pool's connections belong to the event loop that made them (tests and the
        # command line run several loops in one process, one after another).
        self._pools: dict[asyncio.AbstractEventLoop, Pool] = {}
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.data_version = DataVersion(self)
        self._listeners: list[Callable[[list[str]], None]] = []

    def listen(self, listener: Callable[[list[str]], None]) -> None:
        """Call ``listener`` with the event types of every transaction that committed
        events (the dispatcher wakes up, the metrics count)."""
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[list[str]], None]) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def _pool(self) -> Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for stale in [key for key in self._pools if key.is_closed()]:
                del self._pools[stale]
            pool = self._pools[loop] = make_pool(
                self.url, size=self.pool_size, timeout=self.pool_timeout
            )
        return pool

    def _held_open(self) -> HeldTransaction | None:
        held = _held.get()
        if held is None or held.database is not self or held.closed:
            return None
        return held

    def holds_writes(self) -> bool:
        """Whether this request's writes so far are held uncommitted (`HeldTransaction`)."""
        held = self._held_open()
        return held is not None and held.tx is not None

    @contextmanager
    def apart(self) -> Iterator[None]:
        """Writes inside commit in transactions of their own, not in the request's
        `HeldTransaction` (a rate limit's count must stand whatever the request does).
        Only before the held transaction opened: afterwards, on SQLite, a transaction of
        its own would wait for the write lock the held one has; then they join it."""
        token = _held.set(None) if not self.holds_writes() else None
        try:
            yield
        finally:
            if token is not None:
                _held.reset(token)

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[HeldTransaction]:
        """Join the writes of the code run inside into one `HeldTransaction`."""
        held = HeldTransaction(self)
        token = _held.set(held)
        try:
            yield held
        finally:
            _held.reset(token)
            await held.close()

    def tell_listeners(self, events: list[str]) -> None:
        """Tell the listeners of a committed transaction's events (a listener's error is
        logged: the transaction stands)."""
        if events:
            for listener in self._listeners:
                try:
                    listener(events)
                except Exception:
                    logger.exception("a listener of committed events failed")

    @asynccontextmanager
    async def read(self, *, long: bool = False) -> AsyncIterator[Tx]:
        """Statements that each read the latest committed data (no transaction); in a
        request whose writes are held, they read through that transaction.

        ``long``: the reads may take long (seconds): on SQLite they run in the
        connection's thread, not on the event loop (`SqliteConnection`)."""
        held = self._held_open()
        if held is not None and held.tx is not None:
            yield held.tx
            return
        pool = self._pool()
        connection = await pool.acquire()
        if isinstance(connection, SqliteConnection):
            connection.in_place = not long
        broken = False
        try:
            yield Tx(connection, self.dialect, writing=False)
        except DBAPIError as error:
            broken = bool(error.connection_invalidated) or _is_disconnect(error)
            raise
        finally:
            await pool.release(connection, broken=broken)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction, committed at the end of the block (no retries: `write`)."""
        lock = self._write_lock() if self.is_sqlite else None
        if lock is not None:
            await lock.acquire()
        try:
            pool = self._pool()
            connection = await pool.acquire()
            tx = Tx(connection, self.dialect, writing=True)
            if isinstance(connection, SqliteConnection):
                connection.in_place = False
            broken = False
            try:
                await connection.begin()
                yield tx
                await tx._commit()
            except BaseException as error:
                broken = isinstance(error, DBAPIError) and _is_disconnect(error)
                if not broken:
                    await _roll_back(connection)
                raise
            finally:
                try:
                    if not broken:
                        await connection.end()
                finally:
                    await pool.release(connection, broken=broken)
        finally:
            if lock is not None:
                lock.release()

    async def write(
        self, work: Callable[Concatenate[Tx, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``work(tx, ...)`` in one transaction, run again while `runs_again` allows (or in
        the request's `HeldTransaction`)."""
        held = self._held_open()
        if held is not None:
            return await held.write(work, *args, **kwargs)
        for tries_left in range(TRANSACTION_ATTEMPTS - 1, -1, -1):
            try:
                async with self.transaction() as tx:
                    result = await work(tx, *args, **kwargs)
            except Exception as error:
                if tries_left == 0 or not runs_again(error):
                    raise
            else:
                self.tell_listeners(tx.events)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock

    async def forget_old_pages(self, attempts: int = 40) -> bool:
        """SQLite: copy the write-ahead log into the database file and empty it, so page
        images from before an erasure are gone from the `-wal` file too (freed pages of
        the file itself are zeroed: `secure_delete`). Readers in flight can hold it up: it
        tries again for about two seconds. Whether the log was emptied; PostgreSQL: True
        (its old row versions go with VACUUM, its WAL with the checkpoints)."""
        if not self.is_sqlite:
            return True
        for _ in range(attempts):
            async with self.read(long=True) as tx:
                busy = await tx.scalar(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            if not busy:
                return True
            await asyncio.sleep(0.05)
        return False

    async def connection_budget(self) -> int | None:
        """How many connections all processes together may open (PostgreSQL's
        `max_connections` less those kept for superusers, less one per process for the
        data version's own); None for SQLite."""
        if self.is_sqlite:
            return None
        async with self.read() as tx:
            return int(
                await tx.scalar(
                    text(
                        "SELECT current_setting('max_connections')::int"
                        " - current_setting('superuser_reserved_connections')::int"
                    )
                )
            )

    async def close(self) -> None:
        """Close the pool of the running event loop (at shutdown)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()
        await self.data_version.aclose()

    def dispose(self) -> None:
        """Close what is left without an event loop: SQLite's connections of loops that
        are gone (PostgreSQL's go with their loop)."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            if isinstance(pool, SqlitePool):
                pool.close_now()
        self.data_version.close()


async def _roll_back(connection: Connection) -> None:
    try:
        await connection.rollback()
    except connection.driver_error:
        pass  # the connection went away with the transaction


def _is_disconnect(error: DBAPIError) -> bool:
    return error.connection_invalidated or getattr(error.orig, "sqlstate", "") in (
        "08000", "08003", "08006", "57P01",
    )  # fmt: skip


def writes(
    work: Callable[Concatenate[Tx, P], Awaitable[T]],
) -> Callable[Concatenate[Database | Tx, P], Awaitable[T]]:
    """A service function that runs as one write transaction (`Database.write`); called
    with a `Tx` of a write transaction instead, it runs as part of that one."""

    @functools.wraps(work)
    async def run(database: Database | Tx, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if isinstance(database, Tx):
            if not database.writing:
                raise RuntimeError("a read (`Database.read`, `@reads`) cannot write")
            return await work(database, *args, **kwargs)
        return await database.write(work, *args, **kwargs)

    return run


def reads(
    work: Callable[Concatenate[Tx, P], Awaitable[T]],
) -> Callable[Concatenate[Database | Tx, P], Awaitable[T]]:
    """A service function that only reads (`Database.read`); called with a `Tx` instead,
    it reads through that one."""

    @functools.wraps(work)
    async def run(database: Database | Tx, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if isinstance(database, Tx):
            return await work(database, *args, **kwargs)
        async with database.read() as tx:
            return await work(tx, *args, **kwargs)

    return run
