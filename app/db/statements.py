"""SQLAlchemy Core statements, compiled once per dialect and run straight on the driver.

Every query of the service is a Core statement (`select`, `insert`, `update`, `delete`,
or `text`), run by a `Tx` (`app.db.unit_of_work`). This module turns a statement into
what the driver takes, the way SQLAlchemy's own `Connection.execute` does, minus the
parts this service does not use (execution events, result-set objects, the ORM):

- compiled through SQLAlchemy's statement cache (`_compile_w_cache`: the same cache key
  and column keys give the same compiled form, so a statement built anew per request is
  compiled once), then planned once per compiled form (`Plan`);
- values bound with SQLAlchemy's own type processors (an aware datetime is stored as
  SQLAlchemy stores it, JSON as JSON, ...), Python-side column defaults filled in (ids,
  timestamps), `IN (list)` expanded;
- rows converted back with the types' result processors into `Row`s: tuples whose
  columns are read by name (`row.title`, `row["title"]`).

Running a short statement this way costs about a third of `AsyncConnection.execute`
(measured: 73 against 201 µs of CPU for an indexed read on PostgreSQL), which is most
of what a sign-up or a list costs.
"""

from __future__ import annotations

import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Dialect, Numeric
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import LRUCache

Values = Mapping[str, Any]


class Row(tuple[Any, ...]):
    """A result row: a tuple whose columns are also read by name (`row.id`, `row["id"]`)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: Mapping[str, int] = {}

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        """The column names, in order (so that `dict(row)` works)."""
        return self._fields

    def as_dict(self) -> dict[str, Any]:
        """The row as a dictionary of column name to value."""
        return dict(zip(self._fields, self, strict=True))


def row_class(names: Sequence[str]) -> type[Row]:
    """A `Row` class for these column names (duplicates and odd names get `_<n>` names)."""
    base = namedtuple("_Columns", names, rename=True)  # type: ignore[misc]
    fields: tuple[str, ...] = base._fields
    return type(
        "Row", (base, Row), {"__slots__": (), "_index": {n: i for i, n in enumerate(fields)}}
    )


_Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """How to run one compiled statement: its SQL, its values' order and conversions."""

    sql: str
    positions: tuple[str, ...] | None  # parameter names in order (SQLite's `?`), else named
    escaped: Mapping[str, str]  # bind names the driver sees differently
    bind_processors: Mapping[str, _Processor]
    expands: bool  # `IN (list)` or other parameters rendered per execution
    prefetch: tuple[tuple[str, Any], ...]  # (bind name, default) computed in Python when absent
    returns_rows: bool | None  # None: the driver tells (SQL text)
    is_dml: bool
    row_type: type[Row] | None
    result_processors: tuple[_Processor | None, ...] | None


#: Compiled statements by SQLAlchemy's cache key (the same cache `Engine` keeps).
_COMPILED: LRUCache[Any, Any] = LRUCache(2000)
_PLANS: weakref.WeakKeyDictionary[SQLCompiler, Plan] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def prepare(
    statement: Executable, dialect: Dialect, values: Values | Sequence[Values]
) -> tuple[Plan, list[Any] | Any]:
    """The plan of ``statement`` and the driver's parameters for ``values``.

    ``values`` is one mapping, or a sequence of mappings for an executemany (then the
    parameters are a list, one entry per mapping).
    """
    many: Sequence[Values] | None = None if isinstance(values, Mapping) else values
    first: Values = (many[0] if many else {}) if many is not None else cast(Values, values)
    compiled, extracted, collected, _ = statement._compile_w_cache(
        dialect=dialect,
        compiled_cache=_COMPILED,
        column_keys=sorted(first),
        for_executemany=many is not None,
        schema_translate_map=None,
        linting=0,
    )
    assert isinstance(compiled, SQLCompiler)
    plan = _plan(compiled)
    if many is not None:
        return plan, [_parameters(compiled, plan, value, extracted, collected)[1] for value in many]
    sql, parameters = _parameters(compiled, plan, first, extracted, collected)
    if sql != plan.sql:
        plan = _with_sql(plan, sql)
    return plan, parameters


def _with_sql(plan: Plan, sql: str) -> Plan:
    return Plan(sql, None, plan.escaped, plan.bind_processors, plan.expands, plan.prefetch,
                plan.returns_rows, plan.is_dml, plan.row_type, plan.result_processors)  # fmt: skip


