"""`GET /api/v1/gigs/{id}`, answered from `caches.gig_reads` while nothing was committed:
never stale after a change (through the API or not), drafts still hidden, and the same
bytes as the API's own rendering of the gig."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.models import Gig
from tests.direct import db_session
from tests.factories import ADMIN, gig_body, make_gig, make_volunteer, organization_with_key

PATH = "/api/v1/gigs"


def read(client: TestClient, gig: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.get(f"{PATH}/{gig['id']}", headers=headers)


def test_a_read_is_the_same_bytes_and_etag_as_the_write_that_made_it(client: TestClient) -> None:
    _, own = organization_with_key(client)
    created = client.post(
        PATH,
        json=gig_body(
            title='Café "De Kroon" — één middag ☕',
            description="Koffie\nschenken",
            skills=["Koken"],
            location={"address": "Vismarkt 1", "lat": 53.21778, "lon": 6.56331},
        ),
        headers=own,
    )
    assert created.status_code == 201, created.text

    first, again = read(client, created.json()), read(client, created.json())

    assert first.status_code == again.status_code == 200
    assert first.content == again.content == created.content
    assert first.headers["etag"] == again.headers["etag"] == created.headers["etag"]
    assert first.headers["content-type"] == "application/json"


def test_a_read_after_a_change_is_never_stale(client: TestClient) -> None:
    _, own = organization_with_key(client)
    gig = make_gig(client, own, capacity=3)
    before = read(client, gig)

    patched = client.patch(f"{PATH}/{gig['id']}", json={"title": "Nieuwe titel"}, headers=own)
    after = read(client, gig)

    assert patched.status_code == 200
    assert after.json()["title"] == "Nieuwe titel"
    assert after.headers["etag"] == patched.headers["etag"] != before.headers["etag"]
    assert after.content == patched.content
    volunteer, volunteer_headers = make_volunteer(client)
    signup = client.post(
        f"{PATH}/{gig['id']}/signups",
        json={"volunteer_id": volunteer["id"]},
        headers=volunteer_headers,
    )
    assert signup.status_code == 201
    assert read(client, gig).json()["spots_left"] == 2
    cancelled = client.post(f"{PATH}/{gig['id']}/cancel", headers=own)
    assert read(client, gig).json()["status"] == "cancelled"
    assert read(client, gig).headers["etag"] == cancelled.headers["etag"]


def test_a_change_made_without_the_api_is_seen_at_once(app: FastAPI, client: TestClient) -> None:
    _, own = organization_with_key(client)
    gig = make_gig(client, own)
    before = read(client, gig)

    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig["id"]).values(title="Buiten de API om"))
    after = read(client, gig)

    assert after.json()["title"] == "Buiten de API om"
    assert after.headers["etag"] != before.headers["etag"]


def test_a_draft_stays_hidden_from_others_after_its_organisation_read_it(
    client: TestClient,
) -> None:
    _, own = organization_with_key(client)
    _, other = organization_with_key(client)
    _, volunteer = make_volunteer(client)
    draft = make_gig(client, own, status="draft")

    for _ in range(2):  # the second time from the cache
        assert read(client, draft, own).status_code == 200
        assert read(client, draft, ADMIN).status_code == 200
        for stranger in (None, other, volunteer):
            hidden = read(client, draft, stranger)
            assert hidden.status_code == 404
            assert hidden.headers["content-type"] == "application/problem+json"

    published = client.patch(f"{PATH}/{draft['id']}", json={"status": "open"}, headers=own)
    assert published.status_code == 200
    assert read(client, draft).json()["status"] == "open"


def test_an_unknown_gig_is_404(client: TestClient) -> None:
    for _ in range(2):
        assert client.get(f"{PATH}/gig_unknown").status_code == 404
