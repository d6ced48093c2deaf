"""The Idempotency-Key mechanism for every POST under /api/v1.

The first request with a key claims it by inserting a row (unique per caller and key)
in its own short transaction, with a random claim token. The request then runs with its
writes held in one transaction (`Database.holding`), and the response is recorded in
that same transaction before it is sent: the effect and its record commit together, so
after a crash (`kill -9`) a retry either replays the response or finds nothing done. A
2xx is recorded for replay; any other outcome commits what the request did and releases
the key, so that the client can retry. A later request with the same key replays the
stored status, body and Location; the same key with a different method, path or body
(bodies compared as parsed JSON) is 422; a retry while the first still runs is 409.
A claim whose request died (nothing committed) is taken over after `STALE_CLAIM`; the
claim token makes the old request, should it still finish, roll back instead of
committing a second effect. The caller is a hash of the Authorization header (a client
address when anonymous), so keys of different callers never meet. Records are kept for
48 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import Database, Tx, writes
from app.db.unit_of_work import HeldTransaction
from app.errors import (
    AppError,
    BadRequest,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Unauthorized,
    problem_response,
)
from app.middleware import header
from app.models import IdempotencyRecord
from app.models.base import utcnow

RETENTION = timedelta(hours=48)
# Internal response headers a handler sets, read and removed here: the volunteer whose
# personal data the body holds (erased with them), and top-level fields that hold
# secrets shown once (stored as null, so a replay never reveals them again).
SUBJECT_HEADER = "x-klusmakelaar-idempotency-subject"
REDACT_HEADER = "x-klusmakelaar-idempotency-redact"
# POSTs that create nothing and whose answer is the same every time: a key changes
# nothing there (and would hold the request's transaction through its timing delay).
NOT_KEYED = frozenset({"/api/v1/volunteers/login-codes"})
# A claim this old belongs to a request that died (a crash, a lost connection): a retry
# may take it over. Safe however short, thanks to the claim token (module docstring).
STALE_CLAIM = timedelta(seconds=30)
PURGE_INTERVAL_SECONDS = 600.0
# Visible ASCII except the double quote, 1–255 characters, optionally in double quotes.
KEY_PATTERN = re.compile(r'"([!#-~]{1,255})"|([!#-~]{1,255})')


@dataclass(frozen=True)
class StoredResponse:
    """A finished response to replay."""

    status_code: int
    content_type: str | None
    location: str | None
    body: bytes


def parse_key(raw: str) -> str:
    """The key from the header, accepted quoted or bare."""
    match = KEY_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise BadRequest("Idempotency-Key must be 1–255 visible ASCII characters, quoted or bare.")
    return match.group(1) or match.group(2)


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


class IdempotencyMiddleware:
    """Applies the mechanism to every POST under the API prefix that sends the header."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/v1") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if (
            raw_key is None
            or scope["method"] != "POST"
            or not str(scope["path"]).startswith(self.prefix)
            or str(scope["path"]) in NOT_KEYED
        ):
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(raw_key)
        except AppError as error:
            await _problem(error, scope, receive, send)
            return
        body = await _read_body(receive)
        client = scope.get("client") or ("unknown", 0)
        caller = caller_identity(header(scope, b"authorization"), str(client[0]))
        request_hash = request_fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        store: IdempotencyStore = scope["app"].state.idempotency
        try:
            stored = await store.claim(caller, key, request_hash)
        except AppError as error:
            await _problem(error, scope, receive, send)
            return
        if isinstance(stored, StoredResponse):
            # A replay is only for a caller whose credentials still hold (a revoked key
            # or an erased volunteer gets 401 at once, stored responses or not).
            if not await _credentials_hold(scope):
                await _problem(
                    Unauthorized("The token is unknown or revoked."), scope, receive, send
                )
                return
            await _replay(stored, scope, receive, send)
            return
        await self._run_and_store(scope, receive, body, send, store, (caller, key, stored))

    async def _run_and_store(
        self,
        scope: Scope,
        receive: Receive,
        body: bytes,
        send: Send,
        store: IdempotencyStore,
        claim: tuple[str, str, str],
    ) -> None:
        """Run the request with its writes held; commit them with the record of the
        response, and only then send the response."""
        start: Message | None = None
        chunks: list[bytes] = []
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        database: Database = scope["app"].state.database
        try:
            async with database.holding() as held:
                await self.app(scope, replay_receive, capture_send)
                if start is None:
                    raise RuntimeError("the application sent no response")
                headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in start.get("headers", [])
                }
                if 200 <= start["status"] < 300:
                    response = StoredResponse(
                        start["status"],
                        headers.get("content-type"),
                        headers.get("location"),
                        _redacted(b"".join(chunks), headers.get(REDACT_HEADER)),
                    )
                    await store.finish(held, claim, response, headers.get(SUBJECT_HEADER))
                else:
                    try:
                        await store.release_with_effect(held, claim)
                    except DBAPIError:  # its transaction failed (PostgreSQL): undone
                        await store.release(claim)
        except AppError as error:  # the claim was taken over: nothing of this one committed
            await _problem(error, scope, receive, send)
            return
        except BaseException:
            if not held.committed:
                await store.release(claim)
            raise
        await send({**start, "headers": _public_headers(start)})
        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})


def _public_headers(start: Message) -> list[tuple[bytes, bytes]]:
    internal = {SUBJECT_HEADER.encode(), REDACT_HEADER.encode()}
    return [
        (name, value) for name, value in start.get("headers", []) if name.lower() not in internal
    ]


def _redacted(body: bytes, fields: str | None) -> bytes:
    """The body to store: secrets that are shown once are never kept for a replay."""
    if not fields:
        return body
    document = json.loads(body)
    for name in fields.split(","):
        if name.strip() in document:
            document[name.strip()] = None
    return json.dumps(document, separators=(",", ":")).encode()


def caller_identity(authorization: str | None, client_host: str) -> str:
    """Whom a key belongs to: a hash of the credentials, or of the client address."""
    identity = f"bearer:{authorization}" if authorization else f"anonymous:{client_host}"
    return hashlib.sha256(identity.encode()).hexdigest()


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same" for a key: method, path, query and body (a
    JSON body as parsed: whitespace and the order of keys do not count)."""
    return hashlib.sha256(
        b"\n".join([method.encode(), path.encode(), query, _canonical(body)])
    ).hexdigest()


def _canonical(body: bytes) -> bytes:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep: the bytes as they are
        return body
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


async def _credentials_hold(scope: Scope) -> bool:
    """Whether the request's bearer token (if any) still resolves to a principal."""
    from app.auth import resolve_token

    authorization = header(scope, b"authorization")
    if authorization is None:
        return True
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    state = scope["app"].state  # the middleware's way to the app's one database
    principal = await resolve_token(state.database, state.settings, token.strip())
    return principal is not None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _problem(error: AppError, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        error.status, error.type, error.title, error.detail, headers=error.headers
    )
    await response(scope, receive, send)


async def _replay(stored: StoredResponse, scope: Scope, receive: Receive, send: Send) -> None:
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    response = Response(
        stored.body, status_code=stored.status_code, headers=headers, media_type=stored.content_type
    )
    await response(scope, receive, send)
