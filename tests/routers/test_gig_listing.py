"""`GET /api/v1/gigs`: every filter, each sort, keyset pagination, query plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from app.models import Gig
from app.models.base import new_id
from app.services.geo import python_km_distance as km_distance
from app.services.gig_list_sql import DISTINCT_AREAS, GigFilters
from app.services.gig_listing import explain
from tests.direct import db_connection, db_session
from tests.factories import make_gig, organization_with_key

PATH = "/api/v1/gigs"
CENTRE = (53.2194, 6.5665)  # Grote Markt
BASE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def _ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get(f"{PATH}?{urlencode(params, doseq=True)}")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _at(hours: int) -> dict[str, str]:
    start = BASE + timedelta(hours=hours)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


@pytest.fixture
def catalogue(client: TestClient) -> dict[str, Any]:
    """A handful of gigs that differ in every filterable way."""
    organization, own = organization_with_key(client)
    _, other_org = organization_with_key(client)
    gigs = {
        "garden": make_gig(client, own, title="Tuin opknappen", category="odd_jobs", skills=["Tuinieren"],
                           accessible=True, **_at(1),
                           location={"area": "Oosterpoort", "lat": 53.2107, "lon": 6.5733}),
        "cafe": make_gig(client, own, title="Koffie schenken in het Café", description="Gezellig",
                         category="visiting", skills=["Koken", "tuinieren"], **_at(2),
                         location={"area": "Binnenstad", "lat": 53.2190, "lon": 6.5680}),
        "group": make_gig(client, other_org, title="Buurtfeest opbouwen", kind="group", capacity=10,
                          group_size_min=3, group_size_max=10, category="odd_jobs", **_at(3),
                          location={"area": "Paddepoel", "lat": 53.2290, "lon": 6.5420}),
        "far": make_gig(client, own, title="Boodschappen in Assen", category="transport", **_at(4),
                        location={"area": "Assen", "lat": 52.9925, "lon": 6.5649}),
        "online": make_gig(client, other_org, title="Website bijwerken", category="office", **_at(50),
                           location={"online": True}),
    }  # fmt: skip
    return {"organization": organization, "own": own, "gigs": {k: v["id"] for k, v in gigs.items()}}


def test_default_lists_open_gigs_by_start(client: TestClient, catalogue: dict[str, Any]) -> None:
    ids = catalogue["gigs"]
    assert _ids(client) == [ids["garden"], ids["cafe"], ids["group"], ids["far"], ids["online"]]


def test_each_filter_narrows(app: FastAPI, client: TestClient, catalogue: dict[str, Any]) -> None:
    ids = catalogue["gigs"]
    assert _ids(client, kind="group") == [ids["group"]]
    assert _ids(client, category=["visiting", "office"]) == [ids["cafe"], ids["online"]]
    assert _ids(client, area="Binnenstad") == [ids["cafe"]]
    assert _ids(client, organization_id=catalogue["organization"]["id"]) == [
        ids["garden"], ids["cafe"], ids["far"]]  # fmt: skip
    assert _ids(client, starts_after=(BASE + timedelta(hours=2)).isoformat(),
                starts_before=(BASE + timedelta(hours=4)).isoformat()) == [ids["cafe"], ids["group"]]  # fmt: skip
    assert _ids(client, q="cafe") == [ids["cafe"]]
    assert _ids(client, q="KOFFIE café") == [ids["cafe"]]
    assert _ids(client, q="koffie tuin") == []
    assert _ids(client, skill="tuinieren") == [ids["garden"], ids["cafe"]]
    assert _ids(client, skill=["Tuinieren", "koken"]) == [ids["cafe"]]
    assert _ids(client, accessible="true") == [ids["garden"]]
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == ids["far"]).values(confirmed_people=4))
    assert ids["far"] not in _ids(client, has_spots="true")
    assert _ids(client, has_spots="false") == [ids["far"]]
    assert _ids(client, category="odd_jobs", accessible="true", area="Oosterpoort") == [
        ids["garden"]
    ]


def test_near_filters_by_great_circle_distance(
    client: TestClient, catalogue: dict[str, Any]
) -> None:
    ids = catalogue["gigs"]
    near = f"{CENTRE[0]},{CENTRE[1]}"
    response = client.get(f"{PATH}?near={near}&radius_km=5&sort=distance").json()["items"]
    assert [item["id"] for item in response] == [ids["cafe"], ids["garden"], ids["group"]]
    expected = km_distance(*CENTRE, 53.2190, 6.5680)
    assert expected is not None
    assert response[0]["distance_km"] == pytest.approx(expected, abs=0.001)
    assert _ids(client, near=near, radius_km=1.2) == [ids["garden"], ids["cafe"]]
    assert ids["far"] in _ids(client, near=near, radius_km=30)
    assert client.get(f"{PATH}?sort=distance").status_code == 422
    assert client.get(f"{PATH}?near=53.2").status_code == 422
    assert client.get(f"{PATH}?near=91,6").status_code == 422


@pytest.mark.parametrize("sort", ["starts_at", "-created_at", "distance"])
def test_keyset_pages_stay_correct_while_gigs_are_added(client: TestClient, sort: str) -> None:
    _, own = organization_with_key(client)
    for hour in range(7):
        make_gig(client, own, **_at(hour), location={"lat": 53.2 + hour * 0.001, "lon": 6.56})
    params: dict[str, Any] = {"sort": sort, "limit": 3}
    if sort == "distance":
        params.update(near="53.2,6.56", radius_km=10)
    expected = _ids(client, **{**params, "limit": 200})
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get(
            f"{PATH}?{urlencode({**params, **({'cursor': cursor} if cursor else {})})}"
        ).json()
        seen += [item["id"] for item in page["items"]]
        if not seen or len(seen) == 3:
            # A gig added after the first page starts later, is newer and lies further away.
            make_gig(client, own, **_at(100), location={"lat": 53.5, "lon": 6.56})
        cursor = page["next_cursor"]
        if cursor is None:
            break
    late = [gig for gig in seen if gig not in expected]
    assert seen[: len(expected)] == expected or seen == expected + late
    assert len(seen) == len(set(seen))


def test_a_cursor_from_another_sort_or_tampered_is_400(
    client: TestClient, catalogue: dict[str, Any]
) -> None:
    cursor = client.get(f"{PATH}?limit=1").json()["next_cursor"]
    response = client.get(f"{PATH}?limit=1&sort=-created_at&cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["type"] == "invalid-cursor"
    assert client.get(f"{PATH}?cursor=WyJzdGFydHNfYXQiLDEsMl0").status_code == 400


def test_the_listing_plan_uses_the_index(app: FastAPI, catalogue: dict[str, Any]) -> None:
    database = app.state.database
    with db_connection(database.url) as connection:
        plan = " ".join(explain(connection, filters=GigFilters()))
    if database.is_sqlite:
        assert "ix_gigs_status_starts_at" in plan
        assert "TEMP B-TREE" not in plan
    else:
        assert "gigs" in plan


def test_a_category_list_is_read_in_order_from_its_index(
    app: FastAPI, catalogue: dict[str, Any]
) -> None:
    database = app.state.database
    filters = GigFilters(categories=["odd_jobs"], has_spots=True)
    with db_connection(database.url) as connection:
        if not database.is_sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        plan = " ".join(explain(connection, filters=filters))
    assert "ix_gigs_status_category_starts_at" in plan, plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan


def test_near_is_searched_through_a_location_index(app: FastAPI, catalogue: dict[str, Any]) -> None:
    database = app.state.database
    near = GigFilters(near=CENTRE, radius_km=5)
    with db_connection(database.url) as connection:
        if not database.is_sqlite:
            # A handful of rows: the planner would rightly read the whole table. With
            # plain scans off, the plan shows whether the box can be searched in the index.
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_indexscan = off")
        plan = " ".join(explain(connection, filters=near))
    expected = "ix_gigs_status_lat_lon" if database.is_sqlite else "ix_gigs_location"
    assert expected in plan, plan


def test_listed_items_follow_every_change_at_once(app: FastAPI, client: TestClient) -> None:
    """Items come from a cache of rendered gigs: a change must show in the next list."""
    _, own = organization_with_key(client)
    gig = make_gig(client, own, title="Eerste titel", capacity=2, **_at(1))

    def listed() -> dict[str, Any]:
        items = client.get(f"{PATH}?limit=200").json()["items"]
        return next(item for item in items if item["id"] == gig["id"])

    assert listed()["title"] == "Eerste titel"  # now cached
    patched = client.patch(f"/api/v1/gigs/{gig['id']}", json={"title": "Tweede titel"}, headers=own)
    assert patched.status_code == 200
    assert listed()["title"] == "Tweede titel"
    volunteer = client.post(
        "/api/v1/volunteers", json={"name": "Sanne", "email": "sanne@example.org", "consent": True}
    ).json()
    signed = client.post(
        f"/api/v1/gigs/{gig['id']}/signups",
        json={"volunteer_id": volunteer["id"]},
        headers={"Authorization": f"Bearer {volunteer['access_token']}"},
    )
    assert signed.status_code == 201
    assert listed()["spots_left"] == 1
    assert listed() == client.get(f"/api/v1/gigs/{gig['id']}").json()
    # A repair by hand that leaves the version alone still shows.
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig["id"]).values(confirmed_people=2))
    assert listed()["spots_left"] == 0


def test_list_parameters_are_documented_and_validated(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][PATH]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert {"status", "category", "near", "radius_km", "sort", "cursor", "limit"} <= set(parameters)
    assert all(parameter["in"] == "query" for parameter in parameters.values())
    assert parameters["limit"]["schema"]["maximum"] == 200
    feed = client.get("/openapi.json").json()["paths"]["/api/v1/calendar/gigs.ics"]["get"]
    assert "category" in {parameter["name"] for parameter in feed["parameters"]}
    for query, location in [
        ("limit=0", ["query", "limit"]),
        ("category=nonsense", ["query", "category", 0]),
        ("has_spots=maybe", ["query", "has_spots"]),
        ("starts_after=2026-01-01T10:00:00", ["query", "starts_after"]),
        ("radius_km=5", ["query", "radius_km"]),
        ("sort=distance", ["query", "sort"]),
    ]:
        response = client.get(f"{PATH}?{query}")
        assert response.status_code == 422, query
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in response.json()["errors"]] == [location], query
    assert client.get(f"{PATH}?category=odd_jobs&category=care&unknown=1").status_code == 200


def test_a_plain_list_starts_now(client: TestClient) -> None:
    """Without `starts_after` only gigs that have not started: signing up for one that has
    is `signup-closed`. An earlier `starts_after` lists it again."""
    _, own = organization_with_key(client)
    now = datetime.now(UTC).replace(microsecond=0)
    an_hour_ago, soon = now - timedelta(hours=1), now + timedelta(hours=2)
    started = make_gig(client, own, starts_at=an_hour_ago.isoformat(), ends_at=soon.isoformat())
    coming = make_gig(client, own, **_at(1))
    assert _ids(client) == [coming["id"]]
    assert _ids(client, sort="-created_at") == [coming["id"]]
    assert _ids(client, near=f"{CENTRE[0]},{CENTRE[1]}", radius_km=50) == [coming["id"]]
    earlier = (now - timedelta(hours=2)).isoformat()
    assert _ids(client, starts_after=earlier) == [started["id"], coming["id"]]
    assert _ids(client, starts_after=earlier, sort="-created_at") == [coming["id"], started["id"]]
    volunteer = client.post(
        "/api/v1/volunteers", json={"name": "Sanne", "email": "laat@example.org", "consent": True}
    ).json()
    late = client.post(
        f"/api/v1/gigs/{started['id']}/signups",
        json={"volunteer_id": volunteer["id"]},
        headers={"Authorization": f"Bearer {volunteer['access_token']}"},
    )
    assert (late.status_code, late.json()["type"]) == (409, "signup-closed")


def test_area_ignores_case_and_accents(client: TestClient) -> None:
    _, own = organization_with_key(client)
    selwerd = make_gig(client, own, **_at(1), location={"area": "Selwerd"})
    accented = make_gig(client, own, **_at(2), location={"area": "Sélwerd"})
    north = make_gig(client, own, **_at(3), location={"area": "Selwerd-Noord"})
    make_gig(client, own, **_at(4), location={"area": "Paddepoel"})
    make_gig(client, own, **_at(5), location={"online": True})
    both = [selwerd["id"], accented["id"]]
    for asked in ("selwerd", "SELWÉRD", "Selwerd", " selwerd "):
        assert _ids(client, area=asked) == both, asked
    assert _ids(client, area="selwerd", sort="-created_at") == both[::-1]
    first = client.get(f"{PATH}?area=SELWERD&limit=1").json()
    assert [item["id"] for item in first["items"]] == [selwerd["id"]]
    rest = client.get(f"{PATH}?area=SELWERD&limit=1&cursor={first['next_cursor']}").json()
    assert ([item["id"] for item in rest["items"]], rest["next_cursor"]) == ([accented["id"]], None)
    assert _ids(client, area="selwerd-noord") == [north["id"]]
    assert _ids(client, area="Nergens") == []
    assert _ids(client, area="selwerd", category="care") == []


def test_a_rare_area_is_read_through_its_index(app: FastAPI, client: TestClient) -> None:
    """The spellings are walked in the area index, and the list looks them up there."""
    organization, _ = organization_with_key(client)
    now = datetime.now(UTC)
    rows = [
        {"id": new_id("gig"), "organization_id": organization["id"], "title": f"Klus {number}",
         "category": "other", "kind": "one_off", "starts_at": BASE + timedelta(hours=number),
         "ends_at": BASE + timedelta(hours=number + 1), "area": f"Wijk {number // 2}",
         "capacity": 1, "status": "open", "search_text": f"klus {number}", "created_at": now,
         "updated_at": now}
        for number in range(400)
    ]  # fmt: skip
    database = app.state.database
    with db_session(app) as session, session.begin():
        session.execute(insert(Gig), rows)
    assert _ids(client, area="wijk 7") == [rows[14]["id"], rows[15]["id"]]
    with db_connection(database.url) as connection:
        # Statistics for the planner, in a transaction that is rolled back: no other test
        # plans with them.
        connection.exec_driver_sql("ANALYZE gigs")
        if not database.is_sqlite:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(explain(connection, filters=GigFilters(area="WIJK 7")))
        walk = connection.exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN ")
            + str(DISTINCT_AREAS.compile(connection, compile_kwargs={"literal_binds": True}))
        ).all()
    assert "ix_gigs_area_status" in plan, plan
    walked = " ".join(str(row[-1]) for row in walk)
    assert "ix_gigs_area_status" in walked, walked
    assert "SCAN gigs" not in walked, walked
    assert "Seq Scan" not in walked, walked
