"""Request and response models of the WhatsApp, WAHA and bridge intake, and of sharing."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from app.integrations.inbound import MAX_TEXT_CHARS, plain_text
from app.schemas.common import PhoneNumber, RequestModel, ResponseModel, Timestamp
from app.schemas.gig import GigRead

BridgeStatus = Literal["created", "draft", "duplicate", "ignored"]
InboundStatus = Literal[
    "pending", "created", "draft", "ignored", "unknown_sender", "failed", "answered"
]
InboundChannel = Literal["whatsapp", "waha", "bridge"]


def _plain(value: str) -> str:
    return plain_text(value) or ""


class BridgeMessageIn(RequestModel):
    """A chat message relayed by a bridge."""

    message_id: Annotated[
        str,
        StringConstraints(strip_whitespace=True, pattern=r"^[!-~]{1,200}$"),
        Field(
            description=(
                "The chat's id for the message (printable ASCII, 1–200). A repeat changes "
                "nothing; ids are unique across all bridges, so prefix them when several relay."
            ),
            examples=["telegram-bridge:8812"],
        ),
    ]
    from_: PhoneNumber = Field(alias="from", description="The sender's number (E.164 returned).")
    text: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS),
        AfterValidator(_plain),
        Field(description="The message as plain text; control characters are dropped."),
    ]
    timestamp: AwareDatetime | None = Field(
        default=None,
        description="When it was sent; relative dates (`morgen`) count from here (else now).",
    )


class BridgeResult(ResponseModel):
    """What became of a relayed message, and the text to send back to its sender."""

    status: BridgeStatus = Field(
        description=(
            "`created`: an open gig; `draft`: a draft gig that still needs details; "
            "`duplicate`: this message_id was received before (the first outcome is "
            "repeated); `ignored`: no gig (e.g. the number is not registered)."
        )
    )
    gig: GigRead | None
    reply: str = Field(description="Plain text in the sender's language, with the gig's link.")


class InboundMessageRead(ResponseModel):
    """A received message and what became of it (admin only)."""

    id: str
    channel: InboundChannel
    message_id: str
    message_type: str
    sender: str | None = Field(description="E.164, or null when the chat id is not a number.")
    organization_id: str | None
    text: str | None = Field(description="Plain text, as received (cut at 4,096 characters).")
    sent_at: Timestamp | None
    received_at: Timestamp
    status: InboundStatus
    gig_id: str | None
    reply: str | None
    language: str | None
    error: str | None = Field(description="Why a message was ignored or failed.")


class WebhookAck(ResponseModel):
    """The answer to a webhook delivery: how many items were stored or were repeats."""

    received: int = Field(description="Messages and status updates in the delivery.")
    duplicates: int = Field(description="Of those, ones that were stored before.")


class ShareText(ResponseModel):
    """A message ready to paste into a WhatsApp group."""

    text: str = Field(description="Plain text, at most 4,096 characters; contains `url`.")
    url: str
