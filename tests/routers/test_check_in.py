"""Check-in on the spot through HTTP: the gig's code, check-in with a valid, an expired
and another gig's code, too early, hours from check-in to check-out, and by chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.models import Gig, InstanceSecret, Signup
from app.services.check_in import WINDOW, code_at, gig_key
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    bearer,
    make_gig,
    make_key,
    make_volunteer,
    organization_with_key,
)
from tests.integrations.inbound_helpers import BRIDGE_PATH


def _soon(minutes: int, hours: float = 3) -> dict[str, str]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
    }


def _signed_up(
    client: TestClient, org: dict[str, str], minutes: int = 10, **person: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    gig = make_gig(client, org, **_soon(minutes))
    volunteer, own = make_volunteer(client, **person)
    signup = client.post(
        f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]}, headers=own
    )
    assert signup.status_code == 201, signup.text
    return gig, signup.json(), own


def _code(client: TestClient, gig_id: str, headers: dict[str, str]) -> str:
    response = client.get(f"/api/v1/gigs/{gig_id}/check-in", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["code"])


def _check_in(client: TestClient, signup_id: str, headers: dict[str, str], code: str) -> Any:
    return client.post(f"/api/v1/signups/{signup_id}/check-in", json={"code": code},
                       headers=headers)  # fmt: skip


def _code_windows_ago(app: FastAPI, gig_id: str, windows: int) -> str:
    with db_session(app) as session:
        secret = session.scalar(
            select(InstanceSecret.value).where(InstanceSecret.name == "calendar")
        )
    assert secret is not None
    now = int(datetime.now(UTC).timestamp() // WINDOW.total_seconds())
    return code_at(gig_key(bytes.fromhex(secret), gig_id), now - windows)


def _attended(client: TestClient) -> list[dict[str, Any]]:
    """Every `signup.attended` event (the log may hold other tests' events too)."""
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.get(
            f"/api/v1/events?type=signup.attended&limit=200{cursor}", headers=ADMIN
        ).json()
        found += page["items"]
        if not page["items"]:
            return found
        cursor = f"&after={page['next_cursor']}"


def test_the_owner_gets_a_code_a_link_and_a_qr_code(client: TestClient) -> None:
    _, org = organization_with_key(client)
    _, other = organization_with_key(client)
    gig = make_gig(client, org)
    response = client.get(f"/api/v1/gigs/{gig['id']}/check-in", headers=org)
    assert response.status_code == 200
    body = response.json()
    assert body["code"].isdigit()
    assert len(body["code"]) == 6
    assert body["url"].endswith(f"/g/{gig['id']}?checkin=1")
    assert body["qr_svg"].startswith("<svg")
    assert "</svg>" in body["qr_svg"]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(0) < expires - datetime.now(UTC) <= WINDOW
    assert client.get(f"/api/v1/gigs/{gig['id']}/check-in", headers=ADMIN).status_code == 200
    assert client.get(f"/api/v1/gigs/{gig['id']}/check-in", headers=other).status_code == 404
    _, own = make_volunteer(client)
    assert client.get(f"/api/v1/gigs/{gig['id']}/check-in", headers=own).status_code == 404


def test_check_in_with_a_valid_an_expired_and_another_gigs_code(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig, signup, own = _signed_up(client, org)
    other_gig = make_gig(client, org, **_soon(5))
    for wrong in (_code(client, other_gig["id"], org), _code_windows_ago(app, gig["id"], 2)):
        refused = _check_in(client, signup["id"], own, wrong)
        assert refused.status_code == 422
        assert refused.json()["type"] == "invalid-check-in-code"
    # The code of the window before still works (read just before it changed).
    previous = _check_in(client, signup["id"], own, _code_windows_ago(app, gig["id"], 1))
    assert previous.status_code == 200, previous.text
    checked = previous.json()
    assert checked["checked_in_at"] is not None
    assert checked["checked_out_at"] is None
    again = _check_in(client, signup["id"], own, _code(client, gig["id"], org))
    assert again.json()["checked_in_at"] == checked["checked_in_at"]
    _, stranger = make_volunteer(client)
    assert _check_in(client, signup["id"], stranger, "000000").status_code == 404


def test_check_in_is_too_early_before_the_half_hour_and_too_late_after_the_end(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig, signup, own = _signed_up(client, org, minutes=45)
    early = _check_in(client, signup["id"], own, _code(client, gig["id"], org))
    assert (early.status_code, early.json()["type"]) == (409, "check-in-closed")
    ended = datetime.now(UTC) - timedelta(minutes=1)
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == gig["id"])
            .values(starts_at=ended - timedelta(hours=2), ends_at=ended)
        )
    late = _check_in(client, signup["id"], own, _code(client, gig["id"], org))
    assert (late.status_code, late.json()["type"]) == (409, "check-in-closed")


def test_check_out_records_the_hours_between_to_the_quarter_and_capped(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig, signup, own = _signed_up(client, org)
    path = f"/api/v1/signups/{signup['id']}"
    not_yet = client.post(f"{path}/check-out", headers=own)
    assert (not_yet.status_code, not_yet.json()["type"]) == (409, "not-checked-in")
    assert _check_in(client, signup["id"], own, _code(client, gig["id"], org)).status_code == 200
    # Started 3 hours ago, checked in 2 hours 10 minutes ago: 2.25 hours at check-out.
    now = datetime.now(UTC)
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == gig["id"])
            .values(starts_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=1))
        )
        session.execute(
            update(Signup)
            .where(Signup.id == signup["id"])
            .values(checked_in_at=now - timedelta(hours=2, minutes=10))
        )
    out = client.post(f"{path}/check-out", headers=own)
    assert out.status_code == 200, out.text
    body = out.json()
    assert (body["attended"], body["hours"]) == (True, 2.25)
    assert body["checked_out_at"] is not None
    assert client.post(f"{path}/check-out", headers=own).json()["type"] == "already-checked-out"
    assert [e["data"]["hours"] for e in _attended(client) if e["data"]["id"] == signup["id"]] == [
        2.25
    ]
    # The organisation may still correct it.
    corrected = client.post(f"{path}/attendance", json={"attended": True, "hours": 2},
                            headers=org)  # fmt: skip
    assert corrected.json()["hours"] == 2

    # Checked in long before a 1-hour gig ended: at most its duration plus one hour.
    short, long_signup, long_own = _signed_up(client, org)
    assert _check_in(client, long_signup["id"], long_own, _code(client, short["id"], org))
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == short["id"])
            .values(starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=4))
        )
        session.execute(
            update(Signup)
            .where(Signup.id == long_signup["id"])
            .values(checked_in_at=now - timedelta(hours=5))
        )
    capped = client.post(f"/api/v1/signups/{long_signup['id']}/check-out", headers=long_own)
    assert capped.json()["hours"] == 2.0


