"""HEAD wherever GET is answered: GET's status and headers, and no body, over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.factories import ADMIN, make_gig, organization_with_key
from tests.integrations.calendar_helpers import PUBLIC_FEED

#: Headers that differ between any two requests.
PER_REQUEST = {"x-request-id"}


class BodyRecorder:
    """The app, noting the body bytes it gives the server for each response (an HTTP
    client drops a HEAD response's body itself, so only here can it be seen)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.bodies.append(b"".join(chunks))


@pytest.fixture
def recorder(app: FastAPI) -> BodyRecorder:
    """The app under test, its response bodies recorded."""
    return BodyRecorder(app)


@pytest.fixture
def wire(recorder: BodyRecorder) -> Iterator[TestClient]:
    """An HTTP client for the recorded app."""
    with TestClient(recorder, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def gig_id(wire: TestClient) -> str:
    """An open gig, so that lists, feeds and the gig itself have something to show."""
    _, organization = organization_with_key(wire)
    return str(make_gig(wire, organization)["id"])


def comparable(response: httpx.Response) -> dict[str, str]:
    """The response's headers, without those that differ per request."""
    return {name: value for name, value in response.headers.items() if name not in PER_REQUEST}


@pytest.mark.parametrize(
    ("path", "admin"),
    [
        ("/api/v1/gigs", False),
        ("/api/v1/gigs/{gig_id}", False),
        ("/api/v1/gigs/{gig_id}/signups", True),
        ("/api/v1/api-keys", True),
        ("/api/v1/does-not-exist", False),
        ("/healthz", False),
        ("/readyz", False),
        (PUBLIC_FEED, False),
        ("/openapi.json", False),
        ("/docs", False),
        ("/docs-assets/swagger-ui.css", False),
    ],
)
def test_head_answers_as_get_without_the_body(
    wire: TestClient, recorder: BodyRecorder, gig_id: str, path: str, admin: bool
) -> None:
    url = path.format(gig_id=gig_id)
    headers = ADMIN if admin else {}
    get = wire.get(url, headers=headers)
    head = wire.head(url, headers=headers)

    assert head.status_code == get.status_code
    assert comparable(head) == comparable(get)
    assert recorder.bodies[-1] == b""
    if get.status_code == 200:
        assert int(head.headers["content-length"]) == len(get.content) > 0


def test_head_on_a_gig_carries_its_etag(wire: TestClient, gig_id: str) -> None:
    head = wire.head(f"/api/v1/gigs/{gig_id}")
    assert head.status_code == 200
    assert head.headers["etag"] == wire.get(f"/api/v1/gigs/{gig_id}").headers["etag"]
    assert head.headers["content-type"] == "application/json"


def test_head_with_if_none_match_is_304(
    wire: TestClient, recorder: BodyRecorder, gig_id: str
) -> None:
    etag = wire.head(PUBLIC_FEED).headers["etag"]
    head = wire.head(PUBLIC_FEED, headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert head.headers["etag"] == etag
    assert recorder.bodies[-1] == b""
    assert wire.head(PUBLIC_FEED, headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/matching/assignments",
        "/api/v1/gigs/{gig_id}/cancel",
        "/api/v1/integrations/bridge/messages",
    ],
)
def test_head_where_there_is_no_get_stays_405(
    wire: TestClient, recorder: BodyRecorder, gig_id: str, path: str
) -> None:
    url = path.format(gig_id=gig_id)
    head = wire.head(url, headers=ADMIN)
    assert head.status_code == wire.get(url, headers=ADMIN).status_code == 405
    assert head.headers["allow"] == "POST"
    assert recorder.bodies[-2] == b""


def test_head_is_logged_and_counted_as_head(
    wire: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="klusmakelaar.access"):
        assert wire.head("/healthz").status_code == 200
    assert any("HEAD /healthz -> 200" in record.getMessage() for record in caplog.records)
    metrics = wire.get("/metrics").text
    assert 'method="HEAD",route="/healthz",status="200"' in metrics


def test_the_openapi_document_has_no_head_operations(wire: TestClient) -> None:
    paths = wire.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/gigs"]
    assert all("head" not in operations for operations in paths.values())
