"""Hot reads: the GETs that clients poll, answered without FastAPI's route matching and
dependency solving.

For a kept answer, FastAPI's per-request work (matching through every included router,
solving each dependency, validating parameters) costs more than the answer itself:
`GET /gigs/{id}` from the cache ran at 0.45x `/healthz` through FastAPI and above 1x
as a plain Starlette route (`bench/bench_gig_read.py`, PostgreSQL). So each hot read is
written once, as a function of the request, and reached two ways:

- a `HotRoute`, first in the application's routes, takes a GET of its path whose query
  parameters need no validation the endpoint does not do itself: ``checked`` names the
  parameters FastAPI would validate from the route's signature, each with the values it
  allows; a request with any other value goes on;
- the FastAPI route of the same path, which declares the operation (OpenAPI, security,
  errors), validates what it declares and calls the same function: every request the
  hot route does not take (another method, a value to refuse with 422) ends there.

Errors raised by a hot endpoint go through the application's exception handlers like
any other route's, since the route runs inside Starlette's exception middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

HotEndpoint = Callable[[Request], Awaitable[Response]]


class HotRoute(Route):
    """A GET of ``path`` answered by ``endpoint`` when its query parameters in
    ``checked`` (if any) hold only the values allowed there; others are not taken."""

    def __init__(
        self,
        path: str,
        endpoint: HotEndpoint,
        *,
        checked: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)
        self.checked = dict(checked or {})

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        if self.checked and not self._plain(scope["query_string"]):
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            return Match.NONE, {}
        # FastAPI's router records only its own routes in the scope; the access log and
        # the metrics read the route's path template from there.
        return match, {**child_scope, "route": self}

    def _plain(self, query_string: bytes) -> bool:
        """Whether every value of a checked parameter is one it allows."""
        if not query_string:
            return True
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            allowed = self.checked.get(name)
            if allowed is not None and value not in allowed:
                return False
        return True
