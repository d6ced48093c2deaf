"""Declarative base, column types and id generation shared by every table."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite gives naive values back, so attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


# Crockford's base32: its digits sort in ASCII order, so ids sort as their numbers do.
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_id_lock = threading.Lock()
_last_id = (0, 0)


def new_id(prefix: str) -> str:
    """An opaque id that sorts by creation time: prefix, 48-bit milliseconds, 80 random bits.

    Within one millisecond of one process the random part counts up (as in ULIDs), so
    ids made one after another always sort in that order.
    """
    global _last_id
    with _id_lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last_id
        if millis <= last_millis:
            millis, random_part = last_millis, last_random + 1
        else:
            random_part = int.from_bytes(os.urandom(10), "big") >> 1
        _last_id = (millis, random_part)
    value = (millis << 80) | random_part
    digits = [_ID_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5)]
    return f"{prefix}_{''.join(digits)}"
