"""The event log (the outbox) and webhook subscriptions with their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow

#: An autoincrementing 64-bit key (SQLite: its rowid, which must be declared INTEGER).
Sequence64 = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One change, written in the transaction that made it (`services.events`).

    Readers order events by (`txid`, `seq`): on PostgreSQL `txid` is the writing
    transaction's id, and only events of transactions older than every one still running
    are read (see `services.events`); on SQLite, where one transaction writes at a time,
    it is 0 and `seq` alone is the order. `data` is JSON text, kept as it was written.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_txid_seq", "txid", "seq"),
        Index("ix_events_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Sequence64, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: new_id("evt"))
    type: Mapped[str] = mapped_column(String(40))
    # "public": integration keys may read it; "admin": only the admin (drafts, webhooks).
    audience: Mapped[str] = mapped_column(String(10))
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # For the service itself, never shown: what a `gig.updated` changed that people are
    # told about ("time_place"), for `services.messages`.
    note: Mapped[str | None] = mapped_column(String(20))


class Webhook(Base):
    """A subscription: events of the chosen types are posted, signed, to `url`."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whk"))
    # The key that made it (its role decides which events it gets); None: the bootstrap admin.
    owner_key_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    owner_role: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(2000))
    # The event types it wants; empty: every type.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing key, `whsec_<base64>`: needed to sign, so kept as it is (never shown again).
    secret: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="active")
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """An event to post to one subscription: the dispatcher's queue."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Sequence64, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    # pending (waits for its next attempt), sending (claimed until `lease_until`),
    # delivered, or abandoned (no 2xx within the retry period, or the webhook went away).
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookAttempt(Base):
    """One attempt to post an event, as `GET /webhooks/{id}/deliveries` shows it."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_webhook_id_id", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(Sequence64, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)


class DispatchCursor(Base):
    """How far the dispatcher has handed events out to subscriptions (one row)."""

    __tablename__ = "dispatch_cursor"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    after_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    after_seq: Mapped[int] = mapped_column(BigInteger, default=0)
