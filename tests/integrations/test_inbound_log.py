"""The admin's log of inbound messages, and the per-sender rate limit of the webhooks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.services import inbound_messages
from tests.factories import ADMIN, bearer, make_key, make_organization
from tests.integrations.inbound_helpers import (
    COMPLETE_NL,
    MESSAGES_PATH,
    cloud_delivery,
    cloud_text,
    gigs_of,
    messages,
    post_cloud,
)

KNOWN = "31612345678"


def test_the_log_is_for_the_admin_only(client: TestClient) -> None:
    assert client.get(MESSAGES_PATH).status_code == 401
    integration = bearer(make_key(client, "integration"))
    assert client.get(MESSAGES_PATH, headers=integration).status_code == 403


def test_the_log_pages_newest_first_and_filters(client: TestClient) -> None:
    make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    items = [cloud_text(KNOWN, COMPLETE_NL, f"wamid.page{index}") for index in range(5)]
    items.append(cloud_text("31687654321", COMPLETE_NL, "wamid.stranger"))
    post_cloud(client, cloud_delivery([{"messages": items}]))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(MESSAGES_PATH, params=params, headers=ADMIN).json()
        seen += [item["message_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["wamid.stranger", *[f"wamid.page{index}" for index in range(4, -1, -1)]]
    strangers = messages(client, status="unknown_sender")
    assert [item["message_id"] for item in strangers] == ["wamid.stranger"]
    assert messages(client, channel="waha") == []
    bad = client.get(MESSAGES_PATH, params={"cursor": "%%%"}, headers=ADMIN)
    assert bad.status_code == 400


def test_over_the_sender_limit_webhook_messages_are_recorded_as_ignored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound_messages, "SENDER_LIMIT", 2)
    monkeypatch.setattr(inbound_messages, "SENDER_PERIOD_SECONDS", 3600)
    organization = make_organization(client, whatsapp_numbers=[f"+{KNOWN}"])
    other = make_organization(client, whatsapp_numbers=["+31623456789"])
    items = [cloud_text(KNOWN, COMPLETE_NL, f"wamid.flood{index}") for index in range(4)]
    items.append(cloud_text("31623456789", COMPLETE_NL, "wamid.other"))
    response = post_cloud(client, cloud_delivery([{"messages": items}]))
    assert response.status_code == 200
    assert len(gigs_of(client, organization["id"])) == 2
    assert len(gigs_of(client, other["id"])) == 1  # the limit is per sender
    ignored = messages(client, status="ignored")
    assert sorted(item["message_id"] for item in ignored) == ["wamid.flood2", "wamid.flood3"]
    assert all("limit" in item["error"] for item in ignored)
