"""What the reports count, kept ready: a line per person of each confirmed sign-up of a
held gig (`services.report_lines` keeps it; `services.reports_query` reads it).

`ReportDirty` holds the gigs whose lines may be out of date: the database's triggers
(migration 0016) add a gig whenever its row, a sign-up of it or a sign-up's members
change, in the transaction that changed them. `ReportRefresh` is the work list of the one
refresh that runs at a time: the gigs it took from `report_dirty`, until their lines are
made (and, within that transaction, the people whose lines it makes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

#: The partitions a report row can count a person once in, each with its column of the
#: start of the person's line before this one in that partition (`prev_<name>`), and of
#: their attended line before this one (`prev_<name>_came`): by month (every line of the
#: person), by organisation, area, category, association, and within one organisation by
#: area, category and association (an organisation's own report).
CHAINS: dict[str, tuple[str, ...]] = {
    "all": (),
    "org": ("organization_id",),
    "area": ("area",),
    "category": ("category",),
    "association": ("association_id",),
    "org_area": ("organization_id", "area"),
    "org_category": ("organization_id", "category"),
    "org_association": ("organization_id", "association_id"),
}


class ReportLine(Base):
    """One person of a confirmed sign-up of a held gig (`open` or `completed`): the sign-up's
    volunteer, or a member named in a group's sign-up, or (`person` NULL) the places of a
    sign-up no one is named in. The sign-up's own figures (one sign-up, its people and
    hours) are on its first line only (`signups` = 1), so that adding up lines counts
    them once."""

    __tablename__ = "report_lines"
    __table_args__ = (
        Index("ix_report_lines_starts_at", "starts_at"),
        Index("ix_report_lines_gig_id", "gig_id"),
        Index("ix_report_lines_person", "person"),
    )

    signup_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The named member of a group's sign-up this line is for; '' on other lines.
    member: Mapped[str] = mapped_column(String(40), primary_key=True)
    gig_id: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    organization_id: Mapped[str] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    association_id: Mapped[str | None] = mapped_column(String(40))
    person: Mapped[str | None] = mapped_column(String(40))
    #: 1 where the sign-up's attendance is recorded as attended.
    came: Mapped[int] = mapped_column(Integer)
    signups: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)
    #: 1 where a person is named (`person` is not NULL).
    named: Mapped[int] = mapped_column(Integer)
    #: 1 on the first line of the gig's confirmed sign-ups of the same association (or of
    #: none): adding these up counts each gig once per association.
    gig_first: Mapped[int] = mapped_column(Integer)
    #: The start of the person's first attended line (of any gig), on each of their lines.
    first_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_all: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_all_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_area: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_area_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_category: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_category_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_association: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_association_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_area: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_area_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_category: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_category_came: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_association: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_org_association_came: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportDirty(Base):
    """A gig whose report lines may be out of date (added by the triggers)."""

    __tablename__ = "report_dirty"

    gig_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: How often it was marked: the triggers' upsert locks the row, so that a refresh
    #: that takes it waits for the transaction that marked it.
    marks: Mapped[int] = mapped_column(Integer)


class ReportRefresh(Base):
    """The refresh's work: the gigs (`kind` 'gig') taken and not yet made, and the people
    (`kind` 'person') whose lines the running refresh makes again."""

    __tablename__ = "report_refresh"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
