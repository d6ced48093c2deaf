"""Far dates: bounded on every way in, and rows from before the bounds break nothing.

A gig starts at most two years ahead and lasts at most 14 days (API create and PATCH,
chat messages). Rows written before those bounds (set here with a plain Core update)
are left out of feeds and matching, with a warning, and the rest is served.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.matching.timeslots import gig_slot_weights
from app.models import Gig
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    bearer,
    make_association,
    make_gig,
    make_key,
    make_organization,
    make_volunteer,
    organization_with_key,
)
from tests.integrations.calendar_helpers import PUBLIC_FEED, get_feed, uid, uids
from tests.integrations.inbound_helpers import (
    BRIDGE_PATH,
    cloud_delivery,
    cloud_text,
    gigs_of,
    post_cloud,
)

NOW = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)
FAR_START = datetime(9999, 12, 31, 10, 0, tzinfo=UTC)
FAR_END = datetime(9999, 12, 31, 12, 0, tzinfo=UTC)
GIGS = "/api/v1/gigs"
KNOWN = "+31612345678"


@pytest.fixture
def far_client(app: FastAPI) -> Iterator[TestClient]:
    """A client for the app under test."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _when(days: float, hours: float = 3) -> dict[str, str]:
    start = NOW + timedelta(days=days)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def _set_times(app: FastAPI, gig_id: str, **times: datetime) -> None:
    """Write times the API refuses, as rows from before the bounds were."""
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig_id).values(**times))


def _far_start(app: FastAPI, gig: dict[str, Any]) -> str:
    _set_times(app, gig["id"], starts_at=FAR_START, ends_at=FAR_END)
    return str(gig["id"])


def _far_end(app: FastAPI, gig: dict[str, Any]) -> str:
    _set_times(app, gig["id"], ends_at=FAR_END)
    return str(gig["id"])


def _assert_field_error(response: Any, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = [error for error in response.json()["errors"] if field in error["loc"]]
    assert errors, response.json()
    assert words in errors[0]["msg"], errors


def _skipped(caplog: pytest.LogCaptureFixture, *gig_ids: str) -> None:
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    for gig_id in gig_ids:
        assert any(gig_id in message for message in warnings), warnings


# --- the bounds on the way in ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"starts_at": FAR_START.isoformat(), "ends_at": FAR_END.isoformat()}, "starts_at",
         "two years"),
        (_when(2 * 365 + 2), "starts_at", "two years"),
        ({"ends_at": FAR_END.isoformat()}, "ends_at", "14 days"),
        (_when(3, hours=14 * 24 + 1), "ends_at", "14 days"),
    ],
)  # fmt: skip
def test_a_new_gig_starts_within_two_years_and_lasts_at_most_14_days(
    far_client: TestClient, fields: dict[str, str], field: str, words: str
) -> None:
    _, own = organization_with_key(far_client)
    body = {"title": "Ver weg", "category": "other", "kind": "one_off", "capacity": 1,
            **_when(3), **fields}  # fmt: skip
    _assert_field_error(far_client.post(GIGS, json=body, headers=own), field, words)
    # Just inside both bounds is fine.
    make_gig(far_client, own, **_when(2 * 365 - 1, hours=14 * 24))


def test_a_patch_cannot_move_a_gig_out_of_the_bounds(app: FastAPI, far_client: TestClient) -> None:
    _, own = organization_with_key(far_client)
    gig = make_gig(far_client, own, **_when(3))
    path = f"{GIGS}/{gig['id']}"
    far = {"starts_at": FAR_START.isoformat(), "ends_at": FAR_END.isoformat()}
    _assert_field_error(far_client.patch(path, json=far, headers=own), "starts_at", "two years")
    longer = {"ends_at": FAR_END.isoformat()}
    _assert_field_error(far_client.patch(path, json=longer, headers=own), "ends_at", "14 days")
    assert far_client.get(path).json()["ends_at"] == gig["ends_at"]

    # A draft from before the bounds is not published with its far date...
    draft = make_gig(far_client, own, status="draft", **_when(4))
    _far_start(app, draft)
    publish = far_client.patch(f"{GIGS}/{draft['id']}", json={"status": "open"}, headers=own)
    _assert_field_error(publish, "starts_at", "two years")
    # ...but it can be given a sensible date, or another title.
    retitled = far_client.patch(f"{GIGS}/{draft['id']}", json={"title": "Nog te plannen"},
                                headers=own)  # fmt: skip
    assert retitled.status_code == 200, retitled.text
    fixed = far_client.patch(f"{GIGS}/{draft['id']}", json={**_when(5), "status": "open"},
                             headers=own)  # fmt: skip
    assert fixed.status_code == 200, fixed.text


def test_the_openapi_schema_states_the_bounds(far_client: TestClient) -> None:
    schemas = far_client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("GigCreate", "GigUpdate"):
        properties = schemas[name]["properties"]
        assert "two years" in properties["starts_at"]["description"], name
        assert "14 days" in properties["ends_at"]["description"], name


