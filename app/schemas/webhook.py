"""Event and webhook request and response models."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import AnyUrl, Field, UrlConstraints, field_validator

from app.schemas.common import RequestModel, ResponseModel, Timestamp
from app.services.event_types import EventType

WebhookUrl = Annotated[AnyUrl, UrlConstraints(max_length=2000, allowed_schemes=["https", "http"])]


class EventRead(ResponseModel):
    """One change: `data` is the gig or sign-up as its single read returned it then
    (`volunteer.erased`: the id alone)."""

    id: str = Field(description="Stable; also the `webhook-id` of its deliveries.")
    type: EventType
    created_at: Timestamp
    data: dict[str, Any]


class EventPage(ResponseModel):
    """Events oldest first; `next_cursor` is never null: where to continue from."""

    items: list[EventRead]
    next_cursor: str = Field(description="Pass as `after` to read on; the same when idle.")


class WebhookCreate(RequestModel):
    """A subscription: events of these types are posted to `url`, signed."""

    url: WebhookUrl = Field(
        description="https, on a public address (checked now and at each delivery)."
    )
    events: Annotated[list[EventType], Field(min_length=1, max_length=20)] = Field(
        description="The event types to receive."
    )
    secret: str | None = Field(
        default=None,
        description="`whsec_` and the base64 of 24 to 64 random bytes; generated when left out.",
    )

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("whsec_"):
            raise ValueError("must start with whsec_")
        try:
            key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be whsec_ and base64") from None
        if not 24 <= len(key) <= 64:
            raise ValueError("must hold 24 to 64 bytes")
        return value


WebhookStatus = Literal["active", "disabled"]


class WebhookRead(ResponseModel):
    """A subscription (never its secret)."""

    id: str
    url: str
    events: list[EventType]
    status: WebhookStatus = Field(
        description="`disabled` after failing for a long time; delete it and subscribe again."
    )
    disabled_at: Timestamp | None
    disabled_reason: str | None
    created_at: Timestamp


class WebhookCreated(WebhookRead):
    """A new subscription: its signing secret is shown this once."""

    secret: str | None = Field(
        description="Verify deliveries with it (Standard Webhooks). Null on an idempotent replay."
    )


class AttemptRead(ResponseModel):
    """One attempt to deliver an event."""

    event_id: str
    attempted_at: Timestamp
    status_code: int | None = Field(description="The receiver's status; null when none came.")
    error: str | None
    duration_ms: int
