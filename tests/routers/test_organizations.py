"""`/api/v1/organizations`: create, read, list, update, privacy of WhatsApp numbers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import ADMIN, bearer, make_key, make_organization, organization_with_key


def test_admin_creates_an_organization_with_location_and_etag(client: TestClient) -> None:
    response = client.post(
        "/api/v1/organizations",
        json={
            "name": "Humanitas Groningen",
            "kind": "volunteer_organization",
            "phone": "050 123 4567",
        },
        headers=ADMIN,
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/organizations/{body['id']}"
    assert response.headers["etag"].startswith('"')
    assert body["phone"] == "+31501234567"
    assert client.get(response.headers["location"]).json()["name"] == "Humanitas Groningen"


def test_whatsapp_numbers_are_e164_and_private(client: TestClient) -> None:
    organization, own = organization_with_key(
        client, whatsapp_numbers=["06 12345678", "+31 6 87654321"]
    )
    assert organization["whatsapp_numbers"] == ["+31612345678", "+31687654321"]
    other = make_organization(client)
    other_key = make_key(client, "organization", organization_id=other["id"])
    path = f"/api/v1/organizations/{organization['id']}"
    assert client.get(path).json()["whatsapp_numbers"] is None
    assert client.get(path, headers=bearer(other_key)).json()["whatsapp_numbers"] is None
    assert client.get(path, headers=own).json()["whatsapp_numbers"] == [
        "+31612345678",
        "+31687654321",
    ]
    assert client.get(path, headers=ADMIN).json()["whatsapp_numbers"] == [
        "+31612345678",
        "+31687654321",
    ]
    listed = client.get("/api/v1/organizations").json()["items"]
    assert all(item["whatsapp_numbers"] is None for item in listed)


def test_an_invalid_whatsapp_number_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/organizations", json={"name": "X", "whatsapp_numbers": ["12"]}, headers=ADMIN
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["body", "whatsapp_numbers", 0]


def test_a_number_belongs_to_one_organization(client: TestClient) -> None:
    make_organization(client, whatsapp_numbers=["0612345678"])
    response = client.post(
        "/api/v1/organizations",
        json={"name": "Y", "whatsapp_numbers": ["+31612345678"]},
        headers=ADMIN,
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_only_the_admin_creates_organizations(client: TestClient) -> None:
    _, own = organization_with_key(client)
    assert client.post("/api/v1/organizations", json={"name": "Z"}).status_code == 401
    assert client.post("/api/v1/organizations", json={"name": "Z"}, headers=own).status_code == 403


def test_patch_by_owner_with_if_match_and_412_on_a_stale_etag(client: TestClient) -> None:
    organization, own = organization_with_key(client)
    path = f"/api/v1/organizations/{organization['id']}"
    etag = client.get(path).headers["etag"]
    first = client.patch(path, json={"description": "Nieuw"}, headers={**own, "If-Match": etag})
    assert first.status_code == 200
    assert first.json()["description"] == "Nieuw"
    assert first.headers["etag"] != etag
    stale = client.patch(path, json={"description": "Later"}, headers={**own, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == "precondition-failed"
    assert client.get(path).json()["description"] == "Nieuw"


def test_changing_only_the_numbers_moves_the_etag(client: TestClient) -> None:
    organization = make_organization(client)
    path = f"/api/v1/organizations/{organization['id']}"
    etag = client.get(path).headers["etag"]
    response = client.patch(path, json={"whatsapp_numbers": ["0612345678"]}, headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["etag"] != etag
    assert response.json()["whatsapp_numbers"] == ["+31612345678"]


def test_patch_by_another_organization_is_403_and_null_name_is_422(client: TestClient) -> None:
    organization = make_organization(client)
    _, stranger = organization_with_key(client)
    path = f"/api/v1/organizations/{organization['id']}"
    assert client.patch(path, json={"name": "Overgenomen"}, headers=stranger).status_code == 403
    assert client.patch(path, json={"name": None}, headers=ADMIN).status_code == 422
    assert client.patch(path, json={"id": "org_x"}, headers=ADMIN).status_code == 422


def test_unknown_organization_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/organizations/org_doesnotexist")
    assert response.status_code == 404
    assert response.json()["type"] == "not-found"


def test_list_paginates_with_a_keyset_cursor(client: TestClient) -> None:
    created = [make_organization(client)["id"] for _ in range(5)]
    first = client.get("/api/v1/organizations?limit=2").json()
    assert [item["id"] for item in first["items"]] == created[:2]
    # A row inserted meanwhile does not shift the next page.
    make_organization(client)
    second = client.get(f"/api/v1/organizations?limit=2&cursor={first['next_cursor']}").json()
    assert [item["id"] for item in second["items"]] == created[2:4]
    rest = client.get(f"/api/v1/organizations?limit=200&cursor={second['next_cursor']}").json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
