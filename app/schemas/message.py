"""Messages to people, as `GET /messages` lists them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.common import ResponseModel, Timestamp

MessageKind = Literal[
    "reply", "signup_confirmed", "signup_waitlisted", "promoted", "gig_changed",
    "gig_cancelled", "reminder", "thanks", "login_code", "ack", "number_code", "signup_link",
]  # fmt: skip
MessageStatus = Literal[
    "queued", "sending", "sent", "delivered", "read", "failed", "not_sent", "suppressed"
]
MessageChannel = Literal["whatsapp", "waha", "email", "bridge", "none"]


class MessageRead(ResponseModel):
    """One message to a person (without its text or address: those are the person's)."""

    id: str
    channel: MessageChannel = Field(
        description="`whatsapp` (Cloud API), `waha`, `email`, `bridge` (in the bridge's "
        "answer), or `none` (no channel for the person: handed to bridges as a "
        "`message.outgoing` event)."
    )
    kind: MessageKind
    status: MessageStatus = Field(
        description="`queued` (waits for its next attempt), `sending`, `sent`, `delivered`, "
        "`read`, `failed` (see `error`), `not_sent` (no channel), `suppressed` (the person "
        "was erased before it went out)."
    )
    gig_id: str | None
    signup_id: str | None
    created_at: Timestamp
    sent_at: Timestamp | None
    error: str | None = Field(description="Why the last attempt failed, if it did.")
