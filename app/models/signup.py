"""Sign-ups: a person or a group saying yes to a gig, confirmed or on the waitlist."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow


class Signup(Base):
    """One sign-up of a volunteer (one-off gigs) or an association (group gigs).

    `queue_number` comes from the gig's own counter, taken while the gig is locked, so
    the waitlist is first come, first served; a waitlist position is the rank among the
    gig's waitlisted sign-ups by that number, so positions are always 1..n. When a
    volunteer is erased, `volunteer_id` becomes NULL: only the counts and hours remain.
    """

    __tablename__ = "signups"
    __table_args__ = (
        Index("ix_signups_gig_status_queue", "gig_id", "status", "queue_number"),
        Index("ix_signups_volunteer_status", "volunteer_id", "status"),
        Index("ix_signups_association_status", "association_id", "status"),
        # What the reports read of each sign-up, by gig, so they read the index alone
        # (`services.reports_query`; migration 0012).
        Index(
            "ix_signups_gig_report",
            "gig_id",
            "status",
            "attended",
            "id",
            "volunteer_id",
            "association_id",
            "size",
            "hours",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sgn"))
    gig_id: Mapped[str] = mapped_column(ForeignKey("gigs.id", ondelete="CASCADE"))
    volunteer_id: Mapped[str | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    association_id: Mapped[str | None] = mapped_column(
        ForeignKey("associations.id", ondelete="SET NULL")
    )
    size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))
    queue_number: Mapped[int] = mapped_column(Integer)
    attended: Mapped[bool | None] = mapped_column(Boolean)
    hours: Mapped[float | None] = mapped_column(Float)
    # When the volunteer answered a reminder with "ik kom" (`services.answers`).
    reconfirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Check-in on the spot and check-out (`services.check_in`; migration 0014).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the database on every UPDATE of the row (migration 0007's trigger).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignupMember(Base):
    """A volunteer named in a group sign-up; the link goes when either is deleted."""

    __tablename__ = "signup_members"

    signup_id: Mapped[str] = mapped_column(
        ForeignKey("signups.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[str] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
