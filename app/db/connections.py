"""Connections: one pool per process, SQLite's settings, and the driver calls a `Tx` makes.

PostgreSQL: psycopg's asyncio driver and pool, connections in autocommit mode (a
transaction is an explicit BEGIN ... COMMIT, a read one statement), the statements of one
send in one round trip (pipeline mode), without JIT. SQLite: `sqlite3`, each connection
with a thread of its own (a wait for the database's lock never holds up the event loop),
in a pool of the same shape. Each pool holds at most `KLUSMAKELAAR_DB_POOL_SIZE`
connections; a request waiting over `KLUSMAKELAAR_DB_POOL_TIMEOUT` s gets a 503.

SQLite connections run in WAL mode (readers never wait for the writer), with foreign
keys on, a busy timeout for writers of other processes, `secure_delete` (erased data
is overwritten in the file, not left in free pages), reads through `mmap`, and the math
functions the distance needs where SQLite was built without them.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import psycopg
import psycopg_pool
from sqlalchemy import Engine, create_engine, event, make_url

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


class NoConnection(Exception):
    """No database connection came free in time (a load peak): answered 503."""


#: One statement for the driver: SQL, parameters, and whether it returns rows (None: the
#: driver tells, for SQL text).
Statement = tuple[str, Any, bool | None]
#: What the driver gave back for one statement: rows, column names (if known), rowcount.
Result = tuple[list[Any], Sequence[str] | None, int]


class Connection(Protocol):
    """One pooled connection, as a `Tx` uses it."""

    driver_error: type[Exception]

    async def begin(self) -> None:
        """Start a write transaction (sent with the next statements)."""

    async def send(self, statements: Sequence[Statement], *, commit: bool = False) -> list[Result]:
        """Run the statements in order (then COMMIT), in one round trip where it can."""

    async def send_many(self, sql: str, parameters: Sequence[Any]) -> None:
        """One statement for each set of parameters."""

    async def rollback(self) -> None:
        """Roll back the transaction, if one began."""

    async def end(self) -> None:
        """Back to single statements (after a commit or a rollback)."""


class Pool(Protocol):
    """At most `size` connections of one process."""

    async def acquire(self) -> Connection: ...

    async def release(self, connection: Connection, *, broken: bool = False) -> None: ...

    async def close(self) -> None: ...


# --- PostgreSQL -------------------------------------------------------------------------


class PostgresConnection:
    """A psycopg asyncio connection. Outside a transaction every statement commits on
    its own (autocommit); a transaction's BEGIN and COMMIT are psycopg's own, sent with
    the statements around them. Several statements go in one round trip (pipeline mode):
    it costs about the same CPU as one at a time, but holds locks for less time."""

    driver_error: type[Exception] = psycopg.Error

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.raw = connection

    async def begin(self) -> None:
        await self.raw.set_autocommit(False)

    async def send(self, statements: Sequence[Statement], *, commit: bool = False) -> list[Result]:
        if len(statements) == 1 and not commit:
            sql, parameters, _ = statements[0]
            cursor = self.raw.cursor()
            # Binary results: integers and timestamps load faster than from text.
            await cursor.execute(sql, parameters, binary=True)
            return [await _result(cursor, statements[0][2])]
        if not statements:
            if commit:
                await self.raw.commit()
            return []
        async with self.raw.pipeline() as pipeline:
            cursors = []
            for sql, parameters, _ in statements:
                cursor = self.raw.cursor()
                await cursor.execute(sql, parameters, binary=True)
                cursors.append(cursor)
            if commit:
                await self.raw.commit()
            await pipeline.sync()
            return [
                await _result(cursor, returns_rows)
                for cursor, (_, _, returns_rows) in zip(cursors, statements, strict=True)
            ]

    async def send_many(self, sql: str, parameters: Sequence[Any]) -> None:
        await self.raw.cursor().executemany(sql, parameters)

    async def rollback(self) -> None:
        await self.raw.rollback()

    async def end(self) -> None:
        await self.raw.set_autocommit(True)


async def _result(cursor: psycopg.AsyncCursor[Any], returns_rows: bool | None) -> Result:
    if returns_rows is None:
        returns_rows = cursor.description is not None
    if not returns_rows:
        return [], None, cursor.rowcount
    rows = await cursor.fetchall()
    # Column names only for SQL that SQLAlchemy did not compile (they cost a little).
    return rows, None, cursor.rowcount


class PostgresPool:
    """psycopg's asyncio pool, opened on first use in the running event loop."""

    def __init__(self, url: str, *, size: int, timeout: float) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        # No JIT: compiling a report's statement cost 130-150 ms, never earned back.
        options = " ".join(filter(None, [str(parsed.query.get("options") or ""), "-c jit=off"]))
        self._pool: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
            parsed.render_as_string(hide_password=False),
            min_size=1,
            max_size=size,
            timeout=timeout,
            kwargs={"autocommit": True, "options": options},
            open=False,
        )
        self._opened = False

    async def acquire(self) -> Connection:
        if not self._opened:
            self._opened = True
            await self._pool.open(wait=False)
        try:
            return PostgresConnection(await self._pool.getconn())
        except psycopg_pool.PoolTimeout as error:
            raise NoConnection(str(error)) from error

    async def release(self, connection: Connection, *, broken: bool = False) -> None:
        assert isinstance(connection, PostgresConnection)
        # The pool checks the connection's state and throws a broken one away itself.
        await self._pool.putconn(connection.raw)

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()


