"""`/api/v1/gigs`: posting, validation, visibility and the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Gig
from tests.direct import db_session
from tests.factories import ADMIN, gig_body, make_gig, make_volunteer, organization_with_key

PATH = "/api/v1/gigs"


def test_an_organisation_posts_for_itself(client: TestClient) -> None:
    organization, own = organization_with_key(client)
    response = client.post(PATH, json=gig_body(), headers=own)
    assert response.status_code == 201
    gig = response.json()
    assert gig["organization_id"] == organization["id"]
    assert gig["status"] == "open"
    assert gig["spots_left"] == 4
    assert gig["waitlist_count"] == 0
    assert gig["source"] == "api"
    assert gig["location"]["postcode"] == "9724 AB"
    assert response.headers["location"] == f"{PATH}/{gig['id']}"
    other, _ = organization_with_key(client)
    assert (
        client.post(PATH, json=gig_body(organization_id=other["id"]), headers=own).status_code
        == 403
    )


def test_the_admin_names_the_organisation(client: TestClient) -> None:
    organization, _ = organization_with_key(client)
    assert client.post(PATH, json=gig_body(), headers=ADMIN).status_code == 422
    response = client.post(PATH, json=gig_body(organization_id=organization["id"]), headers=ADMIN)
    assert response.status_code == 201


def test_volunteers_and_anonymous_callers_cannot_post(client: TestClient) -> None:
    _, volunteer = make_volunteer(client)
    assert client.post(PATH, json=gig_body()).status_code == 401
    assert client.post(PATH, json=gig_body(), headers=volunteer).status_code == 403


def _later(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(days=7, hours=hours)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "gardening"}, "category"),
        ({"ends_at": _later(-1)}, "ends_at"),
        ({"starts_at": "2030-06-14T10:00:00"}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"group_size_min": 2}, "group_size_min"),
        (
            {"kind": "group", "capacity": 10, "group_size_min": 6, "group_size_max": 4},
            "group_size_max",
        ),
        ({"kind": "group", "capacity": 5, "group_size_max": 8}, "group_size_max"),
        ({"location": {"lat": 91, "lon": 6.5}}, "lat"),
        ({"location": {"lat": 53.2}}, "location"),
        ({"title": "ab"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"signup_deadline": _later(5)}, "signup_deadline"),
        ({"spots_left": 3}, "spots_left"),
        ({"source": "whatsapp"}, "source"),
        ({"status": "completed"}, "status"),
        ({"id": "gig_mine"}, "id"),
    ],
)
def test_invalid_gigs_are_422(client: TestClient, fields: dict[str, Any], field: str) -> None:
    _, own = organization_with_key(client)
    response = client.post(PATH, json=gig_body(**fields), headers=own)
    assert response.status_code == 422, response.text
    assert any(field in error["loc"] for error in response.json()["errors"]), response.json()


def test_a_valid_group_gig(client: TestClient) -> None:
    _, own = organization_with_key(client)
    gig = make_gig(client, own, kind="group", capacity=12, group_size_min=4, group_size_max=8)
    assert (gig["group_size_min"], gig["group_size_max"]) == (4, 8)


def test_drafts_are_for_their_organisation_and_the_admin(client: TestClient) -> None:
    _, own = organization_with_key(client)
    _, stranger = organization_with_key(client)
    draft = make_gig(client, own, status="draft")
    path = f"{PATH}/{draft['id']}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=stranger).status_code == 404
    assert client.get(path, headers=own).status_code == 200
    assert client.get(path, headers=ADMIN).status_code == 200
    assert client.get(f"{PATH}?status=draft").json()["items"] == []
    assert client.get(f"{PATH}?status=draft", headers=stranger).json()["items"] == []
    assert [
        item["id"] for item in client.get(f"{PATH}?status=draft", headers=own).json()["items"]
    ] == [draft["id"]]
    assert client.get(PATH).json()["items"] == []
    assert client.patch(path, json={"title": "Overgenomen"}, headers=stranger).status_code == 404
    published = client.patch(path, json={"status": "open"}, headers=own)
    assert published.status_code == 200
    assert published.json()["status"] == "open"
    assert client.get(path).status_code == 200
    assert client.patch(path, json={"status": "draft"}, headers=own).status_code == 409


def test_lifecycle_cancel_and_complete(client: TestClient) -> None:
    _, own = organization_with_key(client)
    _, stranger = organization_with_key(client)
    gig = make_gig(client, own)
    assert client.post(f"{PATH}/{gig['id']}/cancel", headers=stranger).status_code == 403
    cancelled = client.post(f"{PATH}/{gig['id']}/cancel", headers=own)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"{PATH}/{gig['id']}/complete", headers=own).status_code == 409
    assert (
        client.patch(f"{PATH}/{gig['id']}", json={"title": "Nieuw"}, headers=own).status_code == 409
    )
    assert client.get(f"{PATH}?status=cancelled").json()["items"][0]["id"] == gig["id"]
    other = make_gig(client, own)
    completed = client.post(f"{PATH}/{other['id']}/complete", headers=ADMIN)
    assert completed.json()["status"] == "completed"
    draft = make_gig(client, own, status="draft")
    assert client.post(f"{PATH}/{draft['id']}/complete", headers=own).status_code == 409


def test_patch_with_if_match_and_sequence_grows_on_time_or_place(
    app: FastAPI, client: TestClient
) -> None:
    _, own = organization_with_key(client)
    gig = make_gig(client, own)
    path = f"{PATH}/{gig['id']}"

    def sequence() -> int:
        with db_session(app) as session:
            row = session.get(Gig, gig["id"])
            assert row is not None
            return row.sequence

    etag = client.get(path).headers["etag"]
    assert (
        client.patch(
            path, json={"title": "Nieuwe titel"}, headers={**own, "If-Match": etag}
        ).status_code
        == 200
    )
    assert sequence() == 0
    assert (
        client.patch(path, json={"title": "Nog een"}, headers={**own, "If-Match": etag}).status_code
        == 412
    )
    moved = client.patch(
        path, json={"location": {"address": "Vismarkt 1", "area": "Binnenstad"}}, headers=own
    )
    assert moved.json()["location"]["address"] == "Vismarkt 1"
    assert sequence() == 1
    later = client.patch(path, json={"starts_at": _later(1), "ends_at": _later(4)}, headers=own)
    assert later.status_code == 200
    assert sequence() == 2
    bad = client.patch(path, json={"ends_at": _later(-5)}, headers=own)
    assert bad.status_code == 422
