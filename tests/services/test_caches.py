"""Every cache follows a change that a plain Core UPDATE makes, without being told.

The database gives every updated gig a new `version` (migration 0007's trigger), and
every commit a new data version: lists, rendered gigs, gig pages, the matching pool and
calendar feeds all notice, whatever statement changed the row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app.models import Gig, Organization, Signup, Volunteer
from tests.direct import db_session
from tests.factories import make_gig, make_volunteer, organization_with_key


def _core_update(app: FastAPI, statement: Any) -> None:
    """A change as a repair by hand or another program would make it: plain Core, no
    `version`, no `updated_at`, on a connection of its own."""
    with db_session(app) as session, session.begin():
        session.execute(statement)


def test_a_core_update_of_a_gig_bumps_its_version_and_updated_at(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    etag = client.get(f"/api/v1/gigs/{gig['id']}").headers["etag"]
    with db_session(app) as session:
        before = session.execute(
            select(Gig.version, Gig.updated_at).where(Gig.id == gig["id"])
        ).one()
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(title="Met de hand"))
    _core_update(app, text("UPDATE gigs SET capacity = capacity + 1"))
    with db_session(app) as session:
        after = session.execute(
            select(Gig.version, Gig.updated_at).where(Gig.id == gig["id"])
        ).one()
    assert after.version == before.version + 2
    assert after.updated_at > before.updated_at
    assert client.get(f"/api/v1/gigs/{gig['id']}").headers["etag"] != etag


def test_lists_and_rendered_gigs_follow_a_core_update(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Oude titel")
    for _ in range(2):  # the second answer comes from the caches
        assert client.get("/api/v1/gigs").json()["items"][0]["title"] == "Oude titel"
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(title="Nieuwe titel"))
    assert client.get("/api/v1/gigs").json()["items"][0]["title"] == "Nieuwe titel"
    # The same row key but for the version: only the version tells the rendering is stale.
    monkeypatch.setattr(app.state.caches.lists, "_max_bytes", 0)  # lists off: rows are read
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(title="Derde titel"))
    assert client.get("/api/v1/gigs").json()["items"][0]["title"] == "Derde titel"


def test_the_calendar_follows_a_core_update(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Oude titel")
    first = client.get("/api/v1/calendar/gigs.ics")
    assert b"Oude titel" in first.content
    assert client.get("/api/v1/calendar/gigs.ics").content == first.content
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(title="Nieuwe titel"))
    changed = client.get(
        "/api/v1/calendar/gigs.ics", headers={"If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200
    assert b"Nieuwe titel" in changed.content


def test_the_gig_page_follows_core_updates_of_the_gig_and_its_organisation(
    app: FastAPI, client: TestClient
) -> None:
    organization, org = organization_with_key(client, name="Oude naam")
    gig = make_gig(client, org, title="Oude titel")
    first = client.get(f"/g/{gig['id']}")
    assert "Oude titel" in first.text
    assert client.get(f"/g/{gig['id']}").text == first.text  # the page's rows are kept
    assert gig["id"] in app.state.caches.gig_pages._pages
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(title="Nieuwe titel"))
    assert "Nieuwe titel" in client.get(f"/g/{gig['id']}").text
    _core_update(app, update(Organization).where(Organization.id == organization["id"])
                 .values(name="Nieuwe naam"))  # fmt: skip
    assert "Een klus van Nieuwe naam" in client.get(f"/g/{gig['id']}").text
    _core_update(app, update(Gig).where(Gig.id == gig["id"]).values(status="draft"))
    assert client.get(f"/g/{gig['id']}").status_code == 404


def _candidates(client: TestClient, gig: dict[str, Any], org: dict[str, str]) -> list[str]:
    response = client.get(f"/api/v1/gigs/{gig['id']}/candidates?limit=10", headers=org)
    assert response.status_code == 200, response.text
    return [item["volunteer"]["id"] for item in response.json()["items"]]


def test_the_matching_pool_follows_core_updates(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    times = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    gig = make_gig(client, org, **times)
    other = make_gig(client, org, title="Andere klus", **times)
    volunteer, own = make_volunteer(client)
    assert _candidates(client, gig, org) == [volunteer["id"]]
    assert _candidates(client, gig, org) == [volunteer["id"]]  # from the kept pool
    builds = app.state.caches.pool.builds
    # Needs a step-free place, set by hand: the pool must leave the gig out for them.
    _core_update(
        app, update(Volunteer).where(Volunteer.id == volunteer["id"]).values(needs_accessible=True)
    )
    assert _candidates(client, gig, org) == []
    assert app.state.caches.pool.builds == builds + 1
    _core_update(app, update(Volunteer).values(needs_accessible=False))
    assert _candidates(client, gig, org) == [volunteer["id"]]
    # Confirmed for the other gig at the same time, by hand: now busy.
    signed = client.post(
        f"/api/v1/gigs/{other['id']}/signups", json={"volunteer_id": volunteer["id"]}, headers=own
    )
    assert signed.status_code == 201
    assert _candidates(client, gig, org) == []
    _core_update(app, update(Signup).values(status="cancelled"))
    _core_update(app, update(Gig).where(Gig.id == other["id"]).values(confirmed_people=0))
    assert _candidates(client, gig, org) == [volunteer["id"]]
