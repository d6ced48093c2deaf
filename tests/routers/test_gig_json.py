"""The database's JSON rendering of a gig (lists) equals the API's own (single reads)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.models import Gig
from tests.direct import db_session
from tests.factories import ADMIN, make_gig, organization_with_key


def test_list_items_equal_single_reads_field_by_field(app: FastAPI, client: TestClient) -> None:
    _, own = organization_with_key(client)
    plain = make_gig(client, own, description=None, location={}, skills=[], languages=[])
    full = make_gig(
        client,
        own,
        title='Café "De Kroon" — één middag ☕',
        kind="group",
        capacity=9,
        group_size_min=2,
        group_size_max=5,
        skills=["Tuinieren", "Koken"],
        languages=["nl", "en"],
        accessible=True,
        guidance_available=True,
        repeatable=True,
        signup_deadline=plain["starts_at"],
        location={"address": "Vismarkt 1\nGroningen", "postcode": "9711KV", "area": "Binnenstad",
                  "lat": 53.21778, "lon": 6.56331, "online": True},
    )  # fmt: skip
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig).where(Gig.id == full["id"]).values(confirmed_people=9, waitlist_count=3)
        )
    listed = {
        item["id"]: item
        for item in client.get("/api/v1/gigs?limit=200", headers=ADMIN).json()["items"]
    }
    for gig in (plain, full):
        single = client.get(f"/api/v1/gigs/{gig['id']}").json()
        assert listed[gig["id"]] == single
    assert listed[full["id"]]["spots_left"] == 0
    assert listed[full["id"]]["waitlist_count"] == 3
    assert listed[plain["id"]]["starts_at"].endswith("Z")
    near = client.get("/api/v1/gigs?near=53.2178,6.5633&radius_km=2").json()["items"]
    assert near[0]["id"] == full["id"]
    assert 0 <= near[0]["distance_km"] < 0.01
