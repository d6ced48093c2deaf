"""Matching through HTTP: matches, candidates, assignment proposals, limits, the pool cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from app.auth import hash_token
from app.matching import assignment
from app.models import Gig, Signup, Volunteer
from app.models.base import new_id
from app.services import matching as matching_service
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_volunteer,
    organization_with_key,
)

NEAR = {"lat": 53.2107, "lon": 6.5733}
FAR = {"lat": 53.40, "lon": 6.90}


@pytest.fixture
def mclient(app: FastAPI) -> Iterator[TestClient]:
    """A client on the application under test."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _at(days: float, hours: float = 0) -> datetime:
    base = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)
    return base + timedelta(days=days, hours=hours)


def _when(days: float, length_hours: float = 3) -> dict[str, str]:
    return {
        "starts_at": _at(days).isoformat(),
        "ends_at": _at(days, length_hours).isoformat(),
    }


def _location(point: dict[str, float], area: str = "Oosterpoort") -> dict[str, Any]:
    return {"address": "Ergens 1", "postcode": "9724 AB", "area": area, **point}


def _sign_up(client: TestClient, gig_id: str, headers: dict[str, str], **body: Any) -> Any:
    response = client.post(f"/api/v1/gigs/{gig_id}/signups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _matches(client: TestClient, volunteer_id: str, headers: dict[str, str], **params: Any) -> Any:
    return client.get(f"/api/v1/volunteers/{volunteer_id}/matches", params=params, headers=headers)


def _ids(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [item[key]["id"] for item in response.json()["items"]]


def test_matches_rank_the_fitting_gig_first_with_reasons_in_both_languages(
    mclient: TestClient,
) -> None:
    _, org = organization_with_key(mclient)
    volunteer, own = make_volunteer(
        mclient, skills=["Tuinieren"], interests=["odd_jobs"], **NEAR, area="Oosterpoort"
    )
    fitting = make_gig(mclient, org, skills=["tuinieren"], location=_location(NEAR))
    other = make_gig(
        mclient, org, category="office", skills=["boekhouding"], location=_location(FAR, "Zuid")
    )
    response = _matches(mclient, volunteer["id"], own)
    assert _ids(response, "gig") == [fitting["id"], other["id"]]
    best = response.json()["items"][0]
    assert 0 <= best["score"] <= 1
    assert set(best["breakdown"]) >= {"skills", "distance", "interests", "availability"}
    assert best["gig"]["spots_left"] == fitting["spots_left"]
    assert "je hebt ervaring met tuinieren" in best["reasons"]
    english = _matches(mclient, volunteer["id"], own, lang="en").json()["items"][0]
    assert "you have experience with tuinieren" in english["reasons"]
    by_header = mclient.get(
        f"/api/v1/volunteers/{volunteer['id']}/matches",
        headers={**own, "Accept-Language": "nl;q=0.4, en-GB;q=0.9"},
    ).json()["items"][0]
    assert by_header["reasons"] == english["reasons"]
    assert _matches(mclient, volunteer["id"], own, limit=1).json()["items"][0] == best


def test_matches_leave_out_clashes_signed_up_full_and_inaccessible_gigs(
    mclient: TestClient,
) -> None:
    _, org = organization_with_key(mclient)
    volunteer, own = make_volunteer(mclient, needs_accessible=True)
    other, other_own = make_volunteer(mclient)
    booked = make_gig(mclient, org, accessible=True, **_when(5))
    clashing = make_gig(mclient, org, accessible=True, **_when(5, 1))
    full = make_gig(mclient, org, accessible=True, capacity=1, **_when(8))
    inaccessible = make_gig(mclient, org, accessible=False, **_when(9))
    group = make_gig(mclient, org, accessible=True, kind="group", capacity=10,
                     group_size_min=2, group_size_max=10, **_when(10))  # fmt: skip
    fitting = make_gig(mclient, org, accessible=True, **_when(11))
    _sign_up(mclient, booked["id"], own, volunteer_id=volunteer["id"])
    _sign_up(mclient, full["id"], other_own, volunteer_id=other["id"])
    assert _ids(_matches(mclient, volunteer["id"], own), "gig") == [fitting["id"]]
    # The other volunteer has no needs and no clash: everything open fits but its own gig.
    expected = {booked["id"], clashing["id"], inaccessible["id"], fitting["id"]}
    assert set(_ids(_matches(mclient, other["id"], other_own), "gig")) == expected
    assert group["id"] not in expected


def test_matches_are_for_the_volunteer_and_the_admin_only(mclient: TestClient) -> None:
    volunteer, own = make_volunteer(mclient)
    _, stranger = make_volunteer(mclient)
    _, org = organization_with_key(mclient)
    assert _matches(mclient, volunteer["id"], own).status_code == 200
    assert _matches(mclient, volunteer["id"], ADMIN).status_code == 200
    assert _matches(mclient, volunteer["id"], stranger).status_code == 404
    assert _matches(mclient, volunteer["id"], org).status_code == 404
    assert _matches(mclient, "vol_unknown", ADMIN).status_code == 404
    assert _matches(mclient, volunteer["id"], {}).status_code == 401


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_limit_outside_1_to_200_is_422(mclient: TestClient, limit: Any) -> None:
    volunteer, own = make_volunteer(mclient)
    _, org = organization_with_key(mclient)
    gig = make_gig(mclient, org)
    response = _matches(mclient, volunteer["id"], own, limit=limit)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    candidates = mclient.get(f"/api/v1/gigs/{gig['id']}/candidates?limit={limit}", headers=org)
    assert candidates.status_code == 422
    assert _matches(mclient, volunteer["id"], own, lang="fr").status_code == 422


def test_a_limit_of_200_gives_up_to_200(app: FastAPI, mclient: TestClient) -> None:
    """The contract's range for every list, 1–200, with more than 100 to rank."""
    organization, org = organization_with_key(mclient)
    gig = make_gig(mclient, org, **_when(30))
    volunteer, own = make_volunteer(mclient)
    now = datetime.now(UTC)
    gigs = [
        {"id": new_id("gig"), "organization_id": organization["id"], "title": f"Klus {number}",
         "category": "other", "kind": "one_off", "starts_at": _at(1, number),
         "ends_at": _at(1, number + 1), "capacity": 1, "status": "open",
         "search_text": f"klus {number}", "created_at": now, "updated_at": now}
        for number in range(150)
    ]  # fmt: skip
    people = [
        {"id": new_id("vol"), "name": f"Vrijwilliger {number}", "languages": ["nl"],
         "access_token_hash": hash_token(f"test-{uuid.uuid4().hex}"), "consent_at": now,
         "created_at": now, "updated_at": now}
        for number in range(150)
    ]  # fmt: skip
    with db_session(app) as session, session.begin():
        session.execute(insert(Gig), gigs)
        session.execute(insert(Volunteer), people)
    matches = _matches(mclient, volunteer["id"], own, limit=200)
    assert len(_ids(matches, "gig")) == 151
    assert len(_ids(_matches(mclient, volunteer["id"], own, limit=120), "gig")) == 120
    path = f"/api/v1/gigs/{gig['id']}/candidates"
    assert len(_ids(mclient.get(f"{path}?limit=200", headers=org), "volunteer")) == 151
    assert len(_ids(mclient.get(f"{path}?limit=150", headers=org), "volunteer")) == 150
    for operation in (
        "/api/v1/volunteers/{volunteer_id}/matches",
        "/api/v1/gigs/{gig_id}/candidates",
    ):
        parameters = mclient.get("/openapi.json").json()["paths"][operation]["get"]["parameters"]
        limit = next(parameter for parameter in parameters if parameter["name"] == "limit")
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 200)


def test_candidates_for_a_one_off_gig_show_no_contact_data(mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    gig = make_gig(mclient, org, skills=["koken"], location=_location(NEAR))
    cook, _ = make_volunteer(mclient, skills=["koken"], **NEAR, phone="0612345678")
    stranger, _ = make_volunteer(mclient, **FAR)
    _excluded, _ = make_volunteer(mclient, needs_accessible=True, skills=["koken"], **NEAR)
    response = mclient.get(f"/api/v1/gigs/{gig['id']}/candidates", headers=org)
    assert _ids(response, "volunteer") == [cook["id"], stranger["id"]]
    body = response.json()
    assert body["kind"] == "one_off"
    first = body["items"][0]
    assert set(first["volunteer"]) == {"id", "name", "area", "skills", "languages", "age"}
    assert "heeft ervaring met koken" in first["reasons"]
    english = mclient.get(f"/api/v1/gigs/{gig['id']}/candidates?lang=en", headers=org).json()
    assert "has experience with koken" in english["items"][0]["reasons"]


def test_candidates_for_a_group_gig_are_associations(mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    gig = make_gig(mclient, org, kind="group", capacity=20, group_size_min=2, group_size_max=8)
    keen, keen_key = make_association(
        mclient, preferred_categories=["odd_jobs"], preferred_areas=["Oosterpoort"]
    )
    other, _ = make_association(mclient, preferred_categories=["board"])
    busy, busy_key = make_association(mclient)
    for _ in range(3):
        member, member_own = make_volunteer(mclient)
        added = mclient.post(
            f"/api/v1/associations/{keen['id']}/members",
            json={"volunteer_id": member["id"]},
            headers=member_own,
        )
        assert added.status_code == 201, added.text
    clash = make_gig(mclient, org, kind="group", capacity=20, group_size_min=2, group_size_max=8,
                     starts_at=gig["starts_at"], ends_at=gig["ends_at"])  # fmt: skip
    _sign_up(mclient, clash["id"], busy_key, association_id=busy["id"], size=2)
    response = mclient.get(f"/api/v1/gigs/{gig['id']}/candidates", headers=ADMIN)
    assert _ids(response, "association") == [keen["id"], other["id"]]
    first = response.json()["items"][0]
    assert response.json()["kind"] == "group"
    assert first["association"] == {
        "id": keen["id"], "name": keen["name"], "slug": keen["slug"], "member_count": 3,
    }  # fmt: skip
    assert "heeft voorkeur voor klussen in en om het huis" in first["reasons"]
    assert keen_key  # the association's own key is not needed to be proposed


def test_candidates_are_for_the_gigs_organisation_and_the_admin(mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    _, other_org = organization_with_key(mclient)
    _, volunteer = make_volunteer(mclient)
    gig = make_gig(mclient, org)
    path = f"/api/v1/gigs/{gig['id']}/candidates"
    assert mclient.get(path, headers=org).status_code == 200
    assert mclient.get(path, headers=ADMIN).status_code == 200
    assert mclient.get(path, headers=other_org).status_code == 404
    assert mclient.get(path, headers=volunteer).status_code == 404
    assert mclient.get("/api/v1/gigs/gig_unknown/candidates", headers=ADMIN).status_code == 404
    assert mclient.get(path).status_code == 401


def test_the_cached_pool_follows_registrations_and_signups(mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    gig = make_gig(mclient, org)
    path = f"/api/v1/gigs/{gig['id']}/candidates"
    first, first_own = make_volunteer(mclient)
    assert _ids(mclient.get(path, headers=org), "volunteer") == [first["id"]]
    newcomer, _ = make_volunteer(mclient)
    assert set(_ids(mclient.get(path, headers=org), "volunteer")) == {first["id"], newcomer["id"]}
    _sign_up(mclient, gig["id"], first_own, volunteer_id=first["id"])
    assert _ids(mclient.get(path, headers=org), "volunteer") == [newcomer["id"]]
    patched = mclient.patch(
        f"/api/v1/volunteers/{newcomer['id']}", json={"needs_guidance": True}, headers=ADMIN
    )
    assert patched.status_code == 200, patched.text
    assert _ids(mclient.get(path, headers=org), "volunteer") == []


def _signup_count(app: FastAPI) -> int:
    with db_session(app) as session:
        return int(session.scalar(select(func.count()).select_from(Signup)) or 0)


def _propose(client: TestClient, body: dict[str, Any], headers: dict[str, str] = ADMIN) -> Any:
    return client.post("/api/v1/matching/assignments", json=body, headers=headers)


def test_optimal_beats_greedy_and_nothing_is_booked(app: FastAPI, mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    when = _when(6)
    step_free = make_gig(mclient, org, capacity=1, accessible=True, skills=["koken"], **when)
    stairs = make_gig(mclient, org, capacity=1, accessible=False, skills=["koken"], **when)
    cook, _ = make_volunteer(mclient, skills=["koken"])
    wheelchair, _ = make_volunteer(mclient, needs_accessible=True)
    body = {
        "gig_ids": [step_free["id"], stairs["id"]],
        "volunteer_ids": [cook["id"], wheelchair["id"]],
    }
    greedy = _propose(mclient, {**body, "strategy": "greedy"})
    optimal = _propose(mclient, {**body, "strategy": "optimal"})
    assert greedy.status_code == optimal.status_code == 200, optimal.text
    assert greedy.json()["unfilled"] == {stairs["id"]: 1}
    placed = {(a["gig_id"], a["volunteer_id"]) for a in optimal.json()["assignments"]}
    assert placed == {(step_free["id"], wheelchair["id"]), (stairs["id"], cook["id"])}
    assert optimal.json()["unfilled"] == {}
    assert optimal.json()["total_score"] > greedy.json()["total_score"]
    assert _signup_count(app) == 0
    everyone = _propose(mclient, {"strategy": "optimal"})
    assert everyone.status_code == 200
    assert len(everyone.json()["assignments"]) == 2
    assert _signup_count(app) == 0


def test_without_volunteer_ids_a_large_pool_is_preselected(
    mclient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching_service, "MAX_ASSIGNMENT_VOLUNTEERS", 2)
    monkeypatch.setattr(matching_service, "PRESELECT_MIN", 1)
    monkeypatch.setattr(matching_service, "PRESELECT_PER_SPOT", 1)
    _, org = organization_with_key(mclient)
    gig = make_gig(mclient, org, capacity=1, skills=["koken"], location=_location(NEAR))
    cook, _ = make_volunteer(mclient, skills=["koken"], **NEAR)
    for _ in range(3):
        make_volunteer(mclient, **FAR)
    response = _propose(mclient, {"gig_ids": [gig["id"]], "strategy": "greedy"})
    assert response.status_code == 200, response.text
    assert [a["volunteer_id"] for a in response.json()["assignments"]] == [cook["id"]]
    monkeypatch.setattr(matching_service, "PRESELECT_CELLS", 1)
    refused = _propose(mclient, {"gig_ids": [gig["id"]], "strategy": "greedy"})
    assert (refused.status_code, refused.json()["type"]) == (422, "problem-too-large")


def test_assignments_are_for_the_admin_only(mclient: TestClient) -> None:
    _, org = organization_with_key(mclient)
    _, volunteer = make_volunteer(mclient)
    assert _propose(mclient, {"strategy": "optimal"}, org).status_code == 403
    assert _propose(mclient, {"strategy": "optimal"}, volunteer).status_code == 403
    assert _propose(mclient, {"strategy": "optimal"}, {}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"strategy": "best"},
        {},
        {"strategy": "optimal", "booked": True},
        {"strategy": "optimal", "gig_ids": [f"gig_{i}" for i in range(2001)]},
        {"strategy": "optimal", "volunteer_ids": [f"vol_{i}" for i in range(10_001)]},
        {"strategy": "optimal", "gig_ids": ["gig_unknown"]},
        {"strategy": "optimal", "volunteer_ids": ["vol_unknown"]},
    ],
)
def test_invalid_assignment_requests_are_422(mclient: TestClient, body: dict[str, Any]) -> None:
    response = _propose(mclient, body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


def test_group_gigs_and_oversized_problems_are_422(
    mclient: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, org = organization_with_key(mclient)
    group = make_gig(mclient, org, kind="group", capacity=10, group_size_min=2, group_size_max=5)
    response = _propose(mclient, {"gig_ids": [group["id"]], "strategy": "optimal"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "gig_ids"]
    gig = make_gig(mclient, org)
    make_volunteer(mclient)
    monkeypatch.setattr(assignment, "MAX_ASSIGNMENT_CELLS", 0)
    too_large = _propose(mclient, {"gig_ids": [gig["id"]], "strategy": "optimal"})
    assert (too_large.status_code, too_large.json()["type"]) == (422, "problem-too-large")
