"""Hot reads (`app.hot_routes`): which requests a hot route takes, and that its answers
are those of the FastAPI route of the same path, request for request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional, get_args
from urllib.parse import urlparse

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from app.config import Settings
from app.hot_routes import HotRoute
from app.main import create_app
from app.routers import calendars, gigs, reports
from tests.factories import ADMIN, make_association, make_gig, organization_with_key
from tests.integrations.calendar_helpers import PUBLIC_FEED

#: Headers that differ between any two requests, and a feed's Last-Modified: when the
#: app (each has its own cache) first made the feed in its present form.
PER_REQUEST = {"x-request-id", "date", "last-modified"}


async def _ok(request: object) -> None:  # pragma: no cover - never called
    raise AssertionError


def _scope(method: str, path: str, query: bytes = b"") -> Scope:
    return {"type": "http", "method": method, "path": path, "query_string": query}


def test_a_hot_route_takes_only_plain_gets_of_its_path() -> None:
    route = HotRoute("/api/v1/things/{thing_id}", _ok)  # type: ignore[arg-type]
    match, child = route.matches(_scope("GET", "/api/v1/things/abc", b"anything=1"))
    assert match is Match.FULL
    assert child["path_params"] == {"thing_id": "abc"}
    # Another method, path or scope type goes on to the other routes (no 405 from here).
    assert route.matches(_scope("PATCH", "/api/v1/things/abc"))[0] is Match.NONE
    assert route.matches(_scope("POST", "/api/v1/things/abc"))[0] is Match.NONE
    assert route.matches(_scope("GET", "/api/v1/things/abc/more"))[0] is Match.NONE
    assert (
        route.matches({**_scope("GET", "/api/v1/things/abc"), "type": "websocket"})[0] is Match.NONE
    )


def test_a_checked_parameter_with_a_value_it_does_not_allow_goes_on() -> None:
    route = HotRoute("/feed.ics", _ok, checked={"lang": frozenset({"nl", "en"})})  # type: ignore[arg-type]
    assert route.matches(_scope("GET", "/feed.ics"))[0] is Match.FULL
    assert route.matches(_scope("GET", "/feed.ics", b"lang=en&token=x"))[0] is Match.FULL
    assert route.matches(_scope("GET", "/feed.ics", b"lang=fr"))[0] is Match.NONE
    assert route.matches(_scope("GET", "/feed.ics", b"lang="))[0] is Match.NONE
    # Every value counts, not only the one an endpoint would read.
    assert route.matches(_scope("GET", "/feed.ics", b"lang=nl&lang=xx"))[0] is Match.NONE
    assert route.matches(_scope("GET", "/feed.ics", b"lang=%65n"))[0] is Match.FULL


def test_hot_routes_come_first_and_each_path_is_documented(app: FastAPI) -> None:
    hot = [route for route in app.router.routes if isinstance(route, HotRoute)]
    assert len(hot) >= 6
    assert app.router.routes[: len(hot)] == hot
    paths = app.openapi()["paths"]
    for route in hot:
        assert "get" in paths[route.path], route.path


class RouteRecorder:
    """The app, noting which route answered each request."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.routes: list[object] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.routes.append(scope.get("route"))


@pytest.fixture
def recorder(app: FastAPI) -> RouteRecorder:
    return RouteRecorder(app)


