"""`Tx`: the statements of one unit of work, on one connection.

Statements run in the order given; see the class docstring for the three ways to save
round trips (`batch`, `defer`, `commit`). How a statement becomes what the driver takes
is `app.db.statements`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import NoResultFound, StatementError
from sqlalchemy.sql.base import Executable

from app.db.connections import Connection
from app.db.statements import Plan, Row, Values, database_error, make_rows, prepare


@dataclass(frozen=True, slots=True)
class Query:
    """A statement and its values, for `Tx.batch`."""

    statement: Executable
    values: Values

    @classmethod
    def of(cls, statement: Executable, /, **values: Any) -> Query:
        """`Query.of(GIG_BY_ID, gig_id=gig_id)`."""
        return cls(statement, values)


class Tx:
    """Statements on one connection: a transaction (`@writes`), or single reads.

    Statements run in the order given. To save round trips, which are most of what a
    short statement costs: `batch` sends several at once (they must not need each
    other's results), and `defer` holds one back until something is sent next (the
    next statement, or the COMMIT). On PostgreSQL what is sent together goes in one
    round trip; on SQLite in one hand-over to the connection's thread.
    """

    def __init__(self, connection: Connection, dialect: Dialect, *, writing: bool) -> None:
        self._connection = connection
        self.dialect = dialect
        self.writing = writing
        self._deferred: list[tuple[Plan, Any]] = []
        self._savepoints = 0
        #: Part of a `HeldTransaction`: `commit` sends its statements without committing.
        self.held = False
        #: The types of the events this transaction recorded (`services.events`).
        self.events: list[str] = []

    async def rows(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> list[Row]:
        """Every row of ``statement``, its bound parameters given by name."""
        ((rows, _),) = await self._send([(statement, {**(values or {}), **named})])
        return rows

    async def row(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> Row | None:
        """The first row, or None."""
        rows = await self.rows(statement, values, **named)
        return rows[0] if rows else None

    async def one(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> Row:
        """The first row; `NoResultFound` when there is none."""
        rows = await self.rows(statement, values, **named)
        if not rows:
            raise NoResultFound("the statement returned no row")
        return rows[0]

    async def scalar(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> Any:
        """The first column of the first row, or None."""
        rows = await self.rows(statement, values, **named)
        return rows[0][0] if rows else None

    async def scalars(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in await self.rows(statement, values, **named)]

    async def run(
        self, statement: Executable, values: Values | None = None, /, **named: Any
    ) -> int:
        """Run a statement for its effect; the number of rows it changed."""
        ((_, count),) = await self._send([(statement, {**(values or {}), **named})])
        return count

    async def counts(self, *queries: Query) -> list[int]:
        """Run statements for their effect, sent together; how many rows each changed."""
        results = await self._send([(query.statement, query.values) for query in queries])
        return [count for _, count in results]

    async def batch(self, *queries: Query) -> list[list[Row]]:
        """The rows of each query, sent together (see the class docstring), in order."""
        results = await self._send([(query.statement, query.values) for query in queries])
        return [rows for rows, _ in results]

    async def commit(self, *queries: Query) -> list[list[Row]]:
        """End the transaction with ``queries``: they and the COMMIT are sent together (one
        round trip on PostgreSQL, so locks they take are held for their execution only);
        their rows come back once committed. What runs afterwards in this `Tx` runs on
        its own, as in a read."""
        results = await self._send(
            [(query.statement, query.values) for query in queries], commit=not self.held
        )
        return [rows for rows, _ in results]

    def defer(self, statement: Executable, values: Values | None = None, /, **named: Any) -> None:
        """Run a statement whose result is not needed with whatever is sent next (at the
        latest the COMMIT). Its errors surface there."""
        self._deferred.append(self._prepare(statement, {**(values or {}), **named}))

    async def run_many(self, statement: Executable, values: Sequence[Values]) -> None:
        """Run a statement once for each mapping of values (inserts of several rows)."""
        if not values:
            return
        await self._flush()
        plan, parameters = prepare(statement, self.dialect, values)
        self._check_may_run(plan)
        try:
            await self._connection.send_many(plan.sql, parameters)
        except self._connection.driver_error as error:
            raise database_error(error, plan.sql, self._connection.driver_error) from error

    def note_event(self, event_type: str) -> None:
        """Say that the transaction recorded an event (told to `Database.listen`ers once
        it commits)."""
        self.events.append(event_type)

    def insert(self, table: Any) -> Any:
        """An INSERT for this database that can say what to do on a conflict
        (`.on_conflict_do_nothing()`, `.on_conflict_do_update()`)."""
        module = postgresql if self.dialect.name == "postgresql" else sqlite
        return module.insert(table)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that is undone alone when it raises."""
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        noted = len(self.events)
        await self.run(text(f"SAVEPOINT {name}"))
        try:
            yield
        except BaseException:
            await self.run(text(f"ROLLBACK TO SAVEPOINT {name}"))
            await self.run(text(f"RELEASE SAVEPOINT {name}"))
            del self.events[noted:]  # what was undone is not told
            raise
        await self.run(text(f"RELEASE SAVEPOINT {name}"))

    def _prepare(self, statement: Executable, values: Values) -> tuple[Plan, Any]:
        try:
            plan, parameters = prepare(statement, self.dialect, values)
        except (ValueError, OverflowError, TypeError) as error:
            # A value no column type can hold (as SQLAlchemy reports it while binding).
            raise StatementError(str(error), None, None, error) from error
        self._check_may_run(plan)
        return plan, parameters

    def _check_may_run(self, plan: Plan) -> None:
        if plan.is_dml and not self.writing:
            raise RuntimeError("a read (`Database.read`, `@reads`) cannot write: use `@writes`")

    async def _flush(self) -> None:
        if self._deferred:
            await self._send([])

    async def _commit(self) -> None:
        await self._send([], commit=True)

    async def _send(
        self, items: Sequence[tuple[Executable, Values]], *, commit: bool = False
    ) -> list[tuple[list[Row], int]]:
        prepared = [self._prepare(statement, values) for statement, values in items]
        deferred, self._deferred = self._deferred, []
        plans = [*deferred, *prepared]
        try:
            results = await self._connection.send(
                [(plan.sql, parameters, plan.returns_rows) for plan, parameters in plans],
                commit=commit,
            )
        except self._connection.driver_error as error:
            sql = plans[0][0].sql if plans else ""
            raise database_error(error, sql, self._connection.driver_error) from error
        return [
            ((make_rows(plan, raw, names) if raw else []), count)
            for (plan, _), (raw, names, count) in zip(
                prepared, results[len(deferred) :], strict=True
            )
        ]
