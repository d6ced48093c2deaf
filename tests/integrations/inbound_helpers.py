"""Signed webhook deliveries and small builders for the intake tests and the benchmark."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import ADMIN

WHATSAPP_SECRET = "test-whatsapp-secret"
WAHA_KEY = "test-waha-key"
WHATSAPP_PATH = "/api/v1/integrations/whatsapp/webhook"
WAHA_PATH = "/api/v1/integrations/waha/webhook"
BRIDGE_PATH = "/api/v1/integrations/bridge/messages"
MESSAGES_PATH = "/api/v1/integrations/messages"
#: Next year: 14 and 15 June then are always ahead, and within the two years a gig may be.
GIG_YEAR = datetime.now(UTC).year + 1
COMPLETE_NL = (
    "Klus: Tuin opknappen bij buurthuis De Kroon\n"
    f"Wanneer: 14-06-{GIG_YEAR} 10:00-13:00\n"
    "Waar: Oosterpoort, 9724 AB\n"
    "Aantal: 4\n"
    "Wat: Onkruid wieden en een border aanleggen."
)
COMPLETE_EN = (
    "Task: Paint the fence of the community centre\n"
    f"When: 15-06-{GIG_YEAR} 14:00-16:00\n"
    "Where: Selwerd, 9741 AB\n"
    "People: 3"
)
INCOMPLETE_NL = "Wie helpt ons met de verhuizing van het buurthuis?"
_ids = itertools.count(1)


def unique_id(prefix: str = "wamid") -> str:
    """A message id no other test uses."""
    return f"{prefix}.{time.time_ns()}.{next(_ids)}"


def cloud_signature(body: bytes, secret: str = WHATSAPP_SECRET) -> str:
    """`X-Hub-Signature-256` for a raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def waha_signature(body: bytes, key: str = WAHA_KEY) -> str:
    """`X-Webhook-Hmac` for a raw body."""
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def cloud_text(sender: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    """One Cloud API text message item; ``sender`` as WhatsApp writes it (digits, no +)."""
    return {
        "from": sender,
        "id": message_id or unique_id(),
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


def cloud_delivery(*changes_per_entry: list[dict[str, Any]]) -> dict[str, Any]:
    """A Cloud API delivery: one entry per argument, each a list of `value` objects."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": f"waba-{index}",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "31500000000",
                                         "phone_number_id": "1234567890"},
                            **value,
                        },
                    }
                    for value in values
                ],
            }
            for index, values in enumerate(changes_per_entry)
        ],
    }  # fmt: skip


def post_cloud(client: TestClient, delivery: dict[str, Any], signature: str | None = None) -> Any:
    """POST a delivery to the Cloud API webhook, signed unless ``signature`` is given."""
    body = json.dumps(delivery).encode()
    headers = {"Content-Type": "application/json"}
    headers["X-Hub-Signature-256"] = cloud_signature(body) if signature is None else signature
    return client.post(WHATSAPP_PATH, content=body, headers=headers)


def waha_event(
    sender: str,
    text: str,
    *,
    group: str | None = None,
    from_me: bool = False,
    message_id: str | None = None,
    event: str = "message",
) -> dict[str, Any]:
    """A WAHA `message` event; with ``group`` the chat is a group and ``sender`` its participant."""
    payload: dict[str, Any] = {
        "id": message_id or unique_id("false_waha"),
        "timestamp": int(time.time()),
        "from": group or f"{sender}@c.us",
        "fromMe": from_me,
        "to": "31500000000@c.us",
        "body": text,
        "hasMedia": False,
    }
    if group:
        payload["participant"] = f"{sender}@c.us"
    return {"id": unique_id("evt"), "event": event, "session": "default", "payload": payload}


def post_waha(client: TestClient, event: dict[str, Any], signature: str | None = None) -> Any:
    """POST an event to the WAHA webhook, signed unless ``signature`` is given."""
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "X-Webhook-Hmac-Algorithm": "sha512"}
    headers["X-Webhook-Hmac"] = waha_signature(body) if signature is None else signature
    return client.post(WAHA_PATH, content=body, headers=headers)


def messages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every inbound message the admin can list (one page of 200)."""
    response = client.get(MESSAGES_PATH, params={"limit": 200, **params}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def gigs_of(client: TestClient, organization_id: str) -> list[dict[str, Any]]:
    """Every gig (open and draft) of an organisation, as the admin sees them."""
    found = []
    for status in ("open", "draft"):
        response = client.get(
            "/api/v1/gigs",
            params={"organization_id": organization_id, "status": status, "limit": 200},
            headers=ADMIN,
        )
        assert response.status_code == 200, response.text
        found += response.json()["items"]
    return found
