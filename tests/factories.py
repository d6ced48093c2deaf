"""Small factories that build test data through the public API."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
_counter = itertools.count(1)


def bearer(token: str) -> dict[str, str]:
    """Authorization headers for a token."""
    return {"Authorization": f"Bearer {token}"}


def make_organization(client: TestClient, **fields: Any) -> dict[str, Any]:
    """An organisation created by the admin."""
    body = {"name": f"Organisatie {next(_counter)}", **fields}
    response = client.post("/api/v1/organizations", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def make_key(client: TestClient, role: str, **fields: Any) -> str:
    """The token of a new API key."""
    body = {"name": f"{role} key {next(_counter)}", "role": role, **fields}
    response = client.post("/api/v1/api-keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def organization_with_key(
    client: TestClient, **fields: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """An organisation and the headers of its own key."""
    organization = make_organization(client, **fields)
    token = make_key(client, "organization", organization_id=organization["id"])
    return organization, bearer(token)
