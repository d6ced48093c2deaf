"""The data layer itself: transactions, retries, batches, savepoints, pools, SQL math."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.db import TRANSACTION_ATTEMPTS, Database, NoConnection, Query, RunAgain, Tx, reads, writes
from app.db.connections import ensure_math_functions
from app.models import Organization
from app.models.base import new_id, utcnow
from tests.direct import run


class _Deadlock(Exception):
    sqlstate = "40P01"


class _Other(Exception):
    sqlstate = "23505"


def _failing(error: Exception, times: int, calls: list[int]) -> Any:
    @writes
    async def work(tx: Tx) -> int:
        calls.append(1)
        await tx.scalar(text("SELECT 1"))
        if len(calls) <= times:
            if isinstance(error, RunAgain):
                raise error
            raise OperationalError("UPDATE gigs ...", None, error)
        return len(calls)

    return work


def test_a_deadlock_victim_runs_again(database_url: str) -> None:
    database = Database(database_url)
    calls: list[int] = []
    assert run(database, _failing(_Deadlock(), 1, calls)(database)) == 2
    calls.clear()
    assert run(database, _failing(RunAgain(), 2, calls)(database)) == 3  # asked to run again
    calls.clear()
    with pytest.raises(OperationalError):  # gives up after TRANSACTION_ATTEMPTS
        run(database, _failing(_Deadlock(), TRANSACTION_ATTEMPTS, calls)(database))
    assert len(calls) == TRANSACTION_ATTEMPTS
    calls.clear()
    with pytest.raises(OperationalError):  # anything else is not retried
        run(database, _failing(_Other(), 1, calls)(database))
    assert len(calls) == 1
    database.dispose()


def _organization(name: str) -> dict[str, Any]:
    now = utcnow()
    return {"id": new_id("org"), "name": name, "kind": "broker", "created_at": now,
            "updated_at": now}  # fmt: skip


_COUNT = select(func.count()).select_from(Organization)


def test_a_transaction_commits_all_or_nothing(database_url: str) -> None:
    database = Database(database_url)

    @writes
    async def two(tx: Tx, *, fail: bool) -> None:
        await tx.run(insert(Organization), _organization("Een"))
        tx.defer(insert(Organization), _organization("Twee"))
        if fail:
            raise ValueError("changed my mind")

    @reads
    async def count(tx: Tx) -> int:
        return int(await tx.scalar(_COUNT))

    with pytest.raises(ValueError, match="changed my mind"):
        run(database, two(database, fail=True))
    assert run(database, count(database)) == 0
    run(database, two(database, fail=False))
    assert run(database, count(database)) == 2
    database.dispose()


def test_deferred_statements_go_before_the_next_and_a_batch_keeps_its_order(
    database_url: str,
) -> None:
    database = Database(database_url)

    @writes
    async def work(tx: Tx) -> tuple[int, list[list[Any]]]:
        first = _organization("Eerste")
        tx.defer(insert(Organization), first)  # not sent yet
        seen = int(await tx.scalar(_COUNT))  # sent first, then this read: it counts it
        tx.defer(update(Organization).where(Organization.id == first["id"]).values(name="Eén"))
        named = select(Organization.name).where(Organization.id == first["id"])
        batch = await tx.batch(Query.of(named), Query.of(_COUNT), Query.of(named))
        return seen, batch

    seen, (before, counted, after) = run(database, work(database))
    assert seen == 1
    assert [row.name for row in before] == ["Eén"] == [row.name for row in after]
    assert counted[0][0] == 1
    database.dispose()


def test_a_savepoint_undoes_only_its_part(database_url: str) -> None:
    database = Database(database_url)
    kept = _organization("Blijft")

    @writes
    async def work(tx: Tx) -> None:
        await tx.run(insert(Organization), kept)
        with pytest.raises(IntegrityError):
            async with tx.savepoint():
                await tx.run(insert(Organization), {**_organization("Dubbel"), "id": kept["id"]})
        await tx.run(insert(Organization), _organization("Ook"))

    run(database, work(database))
    assert run(database, reads(lambda tx: tx.scalar(_COUNT))(database)) == 2
    database.dispose()


def test_a_read_cannot_write(database_url: str) -> None:
    database = Database(database_url)

    async def attempt() -> None:
        async with database.read() as tx:
            await tx.run(insert(Organization), _organization("Stiekem"))

    with pytest.raises(RuntimeError, match="cannot write"):
        run(database, attempt())
    database.dispose()


def test_no_free_connection_in_time_is_no_connection(database_url: str) -> None:
    database = Database(database_url, pool_size=1, pool_timeout=0.05)

    async def two_at_once() -> None:
        async with database.read() as tx:
            await tx.scalar(text("SELECT 1"))
            async with database.read():
                pass  # pragma: no cover - the second connection never comes

    with pytest.raises(NoConnection):
        run(database, two_at_once())
    database.dispose()


def test_no_free_connection_is_a_503_problem(client: TestClient) -> None:
    app: Any = client.app

    @app.get("/_busy")
    async def busy() -> None:
        raise NoConnection("no connection within 10 s")

    response = client.get("/_busy")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "service-busy"


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
    ensure_math_functions(bare)
    assert set(bare.created) == {"sin", "cos", "asin", "sqrt", "radians", "power"}
    arity, power = bare.created["power"]
    assert (arity, power(2.0, 3.0), power(None, 3.0)) == (2, 8.0, None)
    native = sqlite3.connect(":memory:")
    ensure_math_functions(native)  # present: nothing replaced, and they work
    assert native.execute("SELECT round(power(2, 10))").fetchone() == (1024.0,)


def test_start_up_refuses_more_connections_than_postgresql_allows(settings: Any) -> None:
    from app.main import TooManyConnections, check_connection_budget

    database = Database(settings.database_url)
    modest = settings.model_copy(update={"workers": 1, "db_pool_size": 5})
    greedy = settings.model_copy(update={"workers": 64, "db_pool_size": 500})
    run(database, check_connection_budget(database, modest))
    if database.is_sqlite:  # SQLite has no connection limit
        run(database, check_connection_budget(database, greedy))
    else:
        with pytest.raises(TooManyConnections, match="max_connections"):
            run(database, check_connection_budget(database, greedy))
    database.dispose()


def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    """What `alembic check` runs in CI, in the suite: a model change without its migration
    (or a migration whose names differ from the models') fails here first."""
    import warnings

    from alembic import command
    from alembic.util.exc import AutogenerateDiffsDetected

    from app.migrate import alembic_config

    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; Alembic warns and skips them.
        warnings.simplefilter("ignore", UserWarning)
        try:
            command.check(alembic_config(database_url))
        except AutogenerateDiffsDetected as differences:
            pytest.fail(str(differences))


def test_the_migrations_go_down_and_up_again_keeping_the_triggers(tmp_path: Any) -> None:
    """Every migration downgrades (CI also runs this round trip); a downgrade on SQLite
    must not copy a table and lose its row-version trigger (migration 0007)."""
    from alembic import command

    from app.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'round_trip.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "0008")
    with sqlite3.connect(tmp_path / "round_trip.db") as connection:
        triggers = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}  # fmt: skip
    assert {"volunteers_row_version", "signups_row_version"} <= triggers
    command.downgrade(alembic_config(url), "base")
    command.upgrade(alembic_config(url), "head")
