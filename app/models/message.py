"""Messages to people: what the service tells volunteers, groups and chat senders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow

MESSAGE_KINDS = (
    "reply", "signup_confirmed", "signup_waitlisted", "promoted", "gig_changed",
    "gig_cancelled", "reminder", "thanks", "login_code", "ack", "number_code", "signup_link",
)  # fmt: skip
#: Messages with a code, or a link that acts, in them: never handed to bridges, their text
#: blanked once gone.
SECRET_KINDS = frozenset({"login_code", "number_code", "signup_link"})
MESSAGE_STATUSES = (
    "queued",  # waits for its (next) attempt at `next_attempt_at`
    "sending",  # claimed by a dispatcher until `lease_until`
    "sent",  # the provider took it (`provider_id`)
    "delivered",
    "read",
    "failed",  # the provider refused it, or no attempt got through (see `error`)
    "not_sent",  # no channel for it: handed to bridges as a `message.outgoing` event
    "suppressed",  # not to be sent any more (the person was erased)
)


class Message(Base):
    """One message to one person, made once per `key` (at most once: a second
    hand-out of the same cause finds the key taken). The text is rendered when the
    message is made; `recipient` and `body` are erased with the volunteer."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_messages_volunteer_id", "volunteer_id"),
        Index("ix_messages_organization_id_id", "organization_id", "id"),
        Index("ix_messages_gig_id", "gig_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("out"))
    # What caused it, e.g. "signup_confirmed:sgn_…" or "reply:msg_…": unique.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # whatsapp (Cloud API), waha, email, bridge (the bridge's answer), or none.
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(320))
    volunteer_id: Mapped[str | None] = mapped_column(String(40))
    association_id: Mapped[str | None] = mapped_column(String(40))
    # The organisation whose gig (or chat) it is about: it may read the message.
    organization_id: Mapped[str | None] = mapped_column(String(40))
    gig_id: Mapped[str | None] = mapped_column(String(40))
    signup_id: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MessageOptOut(Base):
    """A number or address that sent STOP: nothing is sent to it until it sends START."""

    __tablename__ = "message_opt_outs"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
