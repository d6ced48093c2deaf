"""Sign-ups through HTTP: states, waitlist, groups, conflicts, attendance and hours."""

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
    return client.post(f"/api/v1/gigs/{gig_id}/signups", json=body, headers=headers)


def _at(days: float, hours: float = 0) -> str:
    base = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)
    return (base + timedelta(days=days, hours=hours)).isoformat()


def test_confirm_then_waitlist_then_full(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=2)
    people = [make_volunteer(client) for _ in range(4)]
    results = [
        _sign_up(client, gig["id"], headers, volunteer_id=volunteer["id"])
        for volunteer, headers in people[:3]
    ]
    assert [r.status_code for r in results] == [201, 201, 201]
    assert [r.json()["status"] for r in results] == ["confirmed", "confirmed", "waitlisted"]
    assert [r.json()["waitlist_position"] for r in results] == [None, None, 1]
    assert results[0].headers["location"] == f"/api/v1/signups/{results[0].json()['id']}"
    full = _sign_up(
        client, gig["id"], people[3][1], volunteer_id=people[3][0]["id"], waitlist=False
    )
    assert full.status_code == 409
    assert full.json()["type"] == "gig-full"
    after = client.get(f"/api/v1/gigs/{gig['id']}").json()
    assert (after["spots_left"], after["waitlist_count"]) == (0, 1)


def test_problem_types_for_each_refusal(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    volunteer, own = make_volunteer(client)
    gig = make_gig(client, org)
    assert _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"]).status_code == 201
    again = _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"])
    assert (again.status_code, again.json()["type"]) == (409, "already-signed-up")
    draft = make_gig(client, org, status="draft")
    assert _sign_up(client, draft["id"], own, volunteer_id=volunteer["id"]).status_code == 404
    cancelled = make_gig(client, org)
    client.post(f"/api/v1/gigs/{cancelled['id']}/cancel", headers=org)
    refused = _sign_up(client, cancelled["id"], own, volunteer_id=volunteer["id"])
    assert (refused.status_code, refused.json()["type"]) == (409, "gig-not-open")
    closed = make_gig(client, org, starts_at=_at(20), ends_at=_at(20, 2), signup_deadline=_at(1))
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == closed["id"])
            .values(signup_deadline=datetime.now(UTC) - timedelta(minutes=1))
        )
    late = _sign_up(client, closed["id"], own, volunteer_id=volunteer["id"])
    assert (late.status_code, late.json()["type"]) == (409, "signup-closed")
    other, _ = make_volunteer(client)
    assert _sign_up(client, gig["id"], own, volunteer_id=other["id"]).status_code == 403
    group = make_gig(client, org, kind="group", capacity=10, starts_at=_at(9), ends_at=_at(9, 2))
    mismatch = _sign_up(client, group["id"], own, volunteer_id=volunteer["id"])
    assert mismatch.status_code == 422
    assert (
        _sign_up(
            client, gig["id"], own, volunteer_id=volunteer["id"], association_id="x"
        ).status_code
        == 422
    )


def test_time_conflicts_but_back_to_back_is_fine(client: TestClient) -> None:
    _, org = organization_with_key(client)
    volunteer, own = make_volunteer(client)
    morning = make_gig(client, org, starts_at=_at(5, 9), ends_at=_at(5, 12))
    overlapping = make_gig(client, org, starts_at=_at(5, 11), ends_at=_at(5, 13))
    after = make_gig(client, org, starts_at=_at(5, 12), ends_at=_at(5, 14))
    assert _sign_up(client, morning["id"], own, volunteer_id=volunteer["id"]).status_code == 201
    clash = _sign_up(client, overlapping["id"], own, volunteer_id=volunteer["id"])
    assert (clash.status_code, clash.json()["type"]) == (409, "time-conflict")
    assert _sign_up(client, after["id"], own, volunteer_id=volunteer["id"]).status_code == 201


def test_cancelling_promotes_in_order_and_skips_groups_that_do_not_fit(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, kind="group", capacity=6, group_size_min=1, group_size_max=6)
    groups = [make_association(client) for _ in range(4)]
    sizes = [4, 2, 5, 2]
    signups = [
        _sign_up(client, gig["id"], headers, association_id=association["id"], size=size).json()
        for (association, headers), size in zip(groups, sizes, strict=True)
    ]
    assert [s["status"] for s in signups] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [s["waitlist_position"] for s in signups[2:]] == [1, 2]
    cancelled = client.post(f"/api/v1/signups/{signups[1]['id']}/cancel", headers=groups[1][1])
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    # 2 spots free: the group of 5 keeps its place, the group of 2 behind it moves up.
    big = client.get(f"/api/v1/signups/{signups[2]['id']}", headers=groups[2][1]).json()
    small = client.get(f"/api/v1/signups/{signups[3]['id']}", headers=groups[3][1]).json()
    assert (big["status"], big["waitlist_position"]) == ("waitlisted", 1)
    assert (small["status"], small["waitlist_position"]) == ("confirmed", None)
    assert (
        client.post(f"/api/v1/signups/{signups[1]['id']}/cancel", headers=groups[1][1]).status_code
        == 409
    )


