"""`in_ids(column, "name")`: the column is one of a list of ids bound as ONE parameter.

`= ANY(%(name)s)` on PostgreSQL, `IN (SELECT value FROM json_each(?))` on SQLite: the
SQL text does not depend on the list's length, so it is compiled (and, on PostgreSQL,
prepared) once, where `column.in_(ids)` is rendered anew for every length.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Boolean, Integer, String, Text, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


class IdList(TypeDecorator[list[Any]]):
    """A list of ids (strings, or integers for an integer column) as one bound value: an
    array (PostgreSQL) or JSON text (SQLite)."""

    impl = TypeEngine
    cache_ok = True

    def __init__(self, integers: bool = False) -> None:
        super().__init__()
        self.integers = integers

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger() if self.integers else String()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


class in_ids(FunctionElement[bool]):
    """`in_ids(column, "people")`: the column is one of the ids bound as ``people``."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column: Any, name: str) -> None:
        integers = isinstance(getattr(column, "type", None), Integer)
        super().__init__(column, bindparam(name, type_=IdList(integers)))


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY({ids})"


@compiles(in_ids)
def _in_ids_sqlite(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both are SQL compiled by SQLAlchemy (a column, a bound parameter), never values.
    return f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608
