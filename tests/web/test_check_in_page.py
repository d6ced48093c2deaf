"""Checking in on the gig's page (`/g/{id}?checkin=1`, the QR code's address): with the
contact of the sign-up and the code shown on the spot, answered on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.web import check_in_page
from tests.factories import make_gig, make_volunteer, organization_with_key
from tests.web.helpers import csrf_of, text_of


def _gig_on_soon(client: TestClient, minutes: int = 10) -> tuple[dict[str, Any], dict[str, str]]:
    _, org = organization_with_key(client)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    gig = make_gig(client, org, starts_at=start.isoformat(),
                   ends_at=(start + timedelta(hours=3)).isoformat())  # fmt: skip
    return gig, org


def _signed_up(client: TestClient, gig_id: str, **person: Any) -> dict[str, Any]:
    volunteer, own = make_volunteer(client, **person)
    signup = client.post(f"/api/v1/gigs/{gig_id}/signups", json={"volunteer_id": volunteer["id"]},
                         headers=own)  # fmt: skip
    assert signup.status_code == 201, signup.text
    return {**signup.json(), "headers": own}


def _code(client: TestClient, gig_id: str, org: dict[str, str]) -> str:
    return str(client.get(f"/api/v1/gigs/{gig_id}/check-in", headers=org).json()["code"])


def _post(client: TestClient, gig_id: str, page: str, query: str = "", **fields: str) -> Any:
    return client.post(f"/g/{gig_id}/check-in{query}", data={"csrf": csrf_of(page), **fields})


def test_the_qr_codes_address_checks_a_volunteer_in(client: TestClient) -> None:
    gig, org = _gig_on_soon(client)
    signup = _signed_up(client, gig["id"], email="fatima@example.org", name="Fatima")
    qr = client.get(f"/api/v1/gigs/{gig['id']}/check-in", headers=org).json()
    page = client.get(qr["url"].split("klusmakelaar.test", 1)[1])
    assert page.status_code == 200
    assert "Inchecken" in text_of(page.text)
    answer = _post(client, gig["id"], page.text, contact=" Fatima@Example.org ",
                   code=_code(client, gig["id"], org)[:3] + " " + _code(client, gig["id"], org)[3:])  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "Welkom! Fijn dat je er bent voor" in text_of(answer.text)
    # No name: the code is shown to everyone there, and a contact is no secret.
    assert "Fatima" not in answer.text
    # The other language is the gig's check-in page, not the address of the post.
    assert f'href="/g/{gig["id"]}?lang=en"' in answer.text
    read = client.get(f"/api/v1/signups/{signup['id']}", headers=signup["headers"]).json()
    assert read["checked_in_at"] is not None
    # Again: nothing changes, and the page says it is done.
    again = _post(client, gig["id"], page.text, contact="fatima@example.org",
                  code=_code(client, gig["id"], org))  # fmt: skip
    assert again.status_code == 200
    assert client.get(f"/api/v1/signups/{signup['id']}",
                      headers=signup["headers"]).json()["checked_in_at"] == read["checked_in_at"]  # fmt: skip


def test_a_wrong_code_is_told_before_anything_about_who_signed_up(client: TestClient) -> None:
    gig, org = _gig_on_soon(client)
    _signed_up(client, gig["id"], phone="+31612345678")
    page = client.get(f"/g/{gig['id']}?checkin=1&lang=en").text
    code = _code(client, gig["id"], org)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    for contact in ("+31612345678", "0612345679"):  # signed up, and not
        answer = _post(client, gig["id"], page, "?lang=en", contact=contact, code=wrong)
        assert answer.status_code == 422
        assert "This code is wrong or has expired" in text_of(answer.text)
        assert 'aria-describedby="code-hint code-error" aria-invalid="true"' in answer.text
    assert f'href="/g/{gig["id"]}?checkin=1&amp;lang=nl"' in answer.text
    unknown = _post(client, gig["id"], page, contact="06 12345679", code=code)
    assert unknown.status_code == 422
    assert "Met dit nummer of adres vinden we geen aanmelding" in text_of(unknown.text)
    known = _post(client, gig["id"], page, contact="06 12345678", code=code)
    assert known.status_code == 200, known.text


def test_missing_fields_and_a_missing_form_token(client: TestClient) -> None:
    gig, org = _gig_on_soon(client)
    page = client.get(f"/g/{gig['id']}?checkin=1").text
    empty = _post(client, gig["id"], page, contact="", code="")
    assert empty.status_code == 422
    assert "Vul je telefoonnummer of e-mailadres in." in text_of(empty.text)
    assert "Vul de code in die de organisatie laat zien." in text_of(empty.text)
    forged = client.post(f"/g/{gig['id']}/check-in",
                         data={"contact": "a@example.org", "code": _code(client, gig["id"], org)})  # fmt: skip
    assert forged.status_code == 403
    assert client.post("/g/gig_unknown/check-in", data={}).status_code == 404


def test_outside_the_check_in_time_the_page_says_when(client: TestClient) -> None:
    gig, org = _gig_on_soon(client, minutes=120)
    signup = _signed_up(client, gig["id"], email="later@example.org")
    page = client.get(f"/g/{gig['id']}?checkin=1")
    assert page.status_code == 200
    assert "Inchecken kan vanaf een half uur voor de start" in text_of(page.text)
    assert "<form" not in page.text.split("<main", 1)[1]
    form_page = client.get(f"/g/{gig['id']}").text  # the same visitor's form token
    answer = _post(client, gig["id"], form_page, contact="later@example.org",
                   code=_code(client, gig["id"], org))  # fmt: skip
    assert answer.status_code == 409
    read = client.get(f"/api/v1/signups/{signup['id']}", headers=signup["headers"]).json()
    assert read["checked_in_at"] is None


def test_a_gigs_code_can_be_tried_only_so_often(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_in_page, "GIG_ATTEMPTS", 3)
    gig, org = _gig_on_soon(client)
    page = client.get(f"/g/{gig['id']}?checkin=1").text
    code = _code(client, gig["id"], org)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    for _ in range(3):
        assert _post(client, gig["id"], page, contact="06 12345678", code=wrong).status_code == 422
    refused = _post(client, gig["id"], page, contact="06 12345678", code=code)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_a_cancelled_gig_says_so_on_its_check_in_page(client: TestClient) -> None:
    gig, org = _gig_on_soon(client)
    assert client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=org).status_code == 200
    page = client.get(f"/g/{gig['id']}?checkin=1")
    assert "Deze klus gaat helaas niet door." in text_of(page.text)
    assert "Inchecken kan vanaf" not in text_of(page.text)
    # Only `checkin=1` opens the check-in page.
    assert "Inchecken" not in text_of(client.get(f"/g/{gig['id']}?checkin=0").text)
