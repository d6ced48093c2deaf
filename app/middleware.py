"""Pure ASGI middleware: request id, access log, metrics and the headers of every
response; the request body limit."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import unquote_plus

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge, problem_response
from app.logging_setup import request_id_var

access_logger = logging.getLogger("klusmakelaar.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Query parameters whose values are never logged (`token`, `hub.verify_token`, ...).
# `t`: the token of a sign-up's or a confirmation's link (`app.web`).
_SECRET_PARAMETER = re.compile(r"token|secret|password|signature|key|code|^t$", re.IGNORECASE)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
MAX_LOGGED_TARGET = 1000
_READS = frozenset({"GET", "HEAD"})


def header(scope: Scope, name: bytes) -> str | None:
    """A request header from the ASGI scope (names in lower case), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Accepts or generates `X-Request-ID`, echoes it, logs the request once (secret query
    values as `***`), records metrics, and adds the headers every response needs.

    Every response says `X-Content-Type-Options: nosniff`. A response that may hold
    personal data gets `Cache-Control: no-store` unless its handler set a Cache-Control
    of its own: every answer to a request with an `Authorization` header, and every
    answer to a method other than GET and HEAD (a volunteer's registration with its
    token, and its idempotent replay). Anonymous reads keep their handler's caching.
    """

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "klusmakelaar_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "klusmakelaar_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()
        personal = scope["method"] not in _READS or header(scope, b"authorization") is not None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                if personal and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"]
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(elapsed)
            access_logger.info(
                "%s %s -> %d in %.1f ms", method, logged_target(scope), status, elapsed * 1000
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Answers 413 for bodies over the limit, counting bytes as they arrive.

    A declared Content-Length over the limit is refused before reading. Otherwise the
    body is counted while the application reads it; at the first byte over the limit
    reading stops with an error and whatever the application answers is replaced by 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(f"The body is over {self.max_bytes} bytes.")
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if exceeded:
                if not replaced:
                    replaced = True
                    await self._too_large(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except PayloadTooLarge:
            if not replaced:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            PayloadTooLarge.type,
            PayloadTooLarge.title,
            f"The body is over {self.max_bytes} bytes.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def logged_target(scope: Scope) -> str:
    """The path and query as received, for the log: secret query values are `***`."""
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        target += "?" + "&".join(_masked(parameter) for parameter in query.split("&"))
    return _UNPRINTABLE.sub("?", target[:MAX_LOGGED_TARGET])


def _masked(parameter: str) -> str:
    name, equals, _ = parameter.partition("=")
    if equals and _SECRET_PARAMETER.search(unquote_plus(name)):
        return f"{name}=***"
    return parameter


def route_template(scope: Scope) -> str:
    """The matched route's path template, e.g. `/api/v1/gigs/{gig_id}`."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