def test_capacity_raise_promotes_and_lowering_below_confirmed_is_409(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    people = [make_volunteer(client) for _ in range(3)]
    ids = [_sign_up(client, gig["id"], h, volunteer_id=v["id"]).json()["id"] for v, h in people]
    raised = client.patch(f"/api/v1/gigs/{gig['id']}", json={"capacity": 2}, headers=org)
    assert (raised.json()["spots_left"], raised.json()["waitlist_count"]) == (0, 1)
    statuses = [client.get(f"/api/v1/signups/{i}", headers=ADMIN).json() for i in ids]
    assert [s["status"] for s in statuses] == ["confirmed", "confirmed", "waitlisted"]
    assert statuses[2]["waitlist_position"] == 1
    lowered = client.patch(f"/api/v1/gigs/{gig['id']}", json={"capacity": 1}, headers=org)
    assert lowered.status_code == 409


def test_group_sign_up_with_named_members_and_their_conflicts(client: TestClient) -> None:
    _, org = organization_with_key(client)
    association, key = make_association(client)
    member, member_headers = make_volunteer(client)
    stranger, _ = make_volunteer(client)
    client.post(
        f"/api/v1/associations/{association['id']}/members",
        json={"volunteer_id": member["id"]},
        headers=member_headers,
    )
    group = make_gig(client, org, kind="group", capacity=10, group_size_min=2, group_size_max=6,
                     starts_at=_at(6, 10), ends_at=_at(6, 14))  # fmt: skip
    assert (
        _sign_up(client, group["id"], key, association_id=association["id"], size=7).status_code
        == 422
    )
    assert (
        _sign_up(
            client,
            group["id"],
            key,
            association_id=association["id"],
            size=3,
            member_ids=[stranger["id"]],
        ).status_code
        == 422
    )
    other_association, _ = make_association(client)
    assert (
        _sign_up(
            client, group["id"], key, association_id=other_association["id"], size=3
        ).status_code
        == 403
    )
    created = _sign_up(
        client,
        group["id"],
        key,
        association_id=association["id"],
        size=3,
        member_ids=[member["id"]],
    )
    assert created.status_code == 201
    assert created.json()["member_ids"] == [member["id"]]
    solo = make_gig(client, org, starts_at=_at(6, 13), ends_at=_at(6, 15))
    clash = _sign_up(client, solo["id"], member_headers, volunteer_id=member["id"])
    assert clash.json()["type"] == "time-conflict"
    mine = client.get(f"/api/v1/volunteers/{member['id']}/signups", headers=member_headers).json()[
        "items"
    ]
    assert [s["id"] for s in mine] == [created.json()["id"]]


def test_cancelling_a_gig_cancels_its_sign_ups_and_completing_keeps_them(
    client: TestClient,
) -> None:
    _, org = organization_with_key(client)
    volunteer, own = make_volunteer(client)
    first = make_gig(client, org, starts_at=_at(3, 9), ends_at=_at(3, 10))
    second = make_gig(client, org, starts_at=_at(4, 9), ends_at=_at(4, 10))
    a = _sign_up(client, first["id"], own, volunteer_id=volunteer["id"]).json()
    b = _sign_up(client, second["id"], own, volunteer_id=volunteer["id"]).json()
    client.post(f"/api/v1/gigs/{first['id']}/cancel", headers=org)
    client.post(f"/api/v1/gigs/{second['id']}/complete", headers=org)
    assert client.get(f"/api/v1/signups/{a['id']}", headers=own).json()["status"] == "cancelled"
    assert client.get(f"/api/v1/signups/{b['id']}", headers=own).json()["status"] == "confirmed"
    assert client.get(f"/api/v1/gigs/{first['id']}").json()["spots_left"] == 4


def test_attendance_hours_and_the_cv_statement(app: FastAPI, client: TestClient) -> None:
    humanitas, org = organization_with_key(client, name="Humanitas Groningen")
    present, org2 = organization_with_key(client, name="Present Groningen")
    volunteer, own = make_volunteer(client, name="Sanne de Vries")
    first = make_gig(client, org, starts_at=_at(2, 9), ends_at=_at(2, 12))
    second = make_gig(client, org2, starts_at=_at(3, 9), ends_at=_at(3, 11))
    s1 = _sign_up(client, first["id"], own, volunteer_id=volunteer["id"]).json()
    s2 = _sign_up(client, second["id"], own, volunteer_id=volunteer["id"]).json()
    early = client.post(
        f"/api/v1/signups/{s1['id']}/attendance", json={"attended": True}, headers=org
    )
    assert (early.status_code, early.json()["type"]) == (409, "gig-not-started")
    with db_session(app) as session, session.begin():
        for gig_id in (first["id"], second["id"]):
            gig = session.get(Gig, gig_id)
            assert gig is not None
            duration = gig.ends_at - gig.starts_at
            gig.starts_at = datetime.now(UTC) - timedelta(days=1)
            gig.ends_at = gig.starts_at + duration
    assert (
        client.post(
            f"/api/v1/signups/{s1['id']}/attendance", json={"attended": True}, headers=org2
        ).status_code
        == 404
    )
    too_long = client.post(
        f"/api/v1/signups/{s1['id']}/attendance", json={"attended": True, "hours": 4.5}, headers=org
    )
    assert too_long.status_code == 422
    assert (
        client.post(
            f"/api/v1/signups/{s1['id']}/attendance",
            json={"attended": True, "hours": 3.5},
            headers=org,
        ).json()["hours"]
        == 3.5
    )
    assert (
        client.post(
            f"/api/v1/signups/{s2['id']}/attendance", json={"attended": True}, headers=org2
        ).json()["hours"]
        == 2
    )
    assert (
        client.post(
            f"/api/v1/signups/{s2['id']}/attendance",
            json={"attended": False, "hours": 1},
            headers=org2,
        ).status_code
        == 422
    )
    hours = client.get(f"/api/v1/volunteers/{volunteer['id']}/hours", headers=own).json()
    assert hours["total_hours"] == 5.5
    assert [(row["name"], row["hours"]) for row in hours["by_organization"]] == [
        ("Humanitas Groningen", 3.5), ("Present Groningen", 2.0)]  # fmt: skip
    assert hours["statement"] == (
        "Sanne de Vries heeft via Klusmakelaar Groningen 5,5 uur vrijwilligerswerk gedaan: "
        "3,5 uur bij Humanitas Groningen en 2 uur bij Present Groningen."
    )
    english = client.get(f"/api/v1/volunteers/{volunteer['id']}/hours?lang=en", headers=own).json()
    assert "Sanne de Vries volunteered 5.5 hours" in english["statement"]
    assert (
        "3.5 hours with Humanitas Groningen and 2 hours with Present Groningen"
        in english["statement"]
    )
    assert client.post(f"/api/v1/signups/{s1['id']}/cancel", headers=own).status_code == 409
    assert humanitas["id"] != present["id"]


def test_gig_sign_up_list_is_for_the_organisation_with_contacts(client: TestClient) -> None:
    _, org = organization_with_key(client)
    _, stranger = organization_with_key(client)
    volunteer, own = make_volunteer(client, name="Daan", phone="0612345678")
    gig = make_gig(client, org)
    _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"])
    listed = client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=org).json()["items"]
    assert listed[0]["contact"] == {
        "name": "Daan",
        "email": volunteer["email"],
        "phone": "+31612345678",
        "age": None,
    }
    assert client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=own).status_code == 404


