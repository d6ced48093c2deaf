"""The month a report line or gig falls in, from the bound UTC starts of the period's
months (`month_start_<i>`, from the second month on) and their keys (`month_key_<i>`):
SQLite has no time zones, and the same expression serves both databases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, case, cast

from app.models import ReportLine


def month_start(index: int) -> Any:
    """The bound UTC start of the period's month ``index`` (from 1 on)."""
    return bindparam(f"month_start_{index}", type_=ReportLine.starts_at.type)


def month_of_start(months: int, starts_at: Any) -> ColumnElement[Any]:
    """`YYYY-MM` of the Amsterdam month ``starts_at`` falls in, from the bound UTC starts of
    the months (SQLite has no time zones; PostgreSQL would need its own expression)."""
    keys = [cast(bindparam(f"month_key_{index}", type_=String), String) for index in range(months)]
    return by_month(starts_at, keys)


def by_month(
    starts_at: Any, values: Sequence[ColumnElement[Any]], first: int = 0
) -> ColumnElement[Any]:
    """The value of the month ``starts_at`` falls in, of months ``first``... (one value
    each): halving the months at each step, so a line costs a few comparisons, not one
    per month."""
    if len(values) == 1:
        return values[0]
    middle = len(values) // 2
    return case(
        (starts_at < month_start(first + middle), by_month(starts_at, values[:middle], first)),
        else_=by_month(starts_at, values[middle:], first + middle),
    )
