"""`GET /api/v1/associations/{id}/suggestions`: repeatable past gigs for an academic year."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.integrations.ical_text import AMSTERDAM
from app.services.calendar_suggestions import next_academic_year, project_into_academic_year
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_volunteer,
    organization_with_key,
)
from tests.integrations.calendar_helpers import calendar_test_client

NOW = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)


@pytest.fixture
def calendar_app(app: FastAPI) -> FastAPI:
    """The application under test."""
    return app


@pytest.fixture
def calendar_client(calendar_app: FastAPI) -> Iterator[TestClient]:
    """A client for the app with the calendar router."""
    with calendar_test_client(calendar_app) as client:
        yield client


def path(association: dict[str, Any]) -> str:
    """The suggestions of an association."""
    return f"/api/v1/associations/{association['id']}/suggestions"


def past_group_gig(
    client: TestClient, headers: dict[str, str], days_ago: int, **fields: Any
) -> dict[str, Any]:
    """A repeatable group gig that started ``days_ago``, overridable field by field."""
    start = NOW - timedelta(days=days_ago)
    body: dict[str, Any] = {
        "kind": "group",
        "capacity": 20,
        "group_size_min": 2,
        "group_size_max": 2,
        "repeatable": True,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        **fields,
    }
    return make_gig(client, headers, **body)


def test_suggestions_rank_fitting_repeatable_past_group_gigs(
    calendar_client: TestClient,
) -> None:
    organization, headers = organization_with_key(
        calendar_client,
        name="Buurthuis De Kroon",
        email="info@dekroon.example",
        website="https://dekroon.example",
    )
    association, association_headers = make_association(
        calendar_client, preferred_categories=["odd_jobs"]
    )
    for _ in range(2):
        volunteer, volunteer_headers = make_volunteer(calendar_client)
        joined = calendar_client.post(
            f"{path(association).removesuffix('/suggestions')}/members",
            json={"volunteer_id": volunteer["id"]},
            headers=volunteer_headers,
        )
        assert joined.status_code == 201, joined.text
    past_group_gig(calendar_client, headers, 400, title="Kerstmarkt")
    latest_edition = past_group_gig(calendar_client, headers, 40, title="kerstmarkt ")
    big_group = past_group_gig(
        calendar_client, headers, 60, title="Verhuizen", group_size_min=10, group_size_max=20
    )
    completed = calendar_client.post(f"/api/v1/gigs/{big_group['id']}/complete", headers=headers)
    assert completed.status_code == 200
    past_group_gig(calendar_client, headers, 50, title="Eenmalig", repeatable=False)
    past_group_gig(calendar_client, headers, 50, title="Zorg", category="care")
    past_group_gig(calendar_client, headers, -10, title="Nog niet geweest")
    past_group_gig(calendar_client, headers, 50, title="Concept", status="draft")
    cancelled = past_group_gig(calendar_client, headers, 50, title="Afgelast")
    calendar_client.post(f"/api/v1/gigs/{cancelled['id']}/cancel", headers=headers)
    make_gig(
        calendar_client,
        headers,
        title="Alleen",
        repeatable=True,
        starts_at=(NOW - timedelta(days=50)).isoformat(),
        ends_at=(NOW - timedelta(days=50, hours=-2)).isoformat(),
    )

    response = calendar_client.get(
        path(association), params={"academic_year": "2027-2028"}, headers=association_headers
    )

    assert response.status_code == 200, response.text
    suggestions = response.json()
    assert suggestions["academic_year"] == "2027-2028"
    items = suggestions["items"]
    assert [item["gig"]["id"] for item in items] == [latest_edition["id"], big_group["id"]]
    assert items[0]["organization"] == {
        "id": organization["id"],
        "name": "Buurthuis De Kroon",
        "email": "info@dekroon.example",
        "phone": None,
        "website": "https://dekroon.example",
    }
    assert items[0]["breakdown"] == {"category": 1.0, "area": 0.8, "size": 1.0}
    assert items[1]["breakdown"]["size"] < 1.0
    assert 1.0 >= items[0]["score"] > items[1]["score"] >= 0.0
    for item in items:
        original = datetime.fromisoformat(item["gig"]["starts_at"]).astimezone(AMSTERDAM)
        proposed = datetime.fromisoformat(item["suggested_starts_at"]).astimezone(AMSTERDAM)
        assert proposed.weekday() == original.weekday()
        assert proposed.time() == original.time()
        assert datetime(2027, 8, 28, tzinfo=AMSTERDAM) < proposed
        assert proposed < datetime(2028, 9, 4, tzinfo=AMSTERDAM)
    limited = calendar_client.get(path(association), params={"limit": 1}, headers=ADMIN)
    assert [item["gig"]["id"] for item in limited.json()["items"]] == [latest_edition["id"]]
    assert limited.json()["academic_year"] == next_academic_year(datetime.now(UTC))


def test_only_the_association_and_the_admin_see_suggestions(
    calendar_client: TestClient,
) -> None:
    association, own = make_association(calendar_client)
    _, other_association = make_association(calendar_client)
    _, organization = organization_with_key(calendar_client)
    volunteer_headers = make_volunteer(calendar_client)[1]

    assert calendar_client.get(path(association), headers=own).status_code == 200
    assert calendar_client.get(path(association), headers=ADMIN).status_code == 200
    for headers in (other_association, organization, volunteer_headers):
        response = calendar_client.get(path(association), headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    anonymous = calendar_client.get(path(association))
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    unknown = calendar_client.get(path({"id": "asc_unknown"}), headers=ADMIN)
    assert unknown.status_code == 404


@pytest.mark.parametrize("year", ["2027-2029", "2027-2026", "2027/2028", "27-28", "2027-2028x", ""])
def test_academic_year_must_be_two_consecutive_years(
    calendar_client: TestClient, year: str
) -> None:
    association, own = make_association(calendar_client)

    response = calendar_client.get(path(association), params={"academic_year": year}, headers=own)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "academic_year"]


def test_the_proposed_date_keeps_weekday_local_time_and_duration_across_dst() -> None:
    # Saturday 29 March 2025, 10:00 CET → Saturday 1 April 2028, 10:00 CEST.
    starts_at = datetime(2025, 3, 29, 9, 0, tzinfo=UTC)
    ends_at = starts_at + timedelta(hours=3)

    proposed_start, proposed_end = project_into_academic_year(starts_at, ends_at, 2027)

    assert proposed_start == datetime(2028, 4, 1, 8, 0, tzinfo=UTC)
    assert proposed_end - proposed_start == timedelta(hours=3)
    autumn = datetime(2025, 10, 11, 12, 0, tzinfo=UTC)  # a Saturday in the first half
    assert project_into_academic_year(autumn, autumn + timedelta(hours=1), 2027)[0] == datetime(
        2027, 10, 9, 12, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 28, tzinfo=UTC), "2027-2028"),
        (datetime(2027, 6, 1, tzinfo=UTC), "2027-2028"),
        (datetime(2027, 8, 31, 22, 30, tzinfo=UTC), "2028-2029"),  # 1 September in Groningen
    ],
)
def test_the_default_is_the_next_academic_year(now: datetime, expected: str) -> None:
    assert next_academic_year(now) == expected
