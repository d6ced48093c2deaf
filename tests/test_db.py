"""The database layer's own helpers: transactions run again after a deadlock, SQL math."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db import TRANSACTION_ATTEMPTS, Database, _ensure_math_functions, run_transaction


class _Deadlock(Exception):
    sqlstate = "40P01"


class _Other(Exception):
    sqlstate = "23505"


def _failing(error: type[Exception], times: int, calls: list[int]) -> Any:
    def work(session: Session) -> int:
        calls.append(1)
        session.execute(text("SELECT 1"))
        if len(calls) <= times:
            raise OperationalError("UPDATE gigs ...", None, error())
        return len(calls)

    return work


def test_a_deadlock_victim_runs_again(database_url: str) -> None:
    database = Database(database_url)
    calls: list[int] = []
    assert asyncio.run(run_transaction(database, _failing(_Deadlock, 1, calls))) == 2
    calls.clear()
    with pytest.raises(OperationalError):  # gives up after TRANSACTION_ATTEMPTS
        asyncio.run(run_transaction(database, _failing(_Deadlock, TRANSACTION_ATTEMPTS, calls)))
    assert len(calls) == TRANSACTION_ATTEMPTS
    calls.clear()
    with pytest.raises(OperationalError):  # anything else is not retried
        asyncio.run(run_transaction(database, _failing(_Other, 1, calls)))
    assert len(calls) == 1
    database.dispose()


class _BareSQLite:
    """A connection whose SQLite was built without math functions."""

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}

    def execute(self, _sql: str) -> None:
        raise sqlite3.OperationalError("no such function: sin")

    def create_function(self, name: str, arity: int, function: Any, **_: Any) -> None:
        self.created[name] = (arity, function)


def test_math_functions_are_supplied_where_sqlite_lacks_them() -> None:
    bare = _BareSQLite()
    _ensure_math_functions(bare)
    assert set(bare.created) == {"sin", "cos", "asin", "sqrt", "radians", "power"}
    arity, power = bare.created["power"]
    assert (arity, power(2.0, 3.0), power(None, 3.0)) == (2, 8.0, None)
    native = sqlite3.connect(":memory:")
    _ensure_math_functions(native)  # present: nothing replaced, and they work
    assert native.execute("SELECT round(power(2, 10))").fetchone() == (1024.0,)


def test_a_route_transaction_that_lost_a_deadlock_runs_again(database_url: str) -> None:
    from app.db import _finishing_transaction

    database = Database(database_url)
    calls: list[int] = []
    work = _failing(_Deadlock, 1, calls)

    def endpoint(session: Session) -> int:
        return int(work(session))

    with database.writer() as session:
        assert _finishing_transaction(endpoint)(session=session) == 2
    database.dispose()


def test_no_free_connection_is_a_503_problem(client: Any) -> None:
    from psycopg_pool import PoolTimeout

    app = client.app

    @app.get("/_busy")
    def busy() -> None:
        raise PoolTimeout("couldn't get a connection after 30.00 sec")

    response = client.get("/_busy")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "service-busy"
