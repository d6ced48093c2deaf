"""Short statements of one transaction straight on the driver, and id lists as one parameter.

`run_batch` runs statements in order and returns their rows as mappings. On PostgreSQL
each statement is compiled once per process and executed on the psycopg connection
itself: SQLAlchemy's per-execution work (cache-key lookup, parameter processing, result
set-up) costs more than such a statement's round trip. On SQLite they run through the
SQLAlchemy connection as usual.

`in_ids(column, "name")` is `column IN (<list>)` with the list bound as one parameter
(`= ANY(%(name)s)` on PostgreSQL, `IN (SELECT value FROM json_each(?))` on SQLite), so
its SQL text does not depend on the list's length and can be compiled once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from sqlalchemy import Boolean, Connection, Select, bindparam
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.db import CompiledRead, Database, driver_error, with_retries_async

Statement = Select[*tuple[Any, ...]]


class IdList(TypeDecorator[list[str]]):
    """A list of ids as one bound value: an array (PostgreSQL) or JSON text (SQLite)."""

    impl = TypeEngine
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        from sqlalchemy import ARRAY, String, Text

        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


class in_ids(FunctionElement[bool]):
    """`in_ids(column, "people")`: the column is one of the ids bound as ``people``."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, bindparam(name, type_=IdList()))


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY({ids})"


@compiles(in_ids)
def _in_ids_sqlite(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both are SQL compiled by SQLAlchemy (a column, a bound parameter), never values.
    return f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608


Rows = Sequence[Mapping[str, Any]]
T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """Statements for a driver to run in order, in one transaction.

    A statement is a SQLAlchemy Core statement, or (PostgreSQL only) driver SQL with
    `%(name)s` parameters. ``commit`` lets the asyncio driver end the transaction with
    these statements, sent together with the COMMIT (pipeline mode); the sync driver
    leaves committing to its caller, whose transaction it runs in.
    """

    statements: list[tuple[Any, Any]]
    commit: bool = False


#: A transaction written once for every driver: it yields the `Step`s it needs and gets
#: back each step's rows (one list per statement); what it returns is the result.
Steps = Generator[Step, list[Rows], T]


def _driver_sql(statement: Any, dialect: Dialect, values: Any) -> tuple[str, Any]:
    if isinstance(statement, str):
        return statement, values
    compiled = CompiledRead.cached(statement, dialect)
    return compiled.sql, compiled.parameters(values)


def run_batch(connection: Connection, statements: Sequence[tuple[Statement, Any]]) -> list[Rows]:
    """The rows of each statement, run in order in the connection's transaction.

    The values are passed to the driver as they are (no bind processing): datetimes
    aware, id lists as lists.
    """
    return _run_step(connection, Step(list(statements)))


def run_steps(connection: Connection, steps: Steps[T]) -> T:
    """Drive ``steps`` on a SQLAlchemy connection (in a worker thread)."""
    try:
        step = next(steps)
        while True:
            step = steps.send(_run_step(connection, step))
    except StopIteration as done:
        result: T = done.value
        return result


def _run_step(connection: Connection, step: Step) -> list[Rows]:
    if connection.dialect.name != "postgresql":
        results = []
        for statement, values in step.statements:
            result = connection.execute(statement, values)
            results.append(result.mappings().all() if result.returns_rows else [])
        return cast(list[Rows], results)
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    prepared = [
        _driver_sql(statement, connection.dialect, values) for statement, values in step.statements
    ]
    try:
        # One after another, not in pipeline mode: psycopg's pipeline costs more CPU than
        # these short round trips save in a worker thread (1.13 against 0.97 ms a sign-up).
        cursor = driver.cursor(row_factory=dict_row)
        return [_rows(cursor.execute(sql, values)) for sql, values in prepared]
    except psycopg.Error as error:
        raise driver_error(error, prepared[0][0]) from error


def _rows(cursor: Any) -> Rows:
    return cursor.fetchall() if cursor.description is not None else []


async def run_steps_async(database: Database, make_steps: Callable[[], Steps[T]]) -> T:
    """Drive the steps on the event loop, on PostgreSQL, with psycopg's asyncio pool.

    No worker thread: the loop serves other requests while the server answers. The
    transaction is explicit (the pool's connections are in autocommit mode). A deadlock
    victim, or steps that raise `RunAgain`, run again from the start (`with_retries_async`).
    """

    async def attempt() -> T:
        async with database.reads.connection(writing=True) as connection:
            return await _drive_async(connection, make_steps())

    return await with_retries_async(attempt)


async def _drive_async(connection: psycopg.AsyncConnection[Any], steps: Steps[T]) -> T:
    # Each step is one round trip (pipeline mode): in asyncio every awaited statement
    # costs the event loop a wake-up, which is most of a short statement's cost. The
    # transaction's BEGIN goes with the first step, its COMMIT with the last.
    dialect = _POSTGRESQL
    sql = "BEGIN"
    begin = True
    try:
        step = next(steps)
        while True:
            prepared = [
                _driver_sql(statement, dialect, values) for statement, values in step.statements
            ]
            sql = prepared[0][0]
            async with connection.pipeline() as pipeline:
                if begin:
                    await connection.execute("BEGIN")
                    begin = False
                cursors = [await connection.execute(text, values) for text, values in prepared]
                if step.commit:
                    await connection.execute("COMMIT")
                await pipeline.sync()  # the results (and their descriptions) are in
                results = [await _rows_async(cursor) for cursor in cursors]
            step = steps.send(results)
    except StopIteration as done:
        if connection.info.transaction_status != TransactionStatus.IDLE:
            await connection.execute("COMMIT")
        result: T = done.value
        return result
    except psycopg.Error as error:
        await _roll_back(connection)
        raise driver_error(error, sql) from error
    except BaseException:
        await _roll_back(connection)
        raise


async def _rows_async(cursor: Any) -> Rows:
    return await cursor.fetchall() if cursor.description is not None else []


async def _roll_back(connection: psycopg.AsyncConnection[Any]) -> None:
    if connection.info.transaction_status != TransactionStatus.IDLE:
        await connection.execute("ROLLBACK")


_POSTGRESQL: Dialect = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]
