"""Keyset pagination: opaque cursors and the Page[T] envelope.

A cursor is the sort key of the last item of a page (for example ``[starts_at, id]``),
as base64url-encoded JSON. The next page continues strictly after that key, so rows
inserted meanwhile neither shift nor repeat items. Decoding checks the shape and the
type of every value: a tampered cursor is a 400 ``invalid-cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.errors import InvalidCursor

T = TypeVar("T")
CursorValue = str | int | float | datetime | None
MAX_CURSOR_LENGTH = 1024


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` for the next one (null at the end)."""

    items: list[T]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=200, description="Page size, 1–200.")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page."),
]


def encode_cursor(values: Sequence[CursorValue]) -> str:
    """The opaque cursor for a sort key."""
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _coerce(value: Any, expected: type, nullable: bool) -> CursorValue:
    if value is None and nullable:
        return None
    if expected is datetime:
        if not isinstance(value, str):
            raise InvalidCursor()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCursor() from None
        if moment.tzinfo is None:
            raise InvalidCursor()
        return moment
    if expected is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if expected is str and isinstance(value, str):
        return value
    if expected is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidCursor()


def decode_cursor(
    cursor: str, types: Sequence[type], *, nullable: Sequence[bool] | None = None
) -> list[CursorValue]:
    """The sort key inside ``cursor``; checks length and the type of each value."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor() from None
    if not isinstance(values, list) or len(values) != len(types):
        raise InvalidCursor()
    flags = nullable or [False] * len(types)
    return [
        _coerce(value, kind, flag) for value, kind, flag in zip(values, types, flags, strict=True)
    ]


def split_page(
    rows: Sequence[T], limit: int, key: Callable[[T], Sequence[CursorValue]]
) -> tuple[list[T], str | None]:
    """A page from up to ``limit + 1`` fetched rows, and the cursor after it (None at the end)."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode_cursor(key(kept[-1]))
