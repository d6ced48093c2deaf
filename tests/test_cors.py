"""Browsers on the configured front ends' origins (`KLUSMAKELAAR_CORS_ORIGINS`), over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app
from tests.factories import ADMIN, gig_body, organization_with_key
from tests.integrations.receiver import free_port

ORIGIN = "https://app.example.org"
DEV_ORIGIN = "http://localhost:5173"
PROBLEM_JSON = "application/problem+json"


def cors_headers(response: httpx.Response) -> dict[str, str]:
    """The response's `Access-Control-*` headers."""
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def listed(value: str) -> set[str]:
    """A comma-separated header value as a set of lower-case items."""
    return {item.strip().lower() for item in value.split(",")}


@pytest.fixture
def cors_app(settings: Settings) -> Iterator[FastAPI]:
    """The app with two front ends' origins configured (as written by hand)."""
    configured = {
        **settings.model_dump(),
        "cors_origins": f" HTTPS://App.Example.org:443/,{DEV_ORIGIN}",
    }
    application = create_app(Settings(**configured))
    yield application
    application.state.database.dispose()


@pytest.fixture
def browser(cors_app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app with CORS configured."""
    with TestClient(cors_app, raise_server_exceptions=False) as test_client:
        yield test_client


def preflight(method: str, request_headers: str, origin: str = ORIGIN) -> dict[str, str]:
    """The headers of a browser's preflight for ``method`` with ``request_headers``."""
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": request_headers,
    }


@pytest.mark.parametrize(
    ("method", "path", "request_headers"),
    [
        ("POST", "/api/v1/api-keys", "authorization, content-type, idempotency-key"),
        ("PATCH", "/api/v1/gigs/some-gig", "Authorization,Content-Type,If-Match"),
        ("DELETE", "/api/v1/webhooks/some-webhook", "authorization"),
        ("GET", "/api/v1/gigs", "authorization"),
    ],
)
def test_a_preflight_from_a_listed_origin_is_answered_before_auth(
    browser: TestClient, method: str, path: str, request_headers: str
) -> None:
    # No Authorization (a preflight never has it) on admin-only paths: answered all the same.
    response = browser.options(path, headers=preflight(method, request_headers))
    assert response.status_code in (200, 204), response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert listed(response.headers["access-control-allow-methods"]) == {
        "get", "head", "post", "patch", "delete", "options"
    }  # fmt: skip
    assert {"authorization", "content-type", "idempotency-key", "if-match"} <= listed(
        response.headers["access-control-allow-headers"]
    )
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" in listed(response.headers["vary"])


def test_a_second_listed_origin_is_answered_too(browser: TestClient) -> None:
    response = browser.options(
        "/api/v1/gigs", headers=preflight("POST", "authorization", DEV_ORIGIN)
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == DEV_ORIGIN


@pytest.mark.parametrize(
    ("method", "request_headers"), [("PUT", "authorization"), ("POST", "x-secret-header")]
)
def test_a_preflight_asking_for_more_is_refused_as_a_problem(
    browser: TestClient, method: str, request_headers: str
) -> None:
    response = browser.options("/api/v1/gigs", headers=preflight(method, request_headers))
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "cors-preflight-refused"
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_responses_to_a_listed_origin_expose_etag_location_and_retry_after(
    browser: TestClient,
) -> None:
    _, organization = organization_with_key(browser)
    headers = {**organization, "Origin": ORIGIN, "Idempotency-Key": "cors-create-1"}
    created = browser.post("/api/v1/gigs", json=gig_body(), headers=headers)
    assert created.status_code == 201, created.text
    replayed = browser.post("/api/v1/gigs", json=gig_body(), headers=headers)
    read = browser.get(created.headers["location"], headers={"Origin": ORIGIN})

    assert created.headers["location"]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert read.status_code == 200
    assert read.headers["etag"]
    for response in (created, replayed, read):
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert {"etag", "location", "retry-after", "idempotent-replayed"} <= listed(
            response.headers["access-control-expose-headers"]
        )
        assert "origin" in listed(response.headers["vary"])
        assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://app.example.org.evil.example",
        "http://app.example.org",  # another scheme is another origin
        "https://app.example.org:8443",
        "null",
    ],
)
def test_an_origin_not_listed_gets_no_cors_headers(browser: TestClient, origin: str) -> None:
    read = browser.get("/api/v1/gigs", headers={"Origin": origin})
    asked = browser.options("/api/v1/gigs", headers=preflight("POST", "authorization", origin))

    assert read.status_code == 200
    assert cors_headers(read) == {}
    # Varies all the same: a cache must not hand this answer to a listed origin.
    assert "origin" in listed(read.headers["vary"])
    # The preflight is an OPTIONS like any other: no route answers it.
    assert asked.status_code == 405
    assert asked.headers["content-type"] == PROBLEM_JSON
    assert cors_headers(asked) == {}


