"""The generic bridge intake: 201 new, 200 repeat, the reply, validation and access."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services import inbound_messages
from tests.factories import ADMIN, bearer, make_key, make_organization, organization_with_key
from tests.integrations.inbound_helpers import (
    BRIDGE_PATH,
    COMPLETE_EN,
    COMPLETE_NL,
    INCOMPLETE_NL,
    gigs_of,
    messages,
)

KNOWN = "+31612345678"


@pytest.fixture
def bridge(client: TestClient) -> dict[str, str]:
    """Headers of an integration key."""
    return bearer(make_key(client, "integration"))


def _relay(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {"message_id": "bridge-1", "from": KNOWN, "text": COMPLETE_NL, **fields}
    return client.post(BRIDGE_PATH, json=body, headers=headers)


def test_a_new_message_is_201_with_the_gig_and_a_reply_with_its_link(
    client: TestClient, bridge: dict[str, str]
) -> None:
    organization = make_organization(client, whatsapp_numbers=[KNOWN])
    response = _relay(client, bridge, text=COMPLETE_EN, timestamp="2027-06-01T10:00:00+02:00")
    assert response.status_code == 201
    result = response.json()
    assert result["status"] == "created"
    gig = result["gig"]
    assert (gig["organization_id"], gig["source"], gig["status"]) == (
        organization["id"], "bridge", "open"
    )  # fmt: skip
    assert response.headers["location"] == f"/api/v1/gigs/{gig['id']}"
    assert result["reply"].startswith("Thank you! The task is online")
    assert f"https://klusmakelaar.test/g/{gig['id']}" in result["reply"]


def test_a_repeat_is_200_duplicate_with_the_first_outcome(
    client: TestClient, bridge: dict[str, str]
) -> None:
    organization = make_organization(client, whatsapp_numbers=[KNOWN])
    first = _relay(client, bridge).json()
    repeat = _relay(client, bridge, text="something else entirely")
    assert repeat.status_code == 200
    assert repeat.json()["status"] == "duplicate"
    assert repeat.json()["gig"]["id"] == first["gig"]["id"]
    assert repeat.json()["reply"] == first["reply"]
    assert len(gigs_of(client, organization["id"])) == 1


def test_an_incomplete_message_is_a_draft_that_says_what_is_missing(
    client: TestClient, bridge: dict[str, str]
) -> None:
    make_organization(client, whatsapp_numbers=[KNOWN])
    response = _relay(client, bridge, text=INCOMPLETE_NL)
    assert response.status_code == 201
    result = response.json()
    assert result["status"] == "draft"
    assert result["gig"]["status"] == "draft"
    assert "Op welke datum?" in result["reply"]
    assert result["gig"]["id"] in result["reply"]


def test_an_unknown_number_is_ignored_with_a_reply_that_says_so(
    client: TestClient, bridge: dict[str, str]
) -> None:
    response = _relay(client, bridge, **{"from": "06 87654321"}, text=COMPLETE_EN)
    assert response.status_code == 201
    assert response.json()["status"] == "ignored"
    assert response.json()["gig"] is None
    assert "not registered" in response.json()["reply"]
    assert "+31687654321" in response.json()["reply"]
    [message] = messages(client)
    assert (message["status"], message["sender"]) == ("unknown_sender", "+31687654321")


@pytest.mark.parametrize(
    "fields",
    [
        {"from": "not a number"},
        {"text": "x" * 4097},
        {"text": ""},
        {"message_id": ""},
        {"message_id": "has space"},
        {"timestamp": "2027-06-01T10:00:00"},
        {"source": "bridge"},
    ],
    ids=["from", "long-text", "empty-text", "empty-id", "id-space", "naive-time", "extra"],
)
def test_invalid_bodies_are_422(
    client: TestClient, bridge: dict[str, str], fields: dict[str, Any]
) -> None:
    response = _relay(client, bridge, **fields)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_only_integration_keys_and_the_admin_may_relay(client: TestClient) -> None:
    make_organization(client, whatsapp_numbers=[KNOWN])
    _, organization_key = organization_with_key(client)
    assert _relay(client, {}).status_code == 401
    assert _relay(client, organization_key).status_code == 403
    assert _relay(client, ADMIN).status_code == 201


def test_over_the_sender_limit_the_bridge_gets_429_and_nothing_is_kept(
    client: TestClient, bridge: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound_messages, "SENDER_LIMIT", 2)
    monkeypatch.setattr(inbound_messages, "SENDER_PERIOD_SECONDS", 3600)
    organization = make_organization(client, whatsapp_numbers=[KNOWN])
    for number in range(2):
        assert _relay(client, bridge, message_id=f"burst-{number}").status_code == 201
    refused = _relay(client, bridge, message_id="burst-2")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert len(gigs_of(client, organization["id"])) == 2
    assert "burst-2" not in {message["message_id"] for message in messages(client)}
    # A repeat of a stored message is still answered, limit or not.
    assert _relay(client, bridge, message_id="burst-0").status_code == 200


def test_control_characters_never_reach_the_database(
    client: TestClient, bridge: dict[str, str]
) -> None:
    make_organization(client, whatsapp_numbers=[KNOWN])
    response = _relay(client, bridge, text="Klus: Ramen\x00 zemen\x1b\nWanneer: 14-06-2030 10-12u")
    assert response.status_code == 201
    assert response.json()["gig"]["title"] == "Ramen zemen"
    [message] = messages(client)
    assert message["text"] == "Klus: Ramen zemen\nWanneer: 14-06-2030 10-12u"