# --- SQLite -----------------------------------------------------------------------------

_MATH_FUNCTIONS: dict[str, tuple[int, Callable[..., float]]] = {
    "sin": (1, math.sin),
    "cos": (1, math.cos),
    "asin": (1, math.asin),
    "sqrt": (1, math.sqrt),
    "radians": (1, math.radians),
    "power": (2, math.pow),
}


def ensure_math_functions(connection: Any) -> None:
    """The SQL math functions the distance needs, in Python where SQLite lacks them.

    SQLite has them when built with SQLITE_ENABLE_MATH_FUNCTIONS (the default since
    3.35, and Debian's); an older or minimal build gets these slower stand-ins.
    """
    try:
        connection.execute("SELECT sin(0), cos(0), asin(0), sqrt(1), radians(0), power(2, 2)")
    except sqlite3.OperationalError:
        for name, (arity, function) in _MATH_FUNCTIONS.items():
            connection.create_function(name, arity, _null_safe(function), deterministic=True)


def _null_safe(function: Callable[..., float]) -> Callable[..., float | None]:
    def call(*args: float | None) -> float | None:
        return None if None in args else function(*args)

    return call


def configure_sqlite(connection: Any) -> None:
    """The settings every SQLite connection of the service runs with (see the docstring)."""
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "synchronous=NORMAL",
        f"mmap_size={SQLITE_MMAP_BYTES}",
        "secure_delete=ON",
    ):
        connection.execute(f"PRAGMA {pragma}")
    ensure_math_functions(connection)


def sqlite_path(url: str) -> str:
    """The file of a `sqlite:///path` URL (`:memory:` for an in-memory database)."""
    return make_url(url).database or ":memory:"


