"""Chat messages received from WhatsApp (Cloud API, WAHA) and bridges, with what became of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow

INBOUND_CHANNELS = ("whatsapp", "waha", "bridge")
INBOUND_STATUSES = (
    "pending",  # stored, not processed yet (only ever seen inside the receiving transaction)
    "created",  # became an open gig
    "draft",  # became a draft gig for the organisation to complete
    "ignored",  # not a text message, a status update, or over the sender's rate limit
    "unknown_sender",  # the number is in no organisation's `whatsapp_numbers`
    "failed",  # understood, but the gig could not be stored (see `error`)
    "answered",  # an answer to a reminder ("ja", "nee"), or STOP / START (`services.answers`)
)


class InboundMessage(Base):
    """One inbound message; (channel, message_id) is unique, so a redelivery changes nothing."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        CheckConstraint("channel IN ('whatsapp', 'waha', 'bridge')", name="channel"),
        Index("ix_inbound_messages_status_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    channel: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[str] = mapped_column(String(200))
    message_type: Mapped[str] = mapped_column(String(20), default="text")
    sender: Mapped[str | None] = mapped_column(String(20))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gig_id: Mapped[str | None] = mapped_column(
        ForeignKey("gigs.id", ondelete="SET NULL"), index=True
    )
    reply: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    error: Mapped[str | None] = mapped_column(String(500))


class ChatDraft(Base):
    """A draft gig made from a chat message that asked its sender something: the same
    sender's next message on the same channel can answer it (`services.chat_drafts`).
    ``state`` is what was understood and what is still asked (`draft_answers.to_state`)."""

    __tablename__ = "chat_drafts"
    __table_args__ = (
        Index("ix_chat_drafts_sender", "sender", "channel", "created_at"),
        Index("ix_chat_drafts_expires_at", "expires_at"),
    )

    gig_id: Mapped[str] = mapped_column(ForeignKey("gigs.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    sender: Mapped[str] = mapped_column(String(20))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