@pytest.mark.parametrize("day", ["31-12-9999", f"14-06-{NOW.year + 3}"])
def test_a_chat_message_with_a_far_date_is_not_published(far_client: TestClient, day: str) -> None:
    organization = make_organization(far_client, whatsapp_numbers=[KNOWN])
    bridge = bearer(make_key(far_client, "integration"))
    text = f"Klus: Ramen zemen\nWanneer: {day} 10:00-12:00"
    body = {"message_id": f"far-{day}", "from": KNOWN, "text": text}
    response = far_client.post(BRIDGE_PATH, json=body, headers=bridge)
    assert response.status_code in (200, 201), response.text
    result = response.json()
    assert result["status"] != "created"
    assert "datum" in (result["reply"] or ""), result["reply"]  # it asks for the date
    for gig in gigs_of(far_client, organization["id"]):
        assert gig["status"] == "draft"
        assert gig["starts_at"] < (NOW + timedelta(days=2 * 365)).isoformat()


def test_a_whatsapp_message_with_a_far_date_is_not_published(far_client: TestClient) -> None:
    organization = make_organization(far_client, whatsapp_numbers=[KNOWN])
    text = "Klus: Ramen zemen\nWanneer: 31-12-9999 10:00-12:00"
    delivery = cloud_delivery([{"messages": [cloud_text(KNOWN.removeprefix("+"), text)]}])
    assert post_cloud(far_client, delivery).status_code == 200
    found = gigs_of(far_client, organization["id"])
    assert [gig["status"] for gig in found] == ["draft"]
    assert not found[0]["starts_at"].startswith("9999")


# --- rows from before the bounds ------------------------------------------------------------


def test_the_public_feed_leaves_out_a_gig_ending_in_9999(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    before = make_gig(far_client, own, title="Eerder", **_when(1))
    far = _far_end(app, make_gig(far_client, own, title="Eindeloos", **_when(2)))
    after = make_gig(far_client, own, title="Later", **_when(3))
    assert uids(get_feed(far_client, PUBLIC_FEED)) == [uid(before), uid(after)]
    _skipped(caplog, far)


def test_an_association_feed_leaves_out_gigs_ending_in_9999(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    association, _ = make_association(far_client)
    group = {"kind": "group", "capacity": 10, "group_size_min": 2, "group_size_max": 5}
    fitting = make_gig(far_client, own, **group, **_when(1))
    open_far = _far_end(app, make_gig(far_client, own, **group, **_when(2)))
    cancelled = make_gig(far_client, own, **group, **_when(3))
    assert far_client.post(f"{GIGS}/{cancelled['id']}/cancel", headers=own).status_code == 200
    cancelled_far = _far_end(app, cancelled)
    feed = association["calendar_url"].removeprefix("https://klusmakelaar.test")
    assert uids(get_feed(far_client, feed)) == [uid(fitting)]
    _skipped(caplog, open_far, cancelled_far)


def _open_far_gigs(app: FastAPI, client: TestClient, own: dict[str, str]) -> list[str]:
    """An open one-off gig starting in 9999 and one ending then, as old rows might be."""
    return [
        _far_start(app, make_gig(client, own, title="Over duizenden jaren", **_when(2))),
        _far_end(app, make_gig(client, own, title="Duurt eeuwig", **_when(3))),
    ]


def test_matches_leave_out_a_gig_starting_in_9999(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    near = make_gig(far_client, own, **_when(1))
    far_start, _ = _open_far_gigs(app, far_client, own)
    volunteer, headers = make_volunteer(far_client)
    response = far_client.get(f"/api/v1/volunteers/{volunteer['id']}/matches", headers=headers)
    assert response.status_code == 200, response.text
    found = [item["gig"]["id"] for item in response.json()["items"]]
    assert near["id"] in found
    assert far_start not in found
    _skipped(caplog, far_start)


def test_assignments_leave_out_a_gig_starting_in_9999(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    near = make_gig(far_client, own, capacity=1, **_when(1))
    far_start, far_end = _open_far_gigs(app, far_client, own)
    volunteer, _ = make_volunteer(far_client)
    proposals = "/api/v1/matching/assignments"
    for body in ({}, {"gig_ids": [near["id"], far_start, far_end]}):
        body = {**body, "strategy": "greedy"}
        response = far_client.post(proposals, json=body, headers=ADMIN)
        assert response.status_code == 200, response.text
        placed = {(a["gig_id"], a["volunteer_id"]) for a in response.json()["assignments"]}
        assert (near["id"], volunteer["id"]) in placed
    _skipped(caplog, far_start)


def test_candidates_for_a_gig_starting_in_9999_are_none_rather_than_an_error(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    far_start, _ = _open_far_gigs(app, far_client, own)
    make_volunteer(far_client)
    response = far_client.get(f"{GIGS}/{far_start}/candidates", headers=own)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    _skipped(caplog, far_start)


def test_suggestions_leave_out_a_past_gig_ending_in_9999(
    app: FastAPI, far_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, own = organization_with_key(far_client)
    association, headers = make_association(far_client)
    group = {"kind": "group", "capacity": 10, "group_size_min": 2, "group_size_max": 5,
             "repeatable": True}  # fmt: skip
    kept = make_gig(far_client, own, title="Kerstmarkt", **group, **_when(-40))
    far = _far_end(app, make_gig(far_client, own, title="Zomerfeest", **group, **_when(-50)))
    path = f"/api/v1/associations/{association['id']}/suggestions"
    response = far_client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert [item["gig"]["id"] for item in response.json()["items"]] == [kept["id"]]
    _skipped(caplog, far)


def test_the_slots_of_a_gig_near_the_calendars_end_are_walked_without_overflow() -> None:
    start = datetime(9999, 12, 20, 10, 0, tzinfo=UTC)
    slots, seconds = gig_slot_weights(start, start + timedelta(hours=2))
    assert len(slots) == 8
    assert seconds.sum() == 2 * 3600
