"""WhatsApp numbers: an organisation key cannot claim a number it does not hold; the
number itself confirms with a code, and a taken number answers as a free one."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from app.models import Message
from tests.conftest import ADMIN_TOKEN
from tests.direct import db_session
from tests.factories import make_volunteer, organization_with_key
from tests.integrations.fake_providers import providing
from tests.integrations.inbound_helpers import (
    COMPLETE_NL,
    cloud_delivery,
    cloud_text,
    gigs_of,
    post_cloud,
)
from tests.integrations.test_messages import Talking, cloud, listed, phone, talking, text_of

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
__all__ = ["talking"]  # the fixture, used by name


def _set_numbers(
    client: TestClient, org_id: str, headers: dict[str, str], numbers: list[str]
) -> Any:
    return client.patch(f"/api/v1/organizations/{org_id}", json={"whatsapp_numbers": numbers},
                        headers=headers)  # fmt: skip


def _from(client: TestClient, number: str, text: str) -> None:
    """A chat message from ``number`` (national form) over the Cloud API webhook."""
    digits = "31" + number[1:]
    assert post_cloud(client, cloud_delivery([{"messages": [cloud_text(digits, text)]}])
                      ).status_code == 200  # fmt: skip


def _code(attempt: Any) -> str:
    match = re.search(r"\*(\d{6})\*", text_of(attempt))
    assert match, text_of(attempt)
    return match.group(1)


def _e164(number: str) -> str:
    return "+31" + number[1:]


def test_a_number_added_by_an_organisation_waits_for_its_own_code(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        org, key = organization_with_key(client)
        number = phone()
        answer = _set_numbers(client, org["id"], key, [number])
        assert answer.status_code == 200, answer.text
        assert answer.json()["whatsapp_numbers"] == []
        assert answer.json()["whatsapp_numbers_pending"] == [_e164(number)]
        (sent,) = provider.wait_for(1)
        assert sent.body["to"] == "31" + number[1:]
        # Until the number answers, its messages are nobody's gigs.
        _from(client, number, COMPLETE_NL)
        assert gigs_of(client, org["id"]) == []
        _from(client, number, "000000" if _code(sent) != "000000" else "111111")
        _from(client, number, _code(sent))
        now = client.get(f"/api/v1/organizations/{org['id']}", headers=key).json()
        assert now["whatsapp_numbers"] == [_e164(number)]
        assert now["whatsapp_numbers_pending"] == []
        _from(client, number, COMPLETE_NL)
        assert len(gigs_of(client, org["id"])) == 1
        # The code is not kept in the message log once it went out.
        (code_message,) = listed(client, kind="number_code")
        with db_session(client.app) as session:  # type: ignore[arg-type]
            kept = session.get(Message, code_message["id"])
            assert kept is not None
            assert kept.body is None


def test_a_taken_number_answers_as_a_free_one_and_stays_with_its_owner(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        owner, _ = organization_with_key(client)
        taken = phone()
        assert _set_numbers(client, owner["id"], ADMIN, [taken]).status_code == 200
        other, key = organization_with_key(client)
        free = phone()
        for number in (taken, free):
            answer = _set_numbers(client, other["id"], key, [number])
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["whatsapp_numbers"], body["whatsapp_numbers_pending"]) == (
                [], [_e164(number)])  # fmt: skip
        provider.wait_for(2)
        # The owner's number still posts for the owner.
        _from(client, taken, COMPLETE_NL)
        assert len(gigs_of(client, owner["id"])) == 1
        assert gigs_of(client, other["id"]) == []


def test_a_volunteers_own_phone_cannot_be_claimed_by_an_organisation(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        number = phone()
        make_volunteer(client, name="Jan", phone=number)
        org, key = organization_with_key(client)
        assert _set_numbers(client, org["id"], key, [number]).status_code == 200
        provider.wait_for(1)
        for guess in ("123456", "654321", "000001", "999999", "424242", "100000"):
            _from(client, number, guess)  # five wrong tries lock the claim
        assert gigs_of(client, org["id"]) == []
        seen = client.get(f"/api/v1/organizations/{org['id']}", headers=key).json()
        assert seen["whatsapp_numbers"] == []


def test_the_admin_sets_numbers_at_once_and_hears_of_a_taken_one(client: TestClient) -> None:
    first, _ = organization_with_key(client)
    second, _ = organization_with_key(client)
    number = phone()
    answer = _set_numbers(client, first["id"], ADMIN, [number])
    assert answer.json()["whatsapp_numbers"] == [_e164(number)]
    assert _set_numbers(client, second["id"], ADMIN, [number]).status_code == 409


def test_without_a_whatsapp_channel_the_code_goes_nowhere(client: TestClient) -> None:
    org, key = organization_with_key(client)
    number = phone()
    assert _set_numbers(client, org["id"], key, [number]).status_code == 200
    (message,) = listed(client, kind="number_code")
    assert message["status"] == "failed"
    events = client.get("/api/v1/events", headers=ADMIN).json()["items"]
    assert not [event for event in events if event["type"] == "message.outgoing"]
