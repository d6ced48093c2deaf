"""Student associations and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow


class Association(Base):
    """A student association (or another group) that takes on group gigs together."""

    __tablename__ = "associations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("asc"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contractus: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(320))
    preferred_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The calendar token is derived from the instance secret and this counter (see
    # services/calendar_tokens.py): nothing secret is stored, and rotating bumps it.
    calendar_token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Grows by one with every UPDATE of the row: the database does it (migration 0007's
    # trigger), whatever statement changed the row. ETags and caches rely on it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class AssociationMember(Base):
    """A volunteer's membership of an association; gone when either is deleted."""

    __tablename__ = "association_members"

    association_id: Mapped[str] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[str] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