def test_inchecken_by_chat_checks_in_for_the_gig_on_now(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    bridge = bearer(make_key(client, "integration"))
    gig, signup, _ = _signed_up(client, org, phone="0612345670", languages=["en"])
    later, later_signup, _ = _signed_up(client, org, minutes=240)
    assert later_signup["gig_id"] == later["id"]

    said: list[str] = []

    def say(text: str, sender: str = "+31612345670") -> str:
        body = {"message_id": f"m-{len(said)}", "from": sender, "text": text}
        said.append(text)
        response = client.post(BRIDGE_PATH, json=body, headers=bridge)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["reply"])

    assert "not right" in say("check in 000000")
    stranger = "+31687654321"
    assert "kennen dit nummer niet" in say(f"inchecken {_code(client, gig['id'], org)}", stranger)
    assert "know this number" in say(f"check in {_code(client, gig['id'], org)}", stranger)
    reply = say(f"Check in {_code(client, gig['id'], org)}")
    assert "You are checked in" in reply
    assert gig["title"] in reply
    read = client.get(f"/api/v1/signups/{signup['id']}", headers=ADMIN).json()
    assert read["checked_in_at"] is not None
    out = say("check out")
    assert "You are checked out" in out
    assert "0.25 hours" in out
    read = client.get(f"/api/v1/signups/{signup['id']}", headers=ADMIN).json()
    assert (read["attended"], read["hours"]) == (True, 0.25)
    assert "not checked in anywhere" in say("Check out!")


def test_inchecken_in_dutch_when_nothing_is_on(client: TestClient) -> None:
    _, org = organization_with_key(client)
    bridge = bearer(make_key(client, "integration"))
    gig, _, _ = _signed_up(client, org, minutes=300, phone="0612345671")
    body = {"message_id": "m-nl", "from": "+31612345671",
            "text": f"inchecken {_code(client, gig['id'], org)}"}  # fmt: skip
    reply = client.post(BRIDGE_PATH, json=body, headers=bridge).json()["reply"]
    assert "geen klus van jou die nu bezig is" in reply
