"""Engine, session factory and the request-scoped session; SQLite pragmas live here.

A request is one transaction. On SQLite, a request that may write opens it with
``BEGIN IMMEDIATE`` so the write lock is taken before anything is read: a capacity
check and the write that depends on it can then never interleave with another writer,
and no transaction has to upgrade a stale read snapshot (which SQLite refuses with
"database is locked" instead of waiting).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
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
        self.writer = sessionmaker(self.write_engine, expire_on_commit=False)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN; pysqlite's own handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def get_database(request: Request) -> Database:
    """The process's database, set up by the application's lifespan."""
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    database = get_database(request)
    factory = database.writer if request.method in _WRITE_METHODS else database.reader
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
