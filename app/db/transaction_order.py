"""Where a transaction stands in commit order, for readers of a log that must never skip.

A row's position in a log, given when it is inserted, is not the order in which rows
become visible: a transaction that began earlier may commit later. A reader at the head
would move past the earlier position before it became visible, and never see it.

- `current_txid()`: the writing transaction's id (PostgreSQL `pg_current_xact_id()`), to
  store with each row. On SQLite, 0: one transaction writes at a time (`BEGIN
  IMMEDIATE`), so positions are given in commit order already.
- `settled_txid()`: every transaction with a smaller id has ended, committed or not
  (PostgreSQL: the oldest transaction still running in the statement's snapshot,
  `pg_snapshot_xmin`). A reader that takes only rows with `txid < settled_txid()`, in
  (txid, position) order, reads a prefix of the log that can no longer grow. On SQLite,
  a value above every txid.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

SQLITE_SETTLED = 1  # above SQLite's txid, which is always 0


class current_txid(FunctionElement[int]):
    """The id of the transaction the statement runs in (0 on SQLite)."""

    type = BigInteger()
    inherit_cache = True


class settled_txid(FunctionElement[int]):
    """Every transaction with a smaller id has ended (see the module docstring)."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid, "postgresql")
def _current_txid_postgresql(element: current_txid, compiler: SQLCompiler, **kw: Any) -> str:
    return "pg_current_xact_id()::text::bigint"


@compiles(current_txid)
def _current_txid_sqlite(element: current_txid, compiler: SQLCompiler, **kw: Any) -> str:
    return "0"


@compiles(settled_txid, "postgresql")
def _settled_txid_postgresql(element: settled_txid, compiler: SQLCompiler, **kw: Any) -> str:
    return "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


@compiles(settled_txid)
def _settled_txid_sqlite(element: settled_txid, compiler: SQLCompiler, **kw: Any) -> str:
    return str(SQLITE_SETTLED)