@pytest.fixture
def hot(recorder: RouteRecorder) -> Iterator[TestClient]:
    """A client of the app as it is (hot routes first)."""
    with TestClient(recorder, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def plain(settings: Settings) -> Iterator[TestClient]:
    """A client of a second app on the same database, without its hot routes: every
    request is answered by the FastAPI routes."""
    application = create_app(settings)
    application.router.routes[:] = [
        route for route in application.router.routes if not isinstance(route, HotRoute)
    ]
    with TestClient(application, raise_server_exceptions=False) as test_client:
        yield test_client
    application.state.database.dispose()


def _fixed(body: bytes) -> bytes:
    """The body without the random id pygal gives each chart it draws."""
    return re.sub(rb"chart-[0-9a-f-]{36}", b"chart-id", body)


def _same(hot: TestClient, plain: TestClient, path: str, headers: dict[str, str]) -> int:
    """The request answered alike by both apps (status, headers, body); the status."""
    fast, slow = hot.get(path, headers=headers), plain.get(path, headers=headers)
    assert (fast.status_code, _fixed(fast.content)) == (slow.status_code, _fixed(slow.content))
    kept = {name: value for name, value in fast.headers.items() if name not in PER_REQUEST}
    assert kept == {k: v for k, v in slow.headers.items() if k not in PER_REQUEST}, path
    return fast.status_code


def test_hot_and_fastapi_routes_answer_alike(
    hot: TestClient, plain: TestClient, recorder: RouteRecorder
) -> None:
    organization, own = organization_with_key(hot)
    gig = make_gig(hot, own)
    draft = make_gig(hot, own, status="draft")
    association, _ = make_association(hot)
    calendar = urlparse(association["calendar_url"])
    feed_etag = hot.get(PUBLIC_FEED).headers["etag"]
    report = "/api/v1/reports/impact?from=2026-01-01&to=2026-12-31&group_by=area"
    cases: list[tuple[str, dict[str, str], int]] = [
        (f"/api/v1/gigs/{gig['id']}", {}, 200),
        (f"/api/v1/gigs/{gig['id']}", own, 200),
        (f"/api/v1/gigs/{draft['id']}", {}, 404),
        (f"/api/v1/gigs/{draft['id']}", own, 200),
        ("/api/v1/gigs/gig_unknown", {}, 404),
        (f"/api/v1/gigs/{gig['id']}", {"Authorization": "Bearer not-a-token"}, 401),
        ("/api/v1/gigs?area=oosterpoort", {}, 200),
        ("/api/v1/gigs?limit=0", {}, 422),
        ("/api/v1/gigs?status=draft", own, 200),
        (PUBLIC_FEED, {}, 200),
        (PUBLIC_FEED + "?lang=en", {}, 200),
        (PUBLIC_FEED, {"If-None-Match": feed_etag}, 304),
        (PUBLIC_FEED + "?category=nonsense", {}, 422),
        (f"{calendar.path}?{calendar.query}", {}, 200),
        (f"{calendar.path}?token=wrong", {}, 404),
        (f"{calendar.path}", {}, 404),
        (report, ADMIN, 200),
        (report, own, 200),
        (report, {"Accept": "text/csv", **own}, 200),
        (report, {}, 401),
        ("/api/v1/reports/impact?from=2026-12-31&to=2026-01-01&group_by=area", ADMIN, 422),
        ("/api/v1/reports/impact.svg?from=2026-01-01&to=2026-12-31&group_by=month", ADMIN, 200),
        ("/api/v1/reports/public?from=2025-01-01&to=2025-12-31&group_by=area", {}, 200),
        ("/api/v1/reports/public?from=2025-01-02&to=2025-12-31&group_by=area", {}, 422),
    ]
    for path, headers, status in cases:
        recorder.routes.clear()
        assert _same(hot, plain, path, headers) == status, path
        assert isinstance(recorder.routes[-1], HotRoute), (path, recorder.routes)
    # A value the hot route does not check itself is the FastAPI route's to refuse.
    recorder.routes.clear()
    assert _same(hot, plain, PUBLIC_FEED + "?lang=fr", {}) == 422
    assert not isinstance(recorder.routes[-1], HotRoute)
    assert organization["id"]


def test_other_methods_on_a_hot_path_reach_their_routes(hot: TestClient) -> None:
    _, own = organization_with_key(hot)
    gig = make_gig(hot, own)
    changed = hot.patch(f"/api/v1/gigs/{gig['id']}", json={"title": "Nieuwe titel"}, headers=own)
    assert changed.status_code == 200, changed.text
    assert hot.get(f"/api/v1/gigs/{gig['id']}").json()["title"] == "Nieuwe titel"
    assert hot.head(f"/api/v1/gigs/{gig['id']}").status_code == 200
    assert hot.delete(f"/api/v1/gigs/{gig['id']}", headers=own).status_code == 405
    assert hot.post("/api/v1/calendar/gigs.ics").status_code == 405


def _plain_text(annotation: object) -> bool:
    """Whether a parameter of this type takes any text as it comes (no validation)."""
    return annotation in (str, str | None, Optional[str])  # noqa: UP045 (both spellings)


def _parameters(dependant: Any) -> list[Any]:
    found = [*dependant.query_params, *dependant.header_params, *dependant.cookie_params]
    for sub in dependant.dependencies:
        found += _parameters(sub)
    return found


def test_every_parameter_fastapi_validates_on_a_hot_path_is_checked(app: FastAPI) -> None:
    """A parameter added to a hot path's FastAPI route must not lose its validation on
    the hot route: either it takes any text, or the hot route checks its values."""
    twins = {
        route.path: route
        for module in (gigs, calendars, reports)
        for route in module.router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    }
    hot = [route for route in app.router.routes if isinstance(route, HotRoute)]
    assert hot
    for route in hot:
        twin = twins[route.path]
        for parameter in _parameters(twin.dependant):
            if not _plain_text(parameter.field_info.annotation):
                assert parameter.alias in route.checked, (route.path, parameter.alias)
                allowed = set(get_args(parameter.field_info.annotation))
                assert route.checked[parameter.alias] == allowed, (route.path, parameter.alias)