def test_erasure_keeps_past_hours_and_frees_future_spots(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    volunteer, own = make_volunteer(client)
    waiting, waiting_headers = make_volunteer(client)
    past = make_gig(client, org, starts_at=_at(2, 9), ends_at=_at(2, 11))
    future = make_gig(client, org, capacity=1, starts_at=_at(9, 9), ends_at=_at(9, 11))
    done = _sign_up(client, past["id"], own, volunteer_id=volunteer["id"]).json()
    coming = _sign_up(client, future["id"], own, volunteer_id=volunteer["id"]).json()
    queued = _sign_up(client, future["id"], waiting_headers, volunteer_id=waiting["id"]).json()
    assert queued["status"] == "waitlisted"
    with db_session(app) as session, session.begin():
        gig = session.get(Gig, past["id"])
        assert gig is not None
        gig.starts_at, gig.ends_at = (
            datetime.now(UTC) - timedelta(days=1, hours=2),
            datetime.now(UTC) - timedelta(days=1),
        )
    client.post(f"/api/v1/signups/{done['id']}/attendance", json={"attended": True}, headers=org)
    assert client.delete(f"/api/v1/volunteers/{volunteer['id']}", headers=own).status_code == 204
    kept = client.get(f"/api/v1/signups/{done['id']}", headers=ADMIN).json()
    assert (kept["volunteer_id"], kept["status"], kept["hours"]) == (None, "confirmed", 2.0)
    assert (
        client.get(f"/api/v1/gigs/{past['id']}/signups", headers=org).json()["items"][0]["contact"]
        is None
    )
    assert (
        client.get(f"/api/v1/signups/{coming['id']}", headers=ADMIN).json()["status"] == "cancelled"
    )
    assert (
        client.get(f"/api/v1/signups/{queued['id']}", headers=waiting_headers).json()["status"]
        == "confirmed"
    )


def test_sign_up_needs_a_valid_token(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, own = make_volunteer(client)
    anonymous = _sign_up(client, gig["id"], {}, volunteer_id=volunteer["id"])
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    unknown = _sign_up(client, gig["id"], {"Authorization": "Bearer kmv_nope"}, volunteer_id="x")
    assert (unknown.status_code, unknown.json()["type"]) == (401, "unauthorized")
    # Someone else's token: 403; the volunteer's own: 201; after erasure: 401 at once.
    other, other_headers = make_volunteer(client)
    assert (
        _sign_up(client, gig["id"], other_headers, volunteer_id=volunteer["id"]).status_code == 403
    )
    assert _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"]).status_code == 201
    assert (
        client.delete(f"/api/v1/volunteers/{other['id']}", headers=other_headers).status_code == 204
    )
    erased = _sign_up(client, gig["id"], other_headers, volunteer_id=other["id"])
    assert erased.status_code == 401


def test_a_group_signs_up_once_per_gig_even_without_named_members(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, kind="group", capacity=10, group_size_min=2, group_size_max=5)
    association, key = make_association(client)
    first = _sign_up(client, gig["id"], key, association_id=association["id"], size=3)
    assert first.status_code == 201
    again = _sign_up(client, gig["id"], key, association_id=association["id"], size=2)
    assert (again.status_code, again.json()["type"]) == (409, "already-signed-up")
    unknown = _sign_up(client, gig["id"], ADMIN, association_id="asc_unknown", size=2)
    assert unknown.status_code == 404


def test_my_sign_ups_carry_their_gig_in_short(client: TestClient) -> None:
    _, org = organization_with_key(client)
    association, key = make_association(client)
    volunteer, own = make_volunteer(client)
    client.post(
        f"/api/v1/associations/{association['id']}/members",
        json={"volunteer_id": volunteer["id"]},
        headers=own,
    )
    solo = make_gig(client, org, title="Koffie schenken", starts_at=_at(3, 9), ends_at=_at(3, 11),
                    location={"address": "Vinkhuizen 1", "postcode": "9743 AA", "area": "Selwerd",
                              "lat": 53.23, "lon": 6.54})  # fmt: skip
    group = make_gig(client, org, kind="group", capacity=10, group_size_min=2, group_size_max=6,
                     starts_at=_at(5, 9), ends_at=_at(5, 12), location={"online": True})  # fmt: skip
    alone = _sign_up(client, solo["id"], own, volunteer_id=volunteer["id"]).json()
    named = _sign_up(client, group["id"], key, association_id=association["id"], size=3,
                     member_ids=[volunteer["id"]]).json()  # fmt: skip
    assert client.post(f"/api/v1/gigs/{group['id']}/cancel", headers=org).status_code == 200
    path = f"/api/v1/volunteers/{volunteer['id']}/signups"
    response = client.get(path, headers=own)
    assert response.status_code == 200, response.text
    mine = response.json()["items"]
    assert [item["id"] for item in mine] == [alone["id"], named["id"]]
    for item, gig, status in ((mine[0], solo, "open"), (mine[1], group, "cancelled")):
        read = client.get(f"/api/v1/gigs/{gig['id']}").json()
        assert item["gig"] == {
            "id": gig["id"], "title": read["title"], "starts_at": read["starts_at"],
            "ends_at": read["ends_at"], "location": read["location"], "status": status,
        }  # fmt: skip
    assert mine[0]["gig"]["location"]["area"] == "Selwerd"
    assert mine[1]["status"] == "cancelled"  # the sign-up's own status, next to the gig's
    first = client.get(f"{path}?limit=1", headers=ADMIN).json()
    rest = client.get(f"{path}?limit=1&cursor={first['next_cursor']}", headers=ADMIN).json()
    assert [item["gig"]["id"] for item in first["items"] + rest["items"]] == [
        solo["id"],
        group["id"],
    ]
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    listed = schemas["Page_VolunteerSignupRead_"]["properties"]["items"]["items"]["$ref"]
    item_schema = schemas[listed.rsplit("/", 1)[1]]
    assert item_schema["properties"]["gig"]["description"]
    summary = schemas["SignupGig"]["properties"]
    assert set(summary) == {"id", "title", "starts_at", "ends_at", "location", "status"}
    assert all(field.get("description") for field in summary.values())