def open_sqlite(path: str) -> sqlite3.Connection:
    """A configured `sqlite3` connection in autocommit mode (transactions are explicit)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    configure_sqlite(connection)
    return connection


class SqliteConnection:
    """A `sqlite3` connection with a thread of its own.

    A write transaction runs in that thread (the statements of one send together, one
    hand-over however many): it begins with `BEGIN IMMEDIATE`, the database's write lock
    before any read, and a wait for that lock (another process writing) never holds up
    the event loop. Reads run in place, on the event loop (`in_place`): in WAL mode a
    reader waits for no lock, so a short read costs its CPU and nothing more, where
    handing it to a thread costs a switch of Python's GIL, which on a busy loop waits
    up to its 5 ms switch interval. A read that may take long (every volunteer, for the
    matching pool) asks for the thread (`Database.read(long=True)`)."""

    driver_error: type[Exception] = sqlite3.Error

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._raw: sqlite3.Connection | None = None
        self._begin = False
        self._in_transaction = False
        self.in_place = True

    async def open(self) -> None:
        self._raw = await self._call(open_sqlite, self._path)

    async def begin(self) -> None:
        self._begin = True

    async def send(self, statements: Sequence[Statement], *, commit: bool = False) -> list[Result]:
        begin, self._begin = self._begin, False
        if begin:
            self._in_transaction = True
        commit = commit and self._in_transaction
        if self.in_place and not self._in_transaction:
            return self._run(statements, begin, commit)
        results = await self._call(self._run, statements, begin, commit)
        if commit:
            self._in_transaction = False
        return results

    async def send_many(self, sql: str, parameters: Sequence[Any]) -> None:
        if self._begin:
            await self.send([])
        await self._call(lambda: self._connection.executemany(sql, parameters))

    async def rollback(self) -> None:
        self._begin = False
        if self._in_transaction:
            self._in_transaction = False
            await self._call(self._connection.execute, "ROLLBACK")

    async def end(self) -> None:
        self._begin = self._in_transaction = False

    async def close(self) -> None:
        if self._raw is not None:
            await self._call(self._raw.close)
            self._raw = None
        self._thread.shutdown(wait=False)

    def close_now(self) -> None:
        """Close without an event loop (one whose loop is gone)."""
        if self._raw is not None:
            self._thread.submit(self._raw.close).result()
            self._raw = None
        self._thread.shutdown(wait=True)

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._raw is None:
            raise sqlite3.ProgrammingError("the connection is closed")
        return self._raw

    def _run(self, statements: Sequence[Statement], begin: bool, commit: bool) -> list[Result]:
        connection = self._connection
        if begin:
            connection.execute("BEGIN IMMEDIATE")
        results: list[Result] = []
        for sql, parameters, returns_rows in statements:
            cursor = connection.execute(sql, parameters)
            if returns_rows or (returns_rows is None and cursor.description is not None):
                names = [column[0] for column in cursor.description or ()]
                results.append((cursor.fetchall(), names, cursor.rowcount))
            else:
                results.append(([], None, cursor.rowcount))
        if commit:
            connection.execute("COMMIT")
        return results

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)


class SqlitePool:
    """At most ``size`` SQLite connections, the most recently used given out first."""

    def __init__(self, url: str, *, size: int, timeout: float) -> None:
        self._path = sqlite_path(url)
        # An in-memory database lives in one connection.
        self._size = 1 if self._path == ":memory:" else size
        self._timeout = timeout
        self._idle: asyncio.LifoQueue[SqliteConnection] = asyncio.LifoQueue()
        self._all: list[SqliteConnection] = []

    async def acquire(self) -> Connection:
        try:
            return self._idle.get_nowait()
        except asyncio.QueueEmpty:
            pass
        if len(self._all) < self._size:
            connection = SqliteConnection(self._path)
            self._all.append(connection)
            try:
                await connection.open()
            except BaseException:
                self._all.remove(connection)
                await connection.close()
                raise
            return connection
        try:
            return await asyncio.wait_for(self._idle.get(), self._timeout)
        except TimeoutError:
            raise NoConnection(f"no SQLite connection free within {self._timeout} s") from None

    async def release(self, connection: Connection, *, broken: bool = False) -> None:
        assert isinstance(connection, SqliteConnection)
        if broken:
            self._all.remove(connection)
            await connection.close()
            return
        self._idle.put_nowait(connection)

    async def close(self) -> None:
        connections, self._all = self._all, []
        for connection in connections:
            await connection.close()

    def close_now(self) -> None:
        """Close every connection without an event loop (one whose loop is gone)."""
        connections, self._all = self._all, []
        for connection in connections:
            connection.close_now()


def make_pool(url: str, *, size: int, timeout: float) -> Pool:
    """The pool for a database URL (SQLite or PostgreSQL)."""
    if url.startswith("sqlite"):
        return SqlitePool(url, size=size, timeout=timeout)
    return PostgresPool(url, size=size, timeout=timeout)


def migration_engine(url: str) -> Engine:
    """A synchronous SQLAlchemy engine, for Alembic and tools that run outside the service
    (the service itself reads and writes only through `app.db.Database`)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=1, max_overflow=0)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let the "begin" event below emit BEGIN; pysqlite's own handling is off.
        dbapi_connection.isolation_level = None
        configure_sqlite(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
