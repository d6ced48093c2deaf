"""Engine, session factory and the request-scoped session; SQLite pragmas live here.

A request is one transaction. On SQLite, a request that may write opens it with
``BEGIN IMMEDIATE`` so the write lock is taken before anything is read: a capacity
check and the write that depends on it can then never interleave with another writer,
and no transaction has to upgrade a stale read snapshot (which SQLite refuses with
"database is locked" instead of waiting).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import secrets
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, TypeVar

import psycopg
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Dialect, Engine, Select, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
T = TypeVar("T")
EARTH_RADIUS_KM = 6371.0088


def km_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float | None:
    """Great-circle (haversine) distance in km (the SQL version: `app.services.geo`)."""
    if None in (lat1, lon1, lat2, lon2):
        return None
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_MATH_FUNCTIONS: dict[str, tuple[int, Callable[..., float]]] = {
    "sin": (1, math.sin),
    "cos": (1, math.cos),
    "asin": (1, math.asin),
    "sqrt": (1, math.sqrt),
    "radians": (1, math.radians),
    "power": (2, math.pow),
}


def _ensure_math_functions(dbapi_connection: Any) -> None:
    """The SQL math functions the distance needs, in Python where SQLite lacks them.

    SQLite has them when built with SQLITE_ENABLE_MATH_FUNCTIONS (the default since
    3.35, and Debian's); an older or minimal build gets these slower stand-ins.
    """
    try:
        dbapi_connection.execute("SELECT sin(0), cos(0), asin(0), sqrt(1), radians(0), power(2, 2)")
    except sqlite3.OperationalError:
        for name, (arity, function) in _MATH_FUNCTIONS.items():
            dbapi_connection.create_function(name, arity, _null_safe(function), deterministic=True)


def _null_safe(function: Callable[..., float]) -> Callable[..., float | None]:
    def call(*args: float | None) -> float | None:
        return None if None in args else function(*args)

    return call


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Database:
    """The engines of one process: a reader and, on SQLite, a writer that locks first."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = create_db_engine(url)
        # On SQLite the writer differs only by how it opens a transaction.
        self.write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self.reader = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Writers of this process queue on this lock
        # instead of polling the busy handler (which sleeps up to 100 ms between tries);
        # other processes are still held off by the busy timeout.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self.writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self.reads = AsyncReads(self)

    def serialized_writes(self) -> AbstractContextManager[Any]:
        """Hold while a write transaction runs (SQLite: one writer at a time; else no-op)."""
        return self._write_lock if self._write_lock is not None else nullcontext()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.reads.close_version_watch()
        self.engine.dispose()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN."""
    if not url.startswith("sqlite"):
        # No pre-ping (a round trip per checkout): a dropped connection is detected on
        # use, the pool is invalidated and refilled, and only that request fails.
        return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=1800)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    pool_options = {} if in_memory else {"pool_size": 20, "max_overflow": 30}
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **pool_options
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN; pysqlite's own handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads through the OS page cache without a system call and a copy per page (the
        # page cache of a connection is 2 MB; a list of 100,000 gigs does not fit).
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        # Erased personal data is overwritten, not left in free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        _ensure_math_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")

    return engine


def get_database(request: Request) -> Database:
    """The process's database, set up by the application's lifespan."""
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: one transaction, committed as the handler returns.

    Creating a session does no I/O, so this runs on the event loop. The commit (or
    rollback) happens in `TransactionalRoute`, in the handler's own worker thread; here
    only a session that a failed request left open is closed.
    """
    database = get_database(request)
    factory = database.writer if request.method in _WRITE_METHODS else database.reader
    session = factory()
    if factory is database.writer:
        session.info["serialized_writes"] = database.serialized_writes
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


#: PostgreSQL's "deadlock detected" and "serialization failure": the transaction was
#: rolled back as a whole and may simply run again.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 3


class RunAgain(Exception):
    """Raised by a transaction whose reads went stale under it: it runs again."""


def runs_again(error: BaseException) -> bool:
    """Whether a failed transaction may simply run again: it asked to (`RunAgain`), or
    PostgreSQL rolled it back as a deadlock victim or a serialization failure. (A sign-up
    locks its people before the gig, a promotion the gig before the people.)"""
    if isinstance(error, RunAgain):
        return True
    return isinstance(error, DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
    )


def with_retries(attempt: Callable[[], T]) -> T:
    """``attempt()``, run again while it fails in a way `runs_again` allows, at most
    `TRANSACTION_ATTEMPTS` times in all. Each attempt must be a whole transaction."""
    for tries_left in range(TRANSACTION_ATTEMPTS - 1, -1, -1):
        try:
            return attempt()
        except Exception as error:
            if tries_left == 0 or not runs_again(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def with_retries_async(attempt: Callable[[], Awaitable[T]]) -> T:
    """`with_retries` for an attempt that is a coroutine."""
    for tries_left in range(TRANSACTION_ATTEMPTS - 1, -1, -1):
        try:
            return await attempt()
        except Exception as error:
            if tries_left == 0 or not runs_again(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _finishing_transaction(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        sessions = [value for value in kwargs.values() if isinstance(value, Session)]
        serialized = next(
            (s.info["serialized_writes"] for s in sessions if "serialized_writes" in s.info), None
        )

        def attempt() -> Any:
            with serialized() if serialized is not None else nullcontext():
                try:
                    result = endpoint(*args, **kwargs)
                    for session in sessions:
                        session.commit()
                    return result
                except BaseException:
                    for session in sessions:
                        session.rollback()
                    raise
                finally:
                    for session in sessions:
                        session.close()

        return with_retries(attempt)

    return run


async def run_transaction(database: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction in a worker thread, commit, return its result.

    For `async` endpoints on hot write paths: one thread hop for the whole transaction
    (a sync endpoint with `SessionDep` takes several), and the response is serialised
    on the event loop. On SQLite the write lock is taken first (`BEGIN IMMEDIATE`, one
    writer of this process at a time); a transaction that may run again (`runs_again`)
    does, up to `TRANSACTION_ATTEMPTS` times.
    """

    def attempt() -> T:
        with database.serialized_writes(), database.writer() as session:
            result = work(session)
            session.commit()
            return result

    return await run_in_threadpool(with_retries, attempt)


class TransactionalRoute(APIRoute):
    """Commits (or rolls back) and closes the request's session as the handler returns.

    Done in the handler's worker thread, so the connection goes back to the pool before
    the response is serialised. Otherwise a request would hold a pooled connection while
    it waits for a worker thread to serialise its response, and with every worker blocked
    waiting for a connection the server would deadlock under load.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _finishing_transaction(endpoint)
        super().__init__(path, endpoint, **kwargs)


@dataclass(frozen=True)
class CompiledRead:
    """A SELECT compiled once for a dialect, run as driver SQL with new values each time.

    Building and compiling a statement costs more than running a short indexed read.
    """

    sql: str
    positions: tuple[str, ...] | None  # parameter names in order, for positional drivers
    constants: dict[str, Any]  # the statement's own literals (JSON keys, 'T', 'Z', ...)

    @classmethod
    def of(cls, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> CompiledRead:
        compiled = statement.compile(dialect=dialect)
        positional = compiled.positional and compiled.positiontup
        positions = tuple(compiled.positiontup or ()) if positional else None
        constants = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(compiled.string, positions, constants)

    @classmethod
    def cached(cls, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> CompiledRead:
        """``statement`` compiled for ``dialect``, once per process."""
        key = (statement, dialect.name)
        compiled = _COMPILED.get(key)
        if compiled is None:
            compiled = _COMPILED.setdefault(key, cls.of(statement, dialect))
        return compiled

    def parameters(self, values: dict[str, Any]) -> Any:
        """``values`` as the driver takes them: a tuple for `?` (SQLite), else a dict."""
        values = {**self.constants, **values}
        if self.positions is not None:
            return tuple(_sqlite_value(values[name]) for name in self.positions)
        return values


_COMPILED: dict[tuple[Any, str], CompiledRead] = {}


def _sqlite_value(value: Any) -> Any:
    # What SQLAlchemy's SQLite types store: naive UTC text with microseconds, 0/1.
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    if isinstance(value, bool):
        return int(value)
    return value


def driver_error(error: psycopg.Error, sql: str) -> DBAPIError:
    """A psycopg error as SQLAlchemy raises it, so the same handling applies: a value the
    server refuses (a NUL byte in text) is a 422, a deadlock victim runs again."""
    wrapped = DBAPIError.instance(sql, None, error, psycopg.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


class Row(Protocol):
    """A row read by `AsyncReads`: its columns by name."""

    def __getitem__(self, name: str, /) -> Any: ...


_SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text AS snapshot"


class AsyncReads:
    """Single-statement reads for hot `async` endpoints, without a worker thread.

    A worker-thread hop costs more than a short indexed read, so these run on the event
    loop: on SQLite directly (a local, CPU-bound read: the same work a thread would do,
    minus the hand-over), on PostgreSQL through psycopg's asyncio pool (the loop serves
    other requests while the server answers). Autocommit: a single statement sees one
    consistent snapshot and needs no BEGIN/COMMIT. Takes SQL as the dialect compiles it
    (`?` on SQLite, `%(name)s` on PostgreSQL) and returns rows as mappings.

    The same pool serves transactions on the event loop (`connection()`, used by
    `app.sql_batch.run_steps_async`), which issue their own BEGIN and COMMIT.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pools: dict[tuple[asyncio.AbstractEventLoop, bool], AsyncConnectionPool[Any]] = {}
        self._version_watch: Any = None
        self._version_tag = ""
        self._version_lock = threading.Lock()
        self._pending_versions: dict[asyncio.AbstractEventLoop, asyncio.Future[str]] = {}
        self._snapshot_reads: set[asyncio.Task[None]] = set()

    async def data_version(self) -> str | None:
        """A value that differs after any commit, by any process; None if there is none.

        Two equal values mean nothing was committed in between, so what was read after
        the first one still holds at the second. SQLite: `PRAGMA data_version` of a
        connection that never writes (it counts the commits of every other connection,
        in this process or another). PostgreSQL: the current snapshot (`xmin:xmax:xip`),
        which changes whenever a transaction ends. An in-memory SQLite database has one
        shared connection, whose own commits the pragma does not count: None.

        On PostgreSQL the callers of one turn of the event loop share one read, sent
        after all of them asked (a snapshot taken later than the question is as good an
        answer): one round trip for many concurrent requests.
        """
        if not self._database.is_sqlite:
            loop = asyncio.get_running_loop()
            pending = self._pending_versions.get(loop)
            if pending is None:
                pending = self._pending_versions[loop] = loop.create_future()
                loop.call_soon(self._read_snapshot, loop, pending)
            # Shielded: one caller going away must not cancel the answer of the others.
            return await asyncio.shield(pending)
        if self._database.engine.url.database in (None, "", ":memory:"):
            return None
        with self._version_lock:
            if self._version_watch is None:
                # Out of the pool for good: no request may ever write through it. The
                # pragma counts per connection, from about 1: a new connection's numbers
                # are told apart from an old one's by a tag of its own.
                pooled = self._database.engine.raw_connection()
                self._version_watch = pooled.driver_connection
                self._version_tag = secrets.token_hex(8)
                pooled.detach()
            try:
                (version,) = self._version_watch.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._version_watch.close()
                self._version_watch = None
                raise
        return f"{self._version_tag}:{version}"

    def _read_snapshot(self, loop: asyncio.AbstractEventLoop, answer: asyncio.Future[str]) -> None:
        # From here on a new caller waits for the next read: this one may be sent already.
        del self._pending_versions[loop]

        async def read() -> None:
            try:
                rows = await self.fetch(_SNAPSHOT_SQL, {})
                answer.set_result(str(rows[0]["snapshot"]))
            except asyncio.CancelledError:
                answer.cancel()
                raise
            except Exception as error:  # every waiter gets it (e.g. no pooled connection)
                answer.set_exception(error)

        # Read even when every waiter has gone away meanwhile (no "never retrieved").
        answer.add_done_callback(lambda done: done.cancelled() or done.exception())

        task = loop.create_task(read())
        self._snapshot_reads.add(task)
        task.add_done_callback(self._snapshot_reads.discard)

    def close_version_watch(self) -> None:
        """Close the connection `data_version` reads on SQLite (at shutdown)."""
        with self._version_lock:
            if self._version_watch is not None:
                self._version_watch.close()
                self._version_watch = None

    async def fetch(self, sql: str, parameters: Any) -> Sequence[Row]:
        """The rows of one statement."""
        rows: Sequence[Row] = await self._rows(sql, parameters, tuples=False)
        return rows

    async def fetch_tuples(self, sql: str, parameters: Any) -> Sequence[tuple[Any, ...]]:
        """The rows of one statement as plain tuples, for the hottest reads (a mapping
        per row is a good part of a short read's cost)."""
        rows: Sequence[tuple[Any, ...]] = await self._rows(sql, parameters, tuples=True)
        return rows

    async def _rows(self, sql: str, parameters: Any, *, tuples: bool) -> Any:
        if self._database.is_sqlite:
            # The pooled driver connection as it is: pysqlite's own transaction handling
            # is off (see `create_db_engine`), so a plain SELECT runs in autocommit.
            connection = self._database.engine.raw_connection()
            try:
                cursor: Any = connection.cursor()
                if not tuples:
                    cursor.row_factory = sqlite3.Row
                rows = cursor.execute(sql, parameters).fetchall()
                cursor.close()
                return rows
            finally:
                connection.close()
        pool = await self._pool()
        async with pool.connection() as connection:
            cursor = connection.cursor(row_factory=tuple_row) if tuples else connection.cursor()
            try:
                # Binary results: integers and timestamps load faster than from text.
                await cursor.execute(sql, parameters, binary=True)
            except psycopg.Error as error:
                raise driver_error(error, sql) from error
            return await cursor.fetchall()

    async def read(
        self, statement: Select[*tuple[Any, ...]], values: dict[str, Any]
    ) -> Sequence[Row]:
        """The rows of ``statement`` (compiled once per statement and dialect)."""
        compiled = CompiledRead.cached(statement, self._database.engine.dialect)
        return await self.fetch(compiled.sql, compiled.parameters(values))

    def connection(
        self, *, writing: bool = False
    ) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]:
        """A pooled asyncio connection (PostgreSQL; autocommit, rows as dicts).

        Transactions (``writing``) have a pool of their own: sign-ups queued on a popular
        gig's row lock hold their connections, and must not starve the reads.
        """
        return _PooledConnection(self, writing)

    async def _pool(self, writing: bool = False) -> AsyncConnectionPool[Any]:
        # One pool per event loop: a pool's connections belong to the loop that made them
        # (tests and the CLI may run several loops in one process, one after another).
        loop = asyncio.get_running_loop()
        pool = self._pools.get((loop, writing))
        if pool is None:
            for stale in [key for key in self._pools if key[0].is_closed()]:
                del self._pools[stale]
            url = make_url(self._database.url).set(drivername="postgresql")
            pool = AsyncConnectionPool(
                url.render_as_string(hide_password=False),
                min_size=1,
                max_size=20,
                kwargs={"autocommit": True, "row_factory": dict_row},
                open=False,
            )
            self._pools[(loop, writing)] = pool
            await pool.open(wait=False)
        return pool

    async def close(self) -> None:
        """Close the pools of the running loop (at shutdown)."""
        loop = asyncio.get_running_loop()
        for writing in (False, True):
            pool = self._pools.pop((loop, writing), None)
            if pool is not None:
                await pool.close()


class _PooledConnection:
    """`async with reads.connection() as connection`: the pool is made on first use."""

    def __init__(self, reads: AsyncReads, writing: bool) -> None:
        self._reads = reads
        self._writing = writing
        self._context: AbstractAsyncContextManager[psycopg.AsyncConnection[Any]] | None = None

    async def __aenter__(self) -> psycopg.AsyncConnection[Any]:
        pool = await self._reads._pool(self._writing)
        self._context = pool.connection()
        connection: psycopg.AsyncConnection[Any] = await self._context.__aenter__()
        return connection

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._context is not None
        await self._context.__aexit__(*exc_info)
