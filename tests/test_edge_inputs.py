"""Values that validate but cannot be held are 4xx, never 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import ADMIN, gig_body, make_key, organization_with_key


def test_dates_at_the_end_of_the_calendar_are_422(client: TestClient) -> None:
    response = client.get("/api/v1/gigs?starts_after=9999-12-31T23:00:00-05:00")
    assert response.status_code in {200, 422}  # PostgreSQL can compare it; SQLite cannot store it
    _, own = organization_with_key(client)
    body = gig_body(starts_at="9999-12-31T23:00:00-05:00", ends_at="9999-12-31T23:30:00-05:00")
    assert client.post("/api/v1/gigs", json=body, headers=own).status_code == 422


def test_nul_bytes_are_refused_without_a_500(client: TestClient) -> None:
    assert client.get("/api/v1/gigs/gig_%00").status_code in {404, 422}
    assert client.get("/api/v1/gigs?q=caf%00e").status_code in {200, 422}
    created = client.post("/api/v1/organizations", json={"name": "Nul\u0000byte"}, headers=ADMIN)
    assert created.status_code in {201, 422}


def test_a_chat_message_in_year_9999_is_recorded_not_a_500(client: TestClient) -> None:
    organization, _ = organization_with_key(client, whatsapp_numbers=["0612345678"])
    token = make_key(client, "integration")
    response = client.post(
        "/api/v1/integrations/bridge/messages",
        json={
            "message_id": "far-future-1",
            "from": "0612345678",
            "text": "Klus: Tuin doen\nWanneer: 31-12-9999 23:00",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in {200, 201}
    assert (
        response.json()["gig"] is None
        or response.json()["gig"]["organization_id"] == organization["id"]
    )


def test_nul_bytes_in_a_sign_up_are_4xx(client: TestClient) -> None:
    _, own = organization_with_key(client)
    gig = client.post("/api/v1/gigs", json=gig_body(), headers=own).json()
    nul_path = client.post(
        "/api/v1/gigs/gig_%00/signups", json={"volunteer_id": "vol_x"}, headers=ADMIN
    )
    assert nul_path.status_code in {404, 422}
    nul_body = client.post(
        f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": "vol_\u0000"}, headers=ADMIN
    )
    assert nul_body.status_code in {404, 422}
