"""The Idempotency-Key records (`app.idempotency` says how keys work): a key is claimed
in a short transaction of its own, with a random claim token; the outcome is recorded in
the request's own transaction (`IdempotencyStore.finish`), or the key released.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.db import Database, Tx, writes
from app.db.held import HeldTransaction
from app.errors import IdempotencyInProgress, IdempotencyKeyReused
from app.models import IdempotencyRecord
from app.models.base import utcnow

RETENTION = timedelta(hours=48)
# A claim this old belongs to a request that died (a crash, a lost connection): a retry
# may take it over. Safe however short, thanks to the claim token (module docstring).
STALE_CLAIM = timedelta(seconds=30)
PURGE_INTERVAL_SECONDS = 600.0


@dataclass(frozen=True)
class StoredResponse:
    """A finished response to replay."""

    status_code: int
    content_type: str | None
    location: str | None
    body: bytes


_RECORD = select(IdempotencyRecord).where(
    IdempotencyRecord.caller == bindparam("caller"), IdempotencyRecord.key == bindparam("key")
)


def _running() -> IdempotencyInProgress:
    error = IdempotencyInProgress("The first request with this key is running.")
    error.headers = {**(error.headers or {}), "Retry-After": "1"}
    return error


@writes
async def _claim(tx: Tx, caller: str, key: str, request_hash: str) -> StoredResponse | str:
    """The response to replay, or the claim token of a new (or taken over) claim."""
    existing = await tx.row(_RECORD, caller=caller, key=key)
    claim = secrets.token_hex(16)
    if existing is None:
        try:
            async with tx.savepoint():
                await tx.run(
                    insert(IdempotencyRecord),
                    caller=caller,
                    key=key,
                    request_hash=request_hash,
                    claim=claim,
                    created_at=utcnow(),
                )
        except IntegrityError:
            raise _running() from None
        return claim
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused("Use a new key for a different request.")
    if existing.status_code is None:
        if utcnow() - existing.created_at < STALE_CLAIM:
            raise _running()
        taken_over = await tx.run(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == existing.id,
                   IdempotencyRecord.claim == existing.claim,
                   IdempotencyRecord.status_code.is_(None))
            .values(claim=claim, created_at=utcnow())
        )  # fmt: skip
        if not taken_over:  # the first request finished (or let go) meanwhile: ask again
            raise _running()
        return claim
    assert existing.body is not None
    return StoredResponse(
        existing.status_code, existing.content_type, existing.location, existing.body
    )


def _ours(caller: str, key: str, claim: str) -> Any:
    return (
        (IdempotencyRecord.caller == caller)
        & (IdempotencyRecord.key == key)
        & (IdempotencyRecord.claim == claim)
    )


async def _finish(
    tx: Tx, caller: str, key: str, claim: str, response: StoredResponse, subject: str | None
) -> None:
    """Record the response, in the transaction of the request's effect."""
    recorded = await tx.run(
        update(IdempotencyRecord)
        .where(_ours(caller, key, claim))
        .values(
            status_code=response.status_code,
            content_type=response.content_type,
            location=response.location,
            body=response.body,
            subject=subject,
        )
    )
    if not recorded:
        # A retry took the claim over: this request's effect must not commit as well.
        raise _running()


async def _release_with_effect(tx: Tx, caller: str, key: str, claim: str) -> None:
    """Release the key, in the transaction of what the (unsuccessful) request did."""
    await tx.run(
        delete(IdempotencyRecord).where(
            _ours(caller, key, claim), IdempotencyRecord.status_code.is_(None)
        )
    )


@writes
async def _release(tx: Tx, caller: str, key: str, claim: str) -> None:
    await _release_with_effect(tx, caller, key, claim)


@writes
async def _purge(tx: Tx) -> None:
    await tx.run(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
    )


class IdempotencyStore:
    """Claims keys (a transaction of their own) and records outcomes (in the request's)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._last_purge = 0.0

    async def claim(self, caller: str, key: str, request_hash: str) -> StoredResponse | str:
        """The claim token of a new claim, or the response to replay; raises 409/422 as
        the contract says."""
        await self._purge_now_and_then()
        return await _claim(self.database, caller, key, request_hash)

    async def finish(
        self,
        held: HeldTransaction,
        claim: tuple[str, str, str],
        response: StoredResponse,
        subject: str | None = None,
    ) -> None:
        """Commit the request's writes with its response (``subject``: the volunteer the
        response is about)."""
        await held.commit(_finish, *claim, response, subject)

    async def release_with_effect(self, held: HeldTransaction, claim: tuple[str, str, str]) -> None:
        """Commit what an unsuccessful request did, and free its key."""
        await held.commit(_release_with_effect, *claim)

    async def release(self, claim: tuple[str, str, str]) -> None:
        """Free the key of a request that failed as a whole (its writes rolled back)."""
        await _release(self.database, *claim)

    async def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_INTERVAL_SECONDS:
            return
        self._last_purge = now
        await _purge(self.database)
