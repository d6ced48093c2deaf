"""The WAHA webhook: HMAC-SHA512, groups, own messages and other events."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import make_organization
from tests.integrations.inbound_helpers import (
    COMPLETE_NL,
    WAHA_PATH,
    gigs_of,
    messages,
    post_waha,
    waha_event,
    waha_signature,
)

KNOWN = "31612345678"
GROUP = "120363025246125888@g.us"
LID = "123456789012345@lid"


def lid_group_event(text: str, message_id: str | None = None, **key_fields: Any) -> dict[str, Any]:
    """A NOWEB group message whose participant WhatsApp names by the linked id ``LID``,
    with the Baileys message key in ``_data`` (plus ``key_fields``, e.g. the phone)."""
    event = waha_event(KNOWN, text, group=GROUP, message_id=message_id)
    event["payload"]["participant"] = LID
    key = {"remoteJid": GROUP, "fromMe": False, "id": "3EB0C767D26A", "participant": LID}
    event["payload"]["_data"] = {"key": key | key_fields, "pushName": "Anna"}
    return event


def test_a_direct_message_from_a_known_number_becomes_a_gig(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    response = post_waha(client, waha_event(KNOWN, COMPLETE_NL, message_id="false_1@c.us_AA"))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0}
    [gig] = gigs_of(client, organization["id"])
    assert (gig["status"], gig["source"]) == ("open", "whatsapp")
    [message] = messages(client)
    assert message["channel"] == "waha"
    assert message["message_id"] == "false_1@c.us_AA"
    assert message["sender"] == f"+{KNOWN}"


def test_in_a_group_the_participant_is_the_sender(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    event = waha_event(KNOWN, COMPLETE_NL, group="120363025246125888@g.us")
    assert post_waha(client, event).status_code == 200
    [gig] = gigs_of(client, organization["id"])
    assert gig["title"] == "Tuin opknappen bij buurthuis De Kroon"
    [message] = messages(client)
    assert message["sender"] == f"+{KNOWN}"


def test_a_group_message_from_an_unknown_participant_is_recorded_only(
    client: TestClient,
) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    # The group id itself is not a number; the participant is a stranger.
    event = waha_event("31687654321", COMPLETE_NL, group="120363025246125888@g.us")
    assert post_waha(client, event).status_code == 200
    assert gigs_of(client, organization["id"]) == []
    [message] = messages(client)
    assert (message["status"], message["sender"]) == ("unknown_sender", "+31687654321")


def test_own_messages_are_ignored_and_not_recorded(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    response = post_waha(client, waha_event(KNOWN, COMPLETE_NL, from_me=True))
    assert response.status_code == 200
    assert response.json() == {"received": 0, "duplicates": 0}
    assert messages(client) == []
    assert gigs_of(client, organization["id"]) == []


def test_other_events_are_acknowledged_and_dropped(client: TestClient) -> None:
    event = {"event": "session.status", "session": "default", "payload": {"status": "WORKING"}}
    assert post_waha(client, event).json() == {"received": 0, "duplicates": 0}
    assert messages(client) == []


def test_message_any_events_are_read_and_deduplicated_with_message_events(
    client: TestClient,
) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    post_waha(client, waha_event(KNOWN, COMPLETE_NL, message_id="m-1", event="message"))
    response = post_waha(
        client, waha_event(KNOWN, COMPLETE_NL, message_id="m-1", event="message.any")
    )
    assert response.json() == {"received": 1, "duplicates": 1}
    assert len(gigs_of(client, organization["id"])) == 1


def test_a_wrong_or_missing_hmac_or_another_algorithm_is_401(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    body = json.dumps(waha_event(KNOWN, COMPLETE_NL)).encode()
    attempts = [
        {},
        {"X-Webhook-Hmac": "0" * 128},
        {"X-Webhook-Hmac": waha_signature(body, key="other-key")},
        {"X-Webhook-Hmac": waha_signature(body), "X-Webhook-Hmac-Algorithm": "sha256"},
    ]
    for headers in attempts:
        response = client.post(WAHA_PATH, content=body, headers=headers)
        assert response.status_code == 401, headers
    assert messages(client) == []
    assert gigs_of(client, organization["id"]) == []
    # Without the algorithm header, SHA-512 is assumed.
    response = client.post(
        WAHA_PATH, content=body, headers={"X-Webhook-Hmac": waha_signature(body)}
    )
    assert response.status_code == 200


def test_media_and_linked_device_senders_are_recorded_without_gigs(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    media = waha_event(KNOWN, "", message_id="media-1")
    media["payload"]["hasMedia"] = True
    lid = waha_event(KNOWN, COMPLETE_NL, message_id="lid-1")
    lid["payload"]["from"] = "123456789012345@lid"
    for event in (media, lid):
        assert post_waha(client, event).status_code == 200
    assert gigs_of(client, organization["id"]) == []
    by_id = {message["message_id"]: message for message in messages(client)}
    assert by_id["media-1"]["status"] == "ignored"
    assert by_id["lid-1"]["status"] == "unknown_sender"
    assert by_id["lid-1"]["sender"] is None


def test_a_linked_id_sender_with_the_registered_phone_in_participant_alt_creates_a_gig(
    client: TestClient,
) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    event = lid_group_event(COMPLETE_NL, participantAlt=f"{KNOWN}@s.whatsapp.net")
    response = post_waha(client, event)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0}
    [gig] = gigs_of(client, organization["id"])
    assert (gig["status"], gig["title"]) == ("open", "Tuin opknappen bij buurthuis De Kroon")
    [message] = messages(client)
    assert (message["status"], message["sender"]) == ("created", f"+{KNOWN}")
    assert message["organization_id"] == organization["id"]


def test_a_linked_id_sender_without_a_phone_field_is_an_unknown_sender(
    client: TestClient,
) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    bare = lid_group_event(COMPLETE_NL, message_id="lid-bare")
    # In a group `remoteJidAlt` is about the group, and `to` is the recipient (us): neither
    # stands in for the participant, even when it holds the registered number.
    decoys = lid_group_event(
        COMPLETE_NL, message_id="lid-decoys", remoteJidAlt=f"{KNOWN}@s.whatsapp.net"
    )
    decoys["payload"]["to"] = f"{KNOWN}@c.us"
    for event in (bare, decoys):
        assert post_waha(client, event).status_code == 200
    assert gigs_of(client, organization["id"]) == []
    by_id = {message["message_id"]: message for message in messages(client)}
    for message in (by_id["lid-bare"], by_id["lid-decoys"]):
        assert (message["status"], message["sender"]) == ("unknown_sender", None)
