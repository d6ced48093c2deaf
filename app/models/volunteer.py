"""Volunteers: the least the service needs to know about a person, and nothing once erased."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow


class Volunteer(Base):
    """A registered volunteer; erasure deletes the row (sign-ups keep only counts and hours)."""

    __tablename__ = "volunteers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("vol"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    postcode: Mapped[str | None] = mapped_column(String(7))
    area: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["nl"])
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_hours_per_month: Mapped[float | None] = mapped_column(Float)
    needs_guidance: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    about: Mapped[str | None] = mapped_column(Text)
    # Only the age derived from it is shown to organisations (migration 0013).
    birth_date: Mapped[date | None] = mapped_column(Date)
    # {"channel": "whatsapp" | "email" | "none", "reminders": bool}; None: the default
    # (`services.volunteers.notifications_of`).
    notifications: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Grows by one with every UPDATE of the row: the database does it (migration 0007's
    # trigger), whatever statement changed the row. ETags and caches rely on it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class LoginCode(Base):
    """A 6-digit code sent to a volunteer who lost the token: one at a time per volunteer
    (a new request replaces it), kept as a hash, for 15 minutes and 5 tries."""

    __tablename__ = "login_codes"

    volunteer_id: Mapped[str] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attestation(Base):
    """An organisation (or the admin) saw a volunteer's VOG or driving licence: what, when
    seen, valid until when, and who recorded it. The document itself is never stored."""

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_volunteer_kind", "volunteer_id", "kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("att"))
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    valid_until: Mapped[date] = mapped_column(Date)
    seen_on: Mapped[date] = mapped_column(Date)
    # The organisation that recorded it; None: the admin.
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
