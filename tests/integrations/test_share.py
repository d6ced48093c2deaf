"""`GET /gigs/{id}/share`: a WhatsApp-ready text with the gig's link."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import ADMIN, make_gig, organization_with_key


def test_the_share_text_contains_the_link_title_and_spots(client: TestClient) -> None:
    _, headers = organization_with_key(client)
    gig = make_gig(client, headers)
    response = client.get(f"/api/v1/gigs/{gig['id']}/share")
    assert response.status_code == 200
    shared = response.json()
    assert shared["url"] == f"https://klusmakelaar.test/g/{gig['id']}"
    assert shared["url"] in shared["text"]
    assert gig["title"] in shared["text"]
    assert "Nog 4 plekken vrij" in shared["text"]
    assert "Wanneer:" in shared["text"]
    english = client.get(f"/api/v1/gigs/{gig['id']}/share", params={"lang": "en"}).json()
    assert "4 spots left" in english["text"]
    assert "When:" in english["text"]


def test_long_fields_stay_within_whatsapps_limit(client: TestClient) -> None:
    _, headers = organization_with_key(client)
    gig = make_gig(
        client,
        headers,
        title="Lang " * 24,
        location={"address": "Straat " * 40, "area": "Wijk " * 20, "postcode": "9711 AB"},
    )
    shared = client.get(f"/api/v1/gigs/{gig['id']}/share").json()
    assert len(shared["text"]) <= 4096
    assert shared["url"] in shared["text"]


def test_drafts_are_shared_only_with_their_organisation_and_the_admin(client: TestClient) -> None:
    _, headers = organization_with_key(client)
    _, other = organization_with_key(client)
    draft = make_gig(client, headers, status="draft")
    path = f"/api/v1/gigs/{draft['id']}/share"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=other).status_code == 404
    assert client.get(path, headers=headers).status_code == 200
    assert client.get(path, headers=ADMIN).status_code == 200
    assert client.get("/api/v1/gigs/gig_unknown/share").status_code == 404
    assert client.get(path, params={"lang": "de"}, headers=ADMIN).status_code == 422
