"""Cross-cutting error behaviour: every error is RFC 9457 problem+json."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import ADMIN


def _is_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status
    headers = response.headers
    assert headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    _is_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    _is_problem(client.put("/api/v1/organizations"), 405)


def test_bad_credentials_are_401_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/api/v1/api-keys", headers={"Authorization": "Bearer nope"})
    _is_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    basic = client.get("/api/v1/api-keys", headers={"Authorization": "Basic dXNlcjpwdw=="})
    _is_problem(basic, 401)
    anonymous = client.get("/api/v1/api-keys")
    _is_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/organizations",
        content=b'{"name": ',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert _is_problem(response, 400)["type"] == "malformed-json"


def test_validation_errors_list_loc_and_msg(client: TestClient) -> None:
    response = client.post(
        "/api/v1/organizations", json={"name": "", "kind": "club", "colour": "red"}, headers=ADMIN
    )
    body = _is_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    locs = {tuple(error["loc"]) for error in errors}
    assert {("body", "name"), ("body", "kind"), ("body", "colour")} <= locs
    assert all(isinstance(error["msg"], str) and error["msg"] for error in errors)


def test_a_body_over_one_mib_is_413_by_content_length(client: TestClient) -> None:
    big = json.dumps({"name": "x", "description": "y" * (1024 * 1024)}).encode()
    response = client.post(
        "/api/v1/organizations", content=big, headers={**ADMIN, "Content-Type": "application/json"}
    )
    _is_problem(response, 413)


def test_a_streamed_body_over_one_mib_is_413_while_reading(client: TestClient) -> None:
    chunks_sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal chunks_sent
        yield b'{"name": "x", "description": "'
        for _ in range(64):  # 4 MiB if read to the end
            chunks_sent += 1
            yield b"y" * 65536
        yield b'"}'

    response = client.post(
        "/api/v1/organizations",
        content=chunks(),
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    _is_problem(response, 413)


def test_tampered_cursor_is_400_never_500(client: TestClient) -> None:
    for cursor in ["%%%", "bm90IGpzb24", "WzEsMl0", "eyJhIjoxfQ", "WzFd", "W251bGxd"]:
        response = client.get(f"/api/v1/organizations?cursor={cursor}")
        assert _is_problem(response, 400)["type"] == "invalid-cursor", cursor


@pytest.mark.parametrize("limit", ["0", "201", "abc"])
def test_limit_out_of_range_is_422(client: TestClient, limit: str) -> None:
    _is_problem(client.get(f"/api/v1/organizations?limit={limit}"), 422)


def test_500_leaks_no_internals(app: FastAPI, client: TestClient) -> None:
    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail in /srv/app.py")

    response = client.get("/api/v1/boom")
    body = _is_problem(response, 500)
    assert "secret" not in response.text
    assert body["type"] == "internal-error"


def test_request_id_is_echoed_or_generated_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="klusmakelaar.access"):
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assert any(getattr(record, "request_id", None) == "abc-123" for record in caplog.records)
    generated = client.get("/healthz")
    assert len(generated.headers["x-request-id"]) >= 16
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def test_403_for_an_authenticated_caller_without_the_role(client: TestClient) -> None:
    token = client.post(
        "/api/v1/api-keys", json={"name": "bridge", "role": "integration"}, headers=ADMIN
    ).json()["token"]
    response = client.post(
        "/api/v1/organizations", json={"name": "X"}, headers={"Authorization": f"Bearer {token}"}
    )
    _is_problem(response, 403)
