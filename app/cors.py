"""Cross-origin requests from browsers (`KLUSMAKELAAR_CORS_ORIGINS`): which front ends
may call the API, and what they may send and read."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.middleware import header

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "If-Match")
EXPOSED_HEADERS = ("ETag", "Location", "Retry-After", "Idempotent-Replayed")
#: How long a browser may reuse a preflight's answer (Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = 600

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_ORIGIN_SHAPE = (
    "an origin is scheme://host[:port] without a path, "
    "e.g. 'https://app.example.org' or 'http://localhost:5173'"
)


def browser_origin(value: str) -> str:
    """``value`` as a browser sends it in `Origin`: lower case, without a default port
    (`HTTPS://App.example.org:443` → `https://app.example.org`); ValueError if it is not
    an http(s) origin."""
    if value.strip() == "*":
        raise ValueError(f"'*' is not allowed: list the origins of the front ends; {_ORIGIN_SHAPE}")
    refused = ValueError(f"{value!r} is not an origin: {_ORIGIN_SHAPE}")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise refused from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or any(mark in value for mark in "?#")
        or not (_HOST_NAME.match(host) or _is_ipv6(host))
    ):
        raise refused
    scheme = parts.scheme.lower()
    if _is_ipv6(host):
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


class CrossOriginMiddleware(CORSMiddleware):
    """Starlette's CORS for the configured origins only; other origins get no CORS header.

    A request from an origin that is not listed goes to the application as if CORS did
    not exist (a preflight from it is the 405 of any OPTIONS). Every response says
    `Vary: Origin`, so that no cache hands an answer made for one origin to another.
    """

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            # Bearer tokens, never cookies: the browser sends no credentials of its own.
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE,
        )
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and header(scope, b"origin") in self.origins:
            await super().__call__(scope, receive, send)
            return

        async def send_varying_by_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A header line of its own: the same as one more item in an existing Vary.
                headers = [*message.get("headers", ()), (b"vary", b"Origin")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_varying_by_origin)

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's answer to a preflight; a refusal as problem+json."""
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        return problem_response(
            400,
            "cors-preflight-refused",
            "The preflight asks for a method or header this API does not accept",
            f"Methods: {', '.join(ALLOWED_METHODS)}. "
            f"Request headers besides the safelisted ones: {', '.join(ALLOWED_HEADERS)}.",
            headers={
                name: value
                for name, value in answer.headers.items()
                if name.startswith("access-control-") or name == "vary"
            },
        )


def install_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Let browsers on ``origins`` call the app; with none, add nothing at all.

    The layer wraps the whole middleware stack, Starlette's last-resort error handler
    included: a preflight is answered before any other layer (authentication,
    idempotency, the database) sees it, and every response to a listed origin, a 413
    of the body limit and an unexpected 500 as much as a 404, carries
    `Access-Control-Allow-Origin`, so that a front end reads the problem details instead
    of an opaque network error.
    """
    if not origins:
        return
    build_stack = app.build_middleware_stack

    def build_stack_with_cors() -> ASGIApp:
        return CrossOriginMiddleware(build_stack(), origins)

    app.build_middleware_stack = build_stack_with_cors  # type: ignore[method-assign]