def test_without_cors_origins_there_are_no_cors_headers(client: TestClient) -> None:
    read = client.get("/api/v1/gigs", headers={"Origin": ORIGIN})
    asked = client.options("/api/v1/gigs", headers=preflight("POST", "authorization"))

    assert read.status_code == 200
    assert cors_headers(read) == {}
    assert "vary" not in read.headers
    assert asked.status_code == 405
    assert cors_headers(asked) == {}


def _unknown_path(browser: TestClient, app: FastAPI) -> httpx.Response:
    response: httpx.Response = browser.get("/api/v1/nothing-here", headers={"Origin": ORIGIN})
    return response


def _no_credentials(browser: TestClient, app: FastAPI) -> httpx.Response:
    response: httpx.Response = browser.get("/api/v1/api-keys", headers={"Origin": ORIGIN})
    return response


def _body_too_large(browser: TestClient, app: FastAPI) -> httpx.Response:
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    headers = {**ADMIN, "Origin": ORIGIN, "Content-Type": "application/json"}
    response: httpx.Response = browser.post("/api/v1/organizations", content=body, headers=headers)
    return response


def _unexpected(browser: TestClient, app: FastAPI) -> httpx.Response:
    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("an unexpected failure")

    response: httpx.Response = browser.get("/api/v1/boom", headers={"Origin": ORIGIN})
    return response


@pytest.mark.parametrize(
    ("answer", "status"),
    [(_unknown_path, 404), (_no_credentials, 401), (_body_too_large, 413), (_unexpected, 500)],
)
def test_errors_to_a_listed_origin_carry_the_allow_origin_header(
    browser: TestClient,
    cors_app: FastAPI,
    answer: Callable[[TestClient, FastAPI], httpx.Response],
    status: int,
) -> None:
    response = answer(browser, cors_app)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in listed(response.headers["access-control-expose-headers"])


@pytest.mark.parametrize(
    ("configured", "origins"),
    [
        ("", ()),
        (" , ", ()),
        ("https://app.example.org", ("https://app.example.org",)),
        ("HTTPS://App.Example.org:443/", ("https://app.example.org",)),
        ("http://localhost:5173, http://LOCALHOST:5173", ("http://localhost:5173",)),
        ("http://127.0.0.1:80,http://[::1]:3000", ("http://127.0.0.1", "http://[::1]:3000")),
    ],
)
def test_cors_origins_are_read_as_browsers_send_them(
    configured: str, origins: tuple[str, ...]
) -> None:
    assert Settings(cors_origins=configured).allowed_origins == origins


@pytest.mark.parametrize(
    "configured",
    [
        "app.example.org",
        "https://app.example.org/app",
        "https://app.example.org?x=1",
        "https://user@app.example.org",
        "https://app.example.org:99999",
        "ftp://app.example.org",
        "https://exa mple.org",
        "*",
        "null",
        "https://app.example.org,localhost:5173",
    ],
)
def test_a_value_that_is_not_an_origin_is_refused(configured: str) -> None:
    with pytest.raises(ValidationError, match="origin"):
        Settings(cors_origins=configured)


def test_a_bad_cors_origins_value_refuses_to_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KLUSMAKELAAR_DATABASE_URL": f"sqlite:///{tmp_path / 'cors.db'}",
        "KLUSMAKELAAR_PORT": str(free_port()),
        "KLUSMAKELAAR_CORS_ORIGINS": "https://app.example.org/front-end",
    }
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "KLUSMAKELAAR_CORS_ORIGINS" in lines[0]
    assert "'https://app.example.org/front-end' is not an origin" in lines[0]
    assert "Traceback" not in result.stderr
