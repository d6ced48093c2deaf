"""`/api/v1/associations`: profiles, the secret calendar URL, members."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Association, InstanceSecret
from app.services.calendar_tokens import token_matches
from tests.direct import db_session
from tests.factories import ADMIN, make_association, make_volunteer

PATH = "/api/v1/associations"


def _token(calendar_url: str) -> str:
    return parse_qs(urlparse(calendar_url).query)["token"][0]


def test_admin_creates_with_a_derived_slug_and_a_slug_is_unique(client: TestClient) -> None:
    response = client.post(
        PATH,
        json={
            "name": "Vindicat atque Polit",
            "contractus": True,
            "preferred_categories": ["odd_jobs"],
        },
        headers=ADMIN,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "vindicat-atque-polit"
    assert body["member_count"] == 0
    assert response.headers["location"] == f"{PATH}/{body['id']}"
    clash = client.post(PATH, json={"name": "Vindicat Atque Polit"}, headers=ADMIN)
    assert clash.status_code == 409
    assert clash.json()["type"] == "slug-taken"
    assert (
        client.post(
            PATH, json={"name": "X", "preferred_categories": ["partying"]}, headers=ADMIN
        ).status_code
        == 422
    )


def test_the_calendar_url_is_only_for_the_association_and_the_admin(client: TestClient) -> None:
    association, own = make_association(client)
    _, other = make_association(client)
    path = f"{PATH}/{association['id']}"
    assert association["calendar_url"].startswith("https://klusmakelaar.test/api/v1/associations/")
    assert client.get(path).json()["calendar_url"] is None
    assert client.get(path, headers=other).json()["calendar_url"] is None
    assert client.get(path, headers=own).json()["calendar_url"] == association["calendar_url"]
    assert all(item["calendar_url"] is None for item in client.get(PATH).json()["items"])


def test_rotating_the_calendar_token_retires_the_old_one(app: FastAPI, client: TestClient) -> None:
    association, own = make_association(client)
    old = _token(association["calendar_url"])
    rotated = client.post(f"{PATH}/{association['id']}/calendar-token", headers=own)
    assert rotated.status_code == 200
    new = _token(rotated.json()["calendar_url"])
    assert new != old
    with db_session(app) as session:
        row = session.get(Association, association["id"])
        secret = bytes.fromhex(session.get_one(InstanceSecret, "calendar").value)
        assert token_matches(secret, row, new)
        assert not token_matches(secret, row, old)
    _, stranger = make_association(client)
    assert (
        client.post(f"{PATH}/{association['id']}/calendar-token", headers=stranger).status_code
        == 403
    )


def test_members_join_with_their_own_token_and_the_count_is_public(client: TestClient) -> None:
    association, own = make_association(client)
    volunteer, volunteer_headers = make_volunteer(client, name="Femke")
    other, other_headers = make_volunteer(client)
    members_path = f"{PATH}/{association['id']}/members"
    assert (
        client.post(
            members_path, json={"volunteer_id": volunteer["id"]}, headers=other_headers
        ).status_code
        == 403
    )
    joined = client.post(
        members_path, json={"volunteer_id": volunteer["id"]}, headers=volunteer_headers
    )
    assert joined.status_code == 201
    assert joined.json()["name"] == "Femke"
    again = client.post(
        members_path, json={"volunteer_id": volunteer["id"]}, headers=volunteer_headers
    )
    assert again.status_code == 409
    assert client.get(f"{PATH}/{association['id']}").json()["member_count"] == 1
    listed = client.get(members_path, headers=own).json()["items"]
    assert listed == [
        {"volunteer_id": volunteer["id"], "name": "Femke", "joined_at": listed[0]["joined_at"]}
    ]
    assert client.get(members_path, headers=other_headers).status_code == 404
    assert client.get(members_path).status_code == 401
    assert (
        client.delete(f"{members_path}/{volunteer['id']}", headers=other_headers).status_code == 404
    )
    assert (
        client.delete(f"{members_path}/{volunteer['id']}", headers=volunteer_headers).status_code
        == 204
    )
    assert client.get(f"{PATH}/{association['id']}").json()["member_count"] == 0
    client.post(members_path, json={"volunteer_id": other["id"]}, headers=other_headers)
    assert client.delete(f"{members_path}/{other['id']}", headers=own).status_code == 204
    assert client.delete(f"{members_path}/{other['id']}", headers=own).status_code == 404


def test_patch_by_its_own_key_with_if_match(client: TestClient) -> None:
    association, own = make_association(client)
    _, other = make_association(client)
    path = f"{PATH}/{association['id']}"
    etag = client.get(path).headers["etag"]
    response = client.patch(
        path, json={"preferred_areas": ["Paddepoel"]}, headers={**own, "If-Match": etag}
    )
    assert response.status_code == 200
    assert response.json()["preferred_areas"] == ["Paddepoel"]
    assert (
        client.patch(path, json={"name": "Y"}, headers={**own, "If-Match": etag}).status_code == 412
    )
    assert client.patch(path, json={"name": "Y"}, headers=other).status_code == 403
