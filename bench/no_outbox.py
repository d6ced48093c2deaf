"""The app with its outbox write removed, for `bench_events.py` only: what do the event
rows (and the dispatcher's wake-ups) cost a sign-up? Not a way to run the service.

A sign-up's event statement becomes `SELECT 1 WHERE false` (sent in the same round trip
as before, so what is measured is the row and its work, not one statement less in the
pipeline); every other event is not recorded, and no commit wakes the dispatcher.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import false, literal, select

from app.db import Query
from app.db.tx import Tx
from app.services import events

_NOTHING = select(literal(1)).where(false())


def create_app() -> FastAPI:
    """`app.main.create_app`, events off."""

    def record(*_args: Any, **_kwargs: Any) -> None:
        return None

    def no_note(_tx: Tx, _event_type: str) -> None:
        return None

    events.record = record  # type: ignore[assignment]
    events.signup_taken = lambda _signup: Query.of(_NOTHING)  # type: ignore[assignment]
    Tx.note_event = no_note  # type: ignore[method-assign]
    from app.main import create_app as create

    return create()
