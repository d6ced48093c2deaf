"""The Idempotency-Key mechanism on creating POSTs."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.idempotency import caller_identity, request_fingerprint
from app.models import IdempotencyRecord, Organization
from app.models.base import utcnow
from tests.direct import db_session
from tests.factories import ADMIN, bearer, make_key

PATH = "/api/v1/organizations"


def _count_organizations(app: FastAPI) -> int:
    with db_session(app) as session:
        return int(session.scalar(select(func.count()).select_from(Organization)) or 0)


def test_a_retry_replays_status_body_and_location(app: FastAPI, client: TestClient) -> None:
    headers = {**ADMIN, "Idempotency-Key": "create-humanitas-1"}
    first = client.post(PATH, json={"name": "Humanitas"}, headers=headers)
    second = client.post(PATH, json={"name": "Humanitas"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert _count_organizations(app) == 1


def test_quoted_and_bare_keys_are_the_same_key(app: FastAPI, client: TestClient) -> None:
    client.post(PATH, json={"name": "A"}, headers={**ADMIN, "Idempotency-Key": "k-1"})
    replay = client.post(PATH, json={"name": "A"}, headers={**ADMIN, "Idempotency-Key": '"k-1"'})
    assert replay.headers.get("idempotent-replayed") == "true"
    assert _count_organizations(app) == 1


def test_the_same_key_with_another_body_is_422(client: TestClient) -> None:
    headers = {**ADMIN, "Idempotency-Key": "k-2"}
    assert client.post(PATH, json={"name": "A"}, headers=headers).status_code == 201
    response = client.post(PATH, json={"name": "B"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["type"] == "idempotency-key-reused"


def test_a_retry_while_the_first_runs_is_409(app: FastAPI, client: TestClient) -> None:
    body = json.dumps({"name": "A"}).encode()
    caller = caller_identity(ADMIN["Authorization"], "testclient")
    fingerprint = request_fingerprint("POST", PATH, b"", body)
    # The "first" request, still running.
    assert isinstance(asyncio.run(app.state.idempotency.claim(caller, "k-3", fingerprint)), str)
    response = client.post(
        PATH,
        content=body,
        headers={**ADMIN, "Idempotency-Key": "k-3", "Content-Type": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency-in-progress"
    assert _count_organizations(app) == 0


def test_keys_are_scoped_per_caller(app: FastAPI, client: TestClient) -> None:
    other_admin = bearer(make_key(client, "admin"))
    client.post(PATH, json={"name": "A"}, headers={**ADMIN, "Idempotency-Key": "shared"})
    other = client.post(
        PATH, json={"name": "A"}, headers={**other_admin, "Idempotency-Key": "shared"}
    )
    assert other.status_code == 201
    assert "idempotent-replayed" not in other.headers
    assert _count_organizations(app) == 2


def test_a_failed_request_releases_its_key(app: FastAPI, client: TestClient) -> None:
    headers = {**ADMIN, "Idempotency-Key": "k-4"}
    assert client.post(PATH, json={"name": ""}, headers=headers).status_code == 422
    assert client.post(PATH, json={"name": "Fixed"}, headers=headers).status_code == 201
    assert _count_organizations(app) == 1


def test_records_are_kept_for_more_than_24_hours(app: FastAPI, client: TestClient) -> None:
    headers = {**ADMIN, "Idempotency-Key": "k-5"}
    client.post(PATH, json={"name": "A"}, headers=headers)
    with db_session(app) as session, session.begin():
        session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
    store = app.state.idempotency
    store._last_purge = 0.0  # force the periodic purge on the next claim
    replay = client.post(PATH, json={"name": "A"}, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert _count_organizations(app) == 1


def test_an_overlong_key_is_400(client: TestClient) -> None:
    response = client.post(
        PATH, json={"name": "A"}, headers={**ADMIN, "Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_gets_no_replay(client: TestClient) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"name": "ops", "role": "admin"}, headers=ADMIN
    ).json()
    headers = {**bearer(created["token"]), "Idempotency-Key": "k-6"}
    assert client.post(PATH, json={"name": "A"}, headers=headers).status_code == 201
    client.delete(f"/api/v1/api-keys/{created['id']}", headers=ADMIN)
    replay = client.post(PATH, json={"name": "A"}, headers=headers)
    assert replay.status_code == 401
    assert "idempotent-replayed" not in replay.headers