def _plan(compiled: SQLCompiler) -> Plan:
    plan = _PLANS.get(compiled)
    if plan is not None:
        return plan
    with _plans_lock:
        plan = _PLANS.get(compiled)
        if plan is None:
            plan = _PLANS[compiled] = _make_plan(compiled)
    return plan


def _make_plan(compiled: SQLCompiler) -> Plan:
    dialect = compiled.dialect
    prefetch: list[tuple[str, Any]] = []
    if compiled.insert_prefetch or compiled.update_prefetch:
        key_of = compiled._within_exec_param_key_getter
        prefetch += [(key_of(column), column.default) for column in compiled.insert_prefetch]
        prefetch += [(key_of(column), column.onupdate) for column in compiled.update_prefetch]
    columns = compiled._result_columns
    returns_rows: bool | None = bool(columns) or bool(getattr(compiled, "returning", None))
    if compiled.isplaintext:
        returns_rows = None
    row_type = row_class([entry.keyname for entry in columns]) if columns else None
    processors = None
    if columns:
        processors = tuple(_result_processor(entry.type, dialect) for entry in columns)
        if not any(processors):
            processors = None
    return Plan(
        sql=compiled.string,
        positions=tuple(compiled.positiontup or ()) if compiled.positional else None,
        escaped=dict(compiled.escaped_bind_names or {}),
        bind_processors={k: v for k, v in compiled._bind_processors.items() if callable(v)},
        expands=bool(compiled.post_compile_params or compiled.literal_execute_params),
        prefetch=tuple(prefetch),
        returns_rows=returns_rows,
        is_dml=bool(compiled.isinsert or compiled.isupdate or compiled.isdelete),
        row_type=row_type,
        result_processors=processors,
    )


def _result_processor(type_: Any, dialect: Dialect) -> _Processor | None:
    """The type's result processor. PostgreSQL's numbers: the driver already gives floats
    and Decimals, and SQLAlchemy's processor wants the column's type code, which it
    reads from the cursor (not read here): a Decimal read into a float column becomes a
    float."""
    try:
        processor: _Processor | None = type_._cached_result_processor(dialect, None)
    except TypeError:
        if isinstance(type_, Numeric) and not type_.asdecimal:
            return _to_float
        return None
    return processor


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _parameters(
    compiled: SQLCompiler,
    plan: Plan,
    values: Values,
    extracted: Any,
    collected: Any,
) -> tuple[str, Any]:
    """The SQL (changed only by expansion) and the driver's parameters for one mapping."""
    parameters = compiled.construct_params(
        dict(values),
        extracted_parameters=extracted,
        escape_names=False,
        _collected_params=collected,
    )
    for name, default in plan.prefetch:
        if name not in values and default is not None:
            parameters[name] = default.arg(None) if default.is_callable else default.arg
    sql = plan.sql
    processors: Mapping[str, _Processor] = plan.bind_processors
    positions = plan.positions
    if plan.expands:
        expanded = compiled._process_parameters_for_postcompile(parameters)
        sql = expanded.statement
        parameters = dict(expanded.parameters)
        processors = {**processors, **{k: v for k, v in expanded.processors.items() if callable(v)}}
        positions = tuple(expanded.positiontup) if expanded.positiontup is not None else None
    if positions is not None:
        return sql, tuple(
            processors[name](parameters[name]) if name in processors else parameters[name]
            for name in positions
        )
    return sql, {
        plan.escaped.get(name, name): (processors[name](value) if name in processors else value)
        for name, value in parameters.items()
    }


def make_rows(plan: Plan, raw: Sequence[Sequence[Any]], names: Sequence[str] | None) -> list[Row]:
    """The driver's rows as `Row`s, each value through its type's result processor."""
    row_type = plan.row_type
    if row_type is None:  # textual SQL: the names the driver reports
        row_type = row_class(list(names or ()))
    processors = plan.result_processors
    if processors is None:
        return [tuple.__new__(row_type, values) for values in raw]
    return [
        tuple.__new__(
            row_type,
            [
                value if p is None or value is None else p(value)
                for p, value in zip(processors, values, strict=True)
            ],
        )
        for values in raw
    ]


def database_error(error: Exception, sql: str, base: type[Exception]) -> DBAPIError:
    """A driver error as SQLAlchemy raises it (`IntegrityError`, `DataError`, ...), without
    the values (they may hold secrets), so one set of handlers covers every driver."""
    wrapped = DBAPIError.instance(sql, None, error, base, hide_parameters=True)
    assert isinstance(wrapped, DBAPIError)
    return wrapped
