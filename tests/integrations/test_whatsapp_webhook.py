"""The WhatsApp Business Cloud API webhook: verification, signatures, batches, redelivery."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.factories import make_organization
from tests.integrations.inbound_helpers import (
    COMPLETE_EN,
    COMPLETE_NL,
    GIG_YEAR,
    INCOMPLETE_NL,
    WHATSAPP_PATH,
    cloud_delivery,
    cloud_signature,
    cloud_text,
    gigs_of,
    messages,
    post_cloud,
)

KNOWN = "31612345678"
OTHER_KNOWN = "31623456789"
UNKNOWN = "31687654321"


def test_verification_echoes_the_challenge_for_the_right_token(client: TestClient) -> None:
    response = client.get(
        WHATSAPP_PATH,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "test-verify-token",
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "1158201444"


def test_verification_with_a_wrong_or_missing_token_is_403(client: TestClient) -> None:
    wrong = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    missing = {"hub.mode": "subscribe", "hub.challenge": "42"}
    other_mode = {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token",
                  "hub.challenge": "42"}  # fmt: skip
    for params in (wrong, missing, other_mode):
        response = client.get(WHATSAPP_PATH, params=params)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert "42" not in response.text


def test_missing_wrong_or_stale_signature_is_401_and_stores_nothing(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    delivery = cloud_delivery([{"messages": [cloud_text(KNOWN, COMPLETE_NL)]}])
    body = json.dumps(delivery).encode()
    attempts = [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": cloud_signature(body, secret="another-secret")},
        {"X-Hub-Signature-256": cloud_signature(body).removeprefix("sha256=")},
        # A valid signature of a different body (the payload was tampered with).
        {"X-Hub-Signature-256": cloud_signature(body + b" ")},
    ]
    for headers in attempts:
        response = client.post(
            WHATSAPP_PATH, content=body, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == 401, headers
        assert response.json()["type"] == "invalid-signature"
    assert messages(client) == []
    assert gigs_of(client, organization["id"]) == []


def test_a_signed_body_that_is_not_json_is_400(client: TestClient) -> None:
    body = b'{"entry": ['
    response = client.post(
        WHATSAPP_PATH,
        content=body,
        headers={"X-Hub-Signature-256": cloud_signature(body), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "malformed-json"


def test_a_batch_becomes_gigs_for_known_numbers_and_records_the_rest(client: TestClient) -> None:
    first = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    second = make_organization(client, whatsapp_numbers=[f"+{OTHER_KNOWN}"])
    delivery = cloud_delivery(
        [
            {"messages": [cloud_text(KNOWN, COMPLETE_NL, "wamid.a1"),
                          cloud_text(KNOWN, INCOMPLETE_NL, "wamid.a2")]},
            {"messages": [cloud_text(UNKNOWN, COMPLETE_NL, "wamid.a3")]},
        ],
        [
            {"messages": [cloud_text(OTHER_KNOWN, COMPLETE_EN, "wamid.b1"),
                          {"from": OTHER_KNOWN, "id": "wamid.b2", "timestamp": "1790000000",
                           "type": "image", "image": {"id": "media-1", "mime_type": "image/jpeg"}}]},
        ],
    )  # fmt: skip
    response = post_cloud(client, delivery)
    assert response.status_code == 200
    assert response.json() == {"received": 5, "duplicates": 0}

    first_gigs = {gig["status"]: gig for gig in gigs_of(client, first["id"])}
    assert set(first_gigs) == {"open", "draft"}
    opened = first_gigs["open"]
    assert opened["title"] == "Tuin opknappen bij buurthuis De Kroon"
    assert opened["source"] == "whatsapp"
    assert opened["kind"] == "one_off"
    assert opened["capacity"] == 4
    assert opened["starts_at"] == f"{GIG_YEAR}-06-14T08:00:00.000000Z"  # 10:00 in Amsterdam (CEST)
    assert opened["location"]["postcode"] == "9724 AB"
    assert first_gigs["draft"]["source"] == "whatsapp"
    [english] = gigs_of(client, second["id"])
    assert english["status"] == "open"
    assert english["title"] == "Paint the fence of the community centre"

    by_id = {message["message_id"]: message for message in messages(client)}
    assert set(by_id) == {"wamid.a1", "wamid.a2", "wamid.a3", "wamid.b1", "wamid.b2"}
    assert by_id["wamid.a1"]["status"] == "created"
    assert by_id["wamid.a1"]["gig_id"] == opened["id"]
    assert f"https://klusmakelaar.test/g/{opened['id']}" in by_id["wamid.a1"]["reply"]
    assert by_id["wamid.a1"]["reply"].startswith("Dank je!")
    assert by_id["wamid.a2"]["status"] == "draft"
    assert "Op welke datum?" in by_id["wamid.a2"]["reply"]
    assert by_id["wamid.a3"]["status"] == "unknown_sender"
    assert by_id["wamid.a3"]["gig_id"] is None
    assert by_id["wamid.a3"]["sender"] == f"+{UNKNOWN}"
    assert by_id["wamid.a3"]["organization_id"] is None
    assert by_id["wamid.b1"]["reply"].startswith("Thank you!")
    assert by_id["wamid.b2"]["status"] == "ignored"
    assert by_id["wamid.b2"]["message_type"] == "image"
    assert by_id["wamid.b2"]["gig_id"] is None


def test_status_updates_are_acknowledged_recorded_and_never_gigs(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    statuses = [
        {"id": "wamid.out1", "status": state, "timestamp": "1790000000", "recipient_id": KNOWN}
        for state in ("sent", "delivered", "read")
    ]
    for _ in range(2):  # a redelivery of the same updates adds nothing
        response = post_cloud(client, cloud_delivery([{"statuses": statuses}]))
        assert response.status_code == 200
    recorded = messages(client)
    assert len(recorded) == 3
    assert {message["status"] for message in recorded} == {"ignored"}
    assert {message["message_type"] for message in recorded} == {"status"}
    assert gigs_of(client, organization["id"]) == []


def test_odd_but_signed_payloads_are_acknowledged(client: TestClient) -> None:
    for delivery in (
        {},
        {"object": "whatsapp_business_account", "entry": "nope"},
        {"entry": [{"changes": [{"value": {"messages": [{"no": "id"}, 7, None]}}]}]},
        [],
    ):
        response = post_cloud(client, delivery)  # type: ignore[arg-type]
        assert response.status_code == 200, delivery
        assert response.json() == {"received": 0, "duplicates": 0}


def test_a_redelivered_message_changes_nothing(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    delivery = cloud_delivery([{"messages": [cloud_text(KNOWN, COMPLETE_NL, "wamid.same")]}])
    assert post_cloud(client, delivery).json() == {"received": 1, "duplicates": 0}
    before = messages(client)
    assert post_cloud(client, delivery).json() == {"received": 1, "duplicates": 1}
    assert messages(client) == before
    assert len(gigs_of(client, organization["id"])) == 1


def test_the_same_message_twice_in_one_batch_makes_one_gig(client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    item = cloud_text(KNOWN, COMPLETE_NL, "wamid.twice")
    response = post_cloud(client, cloud_delivery([{"messages": [item, item]}]))
    assert response.json() == {"received": 2, "duplicates": 1}
    assert len(gigs_of(client, organization["id"])) == 1


def test_message_text_is_stored_and_returned_as_plain_text(client: TestClient) -> None:
    make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    text = "<script>alert(1)</script>\x00\x07 Klus: Ramen zemen\nWanneer: 14-06-2030 10:00-12:00"
    post_cloud(client, cloud_delivery([{"messages": [cloud_text(KNOWN, text, "wamid.html")]}]))
    [message] = messages(client)
    assert message["text"] == text.replace("\x00", "").replace("\x07", "")
    long_text = "Klus: " + "a" * 10_000
    post_cloud(client, cloud_delivery([{"messages": [cloud_text(KNOWN, long_text, "wamid.l")]}]))
    longest = next(m for m in messages(client) if m["message_id"] == "wamid.l")
    assert len(longest["text"]) == 4096
