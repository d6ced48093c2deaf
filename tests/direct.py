"""The tests' direct line to the database: a plain SQLAlchemy session on the engine that
Alembic migrates with, to set up states no endpoint makes and to check what was stored.
The service itself never takes this way (it reads and writes through `app.db.Database`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.db import Database
from app.db.connections import migration_engine

T = TypeVar("T")


@contextmanager
def db_session(app: FastAPI | str) -> Iterator[Session]:
    """A session on the app's database (or a database URL); `session.begin()` to write."""
    url = app if isinstance(app, str) else app.state.database.url
    engine = migration_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def run(database: Database, work: Coroutine[Any, Any, T]) -> T:
    """``work`` (a service call) run in an event loop of its own, the connections it
    opened closed afterwards: for tests that call services without HTTP."""

    async def run_and_close() -> T:
        try:
            return await work
        finally:
            await database.close()

    return asyncio.run(run_and_close())


@contextmanager
def db_connection(app: FastAPI | str) -> Iterator[Connection]:
    """A plain connection to the app's database (for query plans and settings)."""
    url = app if isinstance(app, str) else app.state.database.url
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
