"""Whom an organisation may contact through its gig's sign-ups: active ones only.

Confirmed and waitlisted sign-ups show name, e-mail and phone; a cancelled one shows
nothing; once the gig has ended only the name is left (enough for attendance). The
admin always sees everything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.models import Gig
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_volunteer,
    organization_with_key,
)


def _sign_up(client: TestClient, gig_id: str, headers: dict[str, str], **body: Any) -> Any:
    response = client.post(f"/api/v1/gigs/{gig_id}/signups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _cancel(client: TestClient, signup_id: str, headers: dict[str, str]) -> None:
    response = client.post(f"/api/v1/signups/{signup_id}/cancel", headers=headers)
    assert response.status_code == 200, response.text


def _contacts(client: TestClient, gig_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/api/v1/gigs/{gig_id}/signups", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item["contact"] for item in response.json()["items"]}


def _full(volunteer: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": volunteer["name"],
        "email": volunteer["email"],
        "phone": volunteer["phone"],
        "age": None,
    }


def test_cancelled_sign_ups_show_no_contact_to_the_organisation(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    people = [make_volunteer(client, phone=f"061234567{n}") for n in range(3)]
    confirmed, waitlisted, cancelled = (
        _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"]) for volunteer, own in people
    )
    assert waitlisted["status"] == "waitlisted"
    _cancel(client, cancelled["id"], people[2][1])

    seen = _contacts(client, gig["id"], org)
    assert seen[confirmed["id"]] == _full(people[0][0])
    assert seen[waitlisted["id"]] == _full(people[1][0])
    assert seen[cancelled["id"]] is None
    assert _contacts(client, gig["id"], ADMIN)[cancelled["id"]] == _full(people[2][0])


def test_cancelled_group_sign_up_shows_no_contact(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, kind="group", capacity=10, group_size_min=2, group_size_max=10)
    association, group_key = make_association(client, email="bestuur@example.org")
    signup = _sign_up(client, gig["id"], group_key, association_id=association["id"], size=3)
    group_contact = {
        "name": association["name"],
        "email": "bestuur@example.org",
        "phone": None,
        "age": None,
    }
    assert _contacts(client, gig["id"], org)[signup["id"]] == group_contact

    _cancel(client, signup["id"], group_key)
    assert _contacts(client, gig["id"], org)[signup["id"]] is None
    assert _contacts(client, gig["id"], ADMIN)[signup["id"]] == group_contact


def test_after_the_gig_the_organisation_keeps_only_names(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, own = make_volunteer(client, phone="0612345678")
    gone, gone_own = make_volunteer(client)
    came = _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"])
    left = _sign_up(client, gig["id"], gone_own, volunteer_id=gone["id"])
    _cancel(client, left["id"], gone_own)
    ended = datetime.now(UTC) - timedelta(hours=1)
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == gig["id"])
            .values(starts_at=ended - timedelta(hours=3), ends_at=ended)
        )

    seen = _contacts(client, gig["id"], org)
    assert seen[came["id"]] == {
        "name": volunteer["name"],
        "email": None,
        "phone": None,
        "age": None,
    }
    assert seen[left["id"]] is None
    everything = _contacts(client, gig["id"], ADMIN)
    assert everything[came["id"]] == _full(volunteer)
    assert everything[left["id"]] == _full(gone)
