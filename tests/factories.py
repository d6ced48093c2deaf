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


def make_volunteer(client: TestClient, **fields: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A registered volunteer and the headers of its own token."""
    number = next(_counter)
    body = {
        "name": f"Vrijwilliger {number}",
        "consent": True,
        "email": f"v{number}@example.org",
        **fields,
    }
    response = client.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.text
    volunteer = response.json()
    return volunteer, bearer(volunteer["access_token"])


def make_association(client: TestClient, **fields: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """An association and the headers of its own key."""
    body = {"name": f"Studentenvereniging {next(_counter)}", **fields}
    response = client.post("/api/v1/associations", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    association = response.json()
    return association, bearer(make_key(client, "association", association_id=association["id"]))


def gig_body(**fields: Any) -> dict[str, Any]:
    """A valid one-off gig next week, overridable field by field."""
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=7)
    body: dict[str, Any] = {
        "title": "Tuin opknappen bij buurthuis",
        "description": "Onkruid wieden en een border aanleggen.",
        "category": "odd_jobs",
        "kind": "one_off",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "capacity": 4,
        "location": {"address": "Oosterpoort", "postcode": "9724 AB", "area": "Oosterpoort",
                     "lat": 53.2107, "lon": 6.5733},
    }  # fmt: skip
    body.update(fields)
    return body


def make_gig(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A gig posted with ``headers`` (an organisation key, or the admin with organization_id)."""
    response = client.post("/api/v1/gigs", json=gig_body(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
