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

from sqlalchemy.exc import DBAPIError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import Database
from app.errors import (
    AppError,
    BadRequest,
    Unauthorized,
    problem_response,
)
from app.idempotency_store import IdempotencyStore, StoredResponse
from app.middleware import header

# Internal response headers a handler sets, read and removed here: the volunteer whose
# personal data the body holds (erased with them), and top-level fields that hold
# secrets shown once (stored as null, so a replay never reveals them again).
SUBJECT_HEADER = "x-klusmakelaar-idempotency-subject"
REDACT_HEADER = "x-klusmakelaar-idempotency-redact"
# POSTs that create nothing and whose answer is the same every time: a key changes
# nothing there (and would hold the request's transaction through its timing delay).
NOT_KEYED = frozenset({"/api/v1/volunteers/login-codes"})
# Visible ASCII except the double quote, 1–255 characters, optionally in double quotes.
KEY_PATTERN = re.compile(r'"([!#-~]{1,255})"|([!#-~]{1,255})')


def parse_key(raw: str) -> str:
    """The key from the header, accepted quoted or bare."""
    match = KEY_PATTERN.fullmatch(raw.strip())
    if match is None:
        raise BadRequest("Idempotency-Key must be 1–255 visible ASCII characters, quoted or bare.")
    return match.group(1) or match.group(2)


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
