"""`/api/v1/api-keys`: issue once, list without tokens, revoke at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.factories import ADMIN, bearer, make_organization


def test_a_key_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, database_url: str
) -> None:
    organization = make_organization(client)
    response = client.post(
        "/api/v1/api-keys",
        json={
            "name": "Humanitas site",
            "role": "organization",
            "organization_id": organization["id"],
        },
        headers=ADMIN,
    )
    assert response.status_code == 201
    token = response.json()["token"]
    assert len(token) >= 40
    assert response.headers["location"] == f"/api/v1/api-keys/{response.json()['id']}"
    listed = client.get("/api/v1/api-keys", headers=ADMIN).json()["items"]
    assert listed[0]["id"] == response.json()["id"]
    assert "token" not in listed[0]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_keys")).scalars().all()
    engine.dispose()
    assert token not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


def test_a_revoked_key_gets_401_on_the_next_request(client: TestClient) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"name": "bot", "role": "admin"}, headers=ADMIN
    ).json()
    headers = bearer(created["token"])
    assert client.get("/api/v1/api-keys", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{created['id']}", headers=ADMIN).status_code == 204
    response = client.get("/api/v1/api-keys", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert client.delete(f"/api/v1/api-keys/{created['id']}", headers=ADMIN).status_code == 404


def test_binding_rules(client: TestClient) -> None:
    missing = client.post(
        "/api/v1/api-keys", json={"name": "o", "role": "organization"}, headers=ADMIN
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "organization_id"]
    unknown = client.post(
        "/api/v1/api-keys",
        json={"name": "o", "role": "organization", "organization_id": "org_nope"},
        headers=ADMIN,
    )
    assert unknown.status_code == 422
    stray = client.post(
        "/api/v1/api-keys",
        json={"name": "i", "role": "integration", "organization_id": "org_nope"},
        headers=ADMIN,
    )
    assert stray.status_code == 422


def test_only_the_admin_manages_keys(client: TestClient) -> None:
    integration = client.post(
        "/api/v1/api-keys", json={"name": "bridge", "role": "integration"}, headers=ADMIN
    ).json()["token"]
    assert client.get("/api/v1/api-keys").status_code == 401
    assert client.get("/api/v1/api-keys", headers=bearer(integration)).status_code == 403
    assert client.get("/api/v1/api-keys", headers=bearer("kmk_made-up")).status_code == 401
