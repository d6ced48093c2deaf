"""Gigs: short tasks that organisations post, with the counters sign-ups keep current."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow


class Gig(Base):
    """A task with a time, a place and a capacity in people.

    `confirmed_people` and `waitlist_count` are kept by the sign-up service inside the
    transaction that changes sign-ups; `spots_left` is `capacity - confirmed_people`.
    `search_text` is the title and description folded to lower case without accents,
    for `q`. `sequence` grows whenever the time or place changes (calendars).
    """

    __tablename__ = "gigs"
    __table_args__ = (
        Index("ix_gigs_status_starts_at", "status", "starts_at", "id"),
        Index("ix_gigs_status_created_at", "status", "created_at", "id"),
        Index("ix_gigs_status_category_starts_at", "status", "category", "starts_at", "id"),
        Index("ix_gigs_organization_starts_at", "organization_id", "starts_at"),
        Index("ix_gigs_status_lat_lon", "status", "lat", "lon"),
        Index("ix_gigs_area_status", "area", "status"),
        # One occurrence per series and day, whichever process makes it (`gig_series`).
        Index("ix_gigs_series_day", "series_id", "series_day", unique=True),
        # The capacity guarantee, held by the database itself: whatever the code does,
        # a transaction that would confirm more people than the capacity fails.
        CheckConstraint(
            "confirmed_people >= 0 AND confirmed_people <= capacity AND waitlist_count >= 0",
            name="capacity",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("gig"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signup_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(7))
    area: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int] = mapped_column(Integer)
    group_size_min: Mapped[int | None] = mapped_column(Integer)
    group_size_max: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    guidance_available: Mapped[bool] = mapped_column(Boolean, default=False)
    repeatable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Requirements (`services.requirements`): a minimum age on the gig's date, a VOG, a
    # driving licence (migration 0013).
    min_age: Mapped[int | None] = mapped_column(Integer)
    requires_vog: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requires_driving_licence: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    status: Mapped[str] = mapped_column(String(10))
    # An occurrence of a series: its day by the rule (Europe/Amsterdam), and the fields
    # changed on it alone, which the series no longer changes (migration 0015).
    # (No foreign key: SQLite adds none to a table in place, nor drops the column again.
    # A series goes only with its organisation, and its gigs with it.)
    series_id: Mapped[str | None] = mapped_column(String(40))
    series_day: Mapped[date | None] = mapped_column(Date)
    series_detached: Mapped[list[str] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(10), default="api")
    confirmed_people: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_count: Mapped[int] = mapped_column(Integer, default=0)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    signup_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Grows by one with every UPDATE of the row: the database does it (migration 0007's
    # trigger), whatever statement changed the row. ETags and caches rely on it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def spots_left(self) -> int:
        """People who can still be confirmed."""
        return max(self.capacity - self.confirmed_people, 0)


# PostgreSQL: `near` as a GiST search for the points in the bounding box (see
# `gig_list_sql.listing_statement`), instead of a B-tree range on latitude whose rows are
# then filtered on longitude. SQLite has no such index; it keeps (status, lat, lon).
Index("ix_gigs_location", func.point(Gig.lon, Gig.lat), postgresql_using="gist").ddl_if(
    dialect="postgresql"
)


class GigSkill(Base):
    """One normalised skill of a gig, so that `?skill=` is an indexed look-up."""

    __tablename__ = "gig_skills"
    __table_args__ = (Index("ix_gig_skills_skill_gig_id", "skill", "gig_id"),)

    gig_id: Mapped[str] = mapped_column(ForeignKey("gigs.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(60), primary_key=True)


class GigSeries(Base):
    """A recurring gig: an RFC 5545 rule and the gig each occurrence is made from.

    `template` holds the fields of a new gig (`GigCreate`), its `starts_at`/`ends_at` the
    first occurrence; occurrences are made up to `made_until` (a day in Europe/Amsterdam).
    """

    __tablename__ = "gig_series"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ser"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    rrule: Mapped[str] = mapped_column(String(500))
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="active")
    made_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
