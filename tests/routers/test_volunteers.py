"""`/api/v1/volunteers`: low-threshold registration, privacy, erasure, rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from app.config import Settings
from app.main import create_app
from tests.factories import ADMIN, bearer, make_association, make_volunteer

PATH = "/api/v1/volunteers"


def test_registration_needs_only_name_consent_and_one_contact(client: TestClient) -> None:
    response = client.post(PATH, json={"name": "Sanne", "consent": True, "phone": "06 12345678"})
    assert response.status_code == 201
    volunteer = response.json()
    assert volunteer["phone"] == "+31612345678"
    assert volunteer["languages"] == ["nl"]
    assert volunteer["access_token"].startswith("kmv_")
    assert response.headers["location"] == f"{PATH}/{volunteer['id']}"
    me = client.get(f"{PATH}/me", headers=bearer(volunteer["access_token"]))
    assert me.status_code == 200
    assert me.json()["name"] == "Sanne"
    assert "access_token" not in me.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "email": "a@example.org"}, "consent"),
        ({"name": "A", "consent": False, "email": "a@example.org"}, "consent"),
        ({"name": "A", "consent": True}, None),
        ({"name": "A", "consent": True, "email": "not-an-email"}, "email"),
        ({"name": "A", "consent": True, "email": "a@example.org", "postcode": "0711 AB"}, "postcode"),
        ({"name": "A", "consent": True, "email": "a@example.org", "lat": 53.2}, None),
        (
            {"name": "A", "consent": True, "email": "a@example.org",
             "availability": [{"weekday": 7, "start": "09:00", "end": "12:00"}]},
            "availability",
        ),
        (
            {"name": "A", "consent": True, "email": "a@example.org",
             "availability": [{"weekday": 5, "start": "12:00", "end": "09:00"}]},
            "availability",
        ),
        ({"name": "A", "consent": True, "email": "a@example.org", "access_token": "x"}, "access_token"),
    ],
)  # fmt: skip
def test_bad_registrations_are_422(
    client: TestClient, body: dict[str, object], field: str | None
) -> None:
    response = client.post(PATH, json=body)
    assert response.status_code == 422
    if field is not None:
        assert any(field in error["loc"] for error in response.json()["errors"])


def test_postcode_and_email_are_normalised(client: TestClient) -> None:
    volunteer, _ = make_volunteer(client, email="Anna@Example.ORG", postcode="9711ab")
    assert volunteer["postcode"] == "9711 AB"
    assert volunteer["email"] == "anna@example.org"


def test_a_registered_contact_is_409_without_a_token(client: TestClient) -> None:
    make_volunteer(client, email="same@example.org", phone="0612345678")
    for contact in ({"email": "SAME@example.org"}, {"phone": "+31 6 12345678"}):
        response = client.post(PATH, json={"name": "B", "consent": True, **contact})
        assert response.status_code == 409
        assert response.json()["type"] == "volunteer-exists"
        assert "kmv_" not in response.text


def test_only_self_and_admin_read_and_change_a_volunteer(client: TestClient) -> None:
    volunteer, own = make_volunteer(client)
    _, other = make_volunteer(client)
    path = f"{PATH}/{volunteer['id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=other).status_code == 404
    assert client.get(path, headers=own).status_code == 200
    assert client.get(path, headers=ADMIN).status_code == 200
    assert client.patch(path, json={"name": "X"}, headers=other).status_code == 404


def test_patch_with_if_match_and_a_contact_always_remains(client: TestClient) -> None:
    volunteer, own = make_volunteer(client)
    path = f"{PATH}/{volunteer['id']}"
    etag = client.get(path, headers=own).headers["etag"]
    changed = client.patch(
        path,
        json={"skills": ["Tuinieren"], "phone": "0612345678"},
        headers={**own, "If-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.json()["skills"] == ["Tuinieren"]
    assert (
        client.patch(path, json={"about": "x"}, headers={**own, "If-Match": etag}).status_code
        == 412
    )
    assert client.patch(path, json={"email": None, "phone": None}, headers=own).status_code == 422
    assert client.patch(path, json={"email": None}, headers=own).status_code == 200


def test_export_holds_profile_and_memberships(client: TestClient) -> None:
    volunteer, own = make_volunteer(client, skills=["koken"], about="Ik kook graag")
    association, _ = make_association(client, name="Navigators")
    joined = client.post(
        f"/api/v1/associations/{association['id']}/members",
        json={"volunteer_id": volunteer["id"]},
        headers=own,
    )
    assert joined.status_code == 201
    export = client.get(f"{PATH}/{volunteer['id']}/export", headers=own).json()
    assert export["profile"]["email"] == volunteer["email"]
    assert export["profile"]["about"] == "Ik kook graag"
    assert export["memberships"][0]["name"] == "Navigators"
    assert "consent_at" in export


def _every_value_in(database_url: str, *, leave_out: tuple[str, ...] = ()) -> str:
    engine = create_engine(database_url)
    dump = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table in leave_out:
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                dump.append(repr(tuple(row)))
    engine.dispose()
    return "\n".join(dump)


def test_erasure_removes_every_personal_datum_for_good(
    client: TestClient, database_url: str
) -> None:
    personal = {
        "name": "Jozefien Erasmus-Vlietstra",
        "email": "jozefien.unique@example.org",
        "phone": "06 24681357",
        "postcode": "9711 AB",
        "area": "Binnenstad-Oost-Uniek",
        "lat": 53.2181234,
        "lon": 6.5681234,
        "skills": ["zeldzame-vaardigheid"],
        "about": "Mijn heel persoonlijke verhaal",
    }
    volunteer, own = make_volunteer(client, **personal)
    association, association_key = make_association(client)
    client.post(
        f"/api/v1/associations/{association['id']}/members",
        json={"volunteer_id": volunteer["id"]},
        headers={**own, "Idempotency-Key": "join-1"},
    )
    replayed = client.post(
        "/api/v1/volunteers",
        json={"consent": True, **personal},
        headers={"Idempotency-Key": "register-again"},
    )
    assert replayed.status_code == 409
    assert client.delete(f"{PATH}/{volunteer['id']}", headers=own).status_code == 204

    assert client.get(f"{PATH}/me", headers=own).status_code == 401
    members = client.get(
        f"/api/v1/associations/{association['id']}/members", headers=association_key
    )
    assert members.json()["items"] == []
    dump = _every_value_in(database_url)
    for value in ["Jozefien", "jozefien.unique", "+31624681357", "Binnenstad-Oost-Uniek",
                  "53.2181234", "6.5681234", "zeldzame-vaardigheid", "persoonlijke verhaal"]:  # fmt: skip
        assert value not in dump, value
    # The id, which now stands for no one, is left only in the event log: the events
    # told before (by id) and `volunteer.erased`, so integrators erase their copies.
    assert volunteer["id"] not in _every_value_in(database_url, leave_out=("events",))
    assert (
        '"type":"volunteer.erased"'
        in client.get("/api/v1/events?type=volunteer.erased", headers=ADMIN).text
    )
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        raw = b"".join(
            path.read_bytes()
            for path in Path(database_url.removeprefix("sqlite:///")).parent.glob("test.db*")
        )
        assert b"jozefien.unique" not in raw
        assert b"Erasmus-Vlietstra" not in raw
    again = client.post(PATH, json={"name": "J", "consent": True, "email": personal["email"]})
    assert again.status_code == 201


def test_a_replayed_registration_never_shows_the_token_again(client: TestClient) -> None:
    body = {"name": "Piet", "consent": True, "email": "piet@example.org"}
    first = client.post(PATH, json=body, headers={"Idempotency-Key": "reg-1"})
    replay = client.post(PATH, json=body, headers={"Idempotency-Key": "reg-1"})
    assert first.json()["access_token"].startswith("kmv_")
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["access_token"] is None


def test_registration_is_rate_limited_per_address(settings: Settings) -> None:
    limited = settings.model_copy(update={"registration_rate": "3/minute"})
    with TestClient(create_app(limited)) as client:
        statuses = [
            client.post(
                PATH, json={"name": "R", "consent": True, "email": f"r{i}@example.org"}
            ).status_code
            for i in range(4)
        ]
        blocked = client.post(PATH, json={"name": "R", "consent": True, "email": "x@example.org"})
    assert statuses == [201, 201, 201, 429]
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert blocked.headers["content-type"] == "application/problem+json"
