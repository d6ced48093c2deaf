"""Organisations that post gigs, with the WhatsApp numbers they post from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow

ORGANIZATION_KINDS = ("volunteer_organization", "broker", "company", "initiative")


class Organization(Base):
    """A volunteer organisation, broker, company or initiative."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("org"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Grows by one with every UPDATE of the row: the database does it (migration 0007's
    # trigger), whatever statement changed the row. ETags and caches rely on it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class OrganizationWhatsappNumber(Base):
    """One E.164 number an organisation posts from; a number belongs to one organisation."""

    __tablename__ = "organization_whatsapp_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class WhatsappNumberClaim(Base):
    """A number an organisation key asked for, not active until the number itself sends
    back the code sent to it (`services.number_claims`). Several organisations may claim
    one number: whoever the number answers gets it."""

    __tablename__ = "whatsapp_number_claims"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
