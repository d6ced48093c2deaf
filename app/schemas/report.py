"""Report response models: the impact report and the public report (`/api/v1/reports`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.common import ResponseModel

GroupBy = Literal["organization", "area", "category", "association", "month"]
PublicGroupBy = Literal["area", "category", "month"]
ReportLanguage = Literal["nl", "en"]

_KEY = (
    "What the row is of: an organisation's or association's id, an area, a category, or "
    "`YYYY-MM`; null for gigs without an area, or (by association) individual sign-ups."
)
_VOLUNTEERS = (
    "Different people in confirmed sign-ups. Who the service knows (a volunteer, a member "
    "named in a group sign-up) counts once; people it cannot tell apart (unnamed places of "
    "a group, erased volunteers) count once per place."
)
_NEW = (
    "Known people who took part (attendance recorded) for the first time in the period "
    "(by month: in that month)."
)
_RETURNING = (
    "Known people who took part and had taken part before the period (by month: that month)."
)
_HOURS = "Recorded attendance only: hours per person x the people of the sign-up."
_SPOTS_FILLED = "People in confirmed sign-ups (a group counts its size)."


class ImpactRow(ResponseModel):
    """One group of the impact report."""

    key: str | None = Field(description=_KEY)
    label: str = Field(description="The group's name for people (in `lang`).")
    gigs: int = Field(description="Gigs that start in the period (drafts and cancelled ones not).")
    signups: int = Field(description="Confirmed sign-ups (a group's sign-up is one).")
    volunteers: int = Field(description=_VOLUNTEERS)
    hours: float = Field(description=_HOURS)
    estimated_value_eur: float = Field(description="`hours` x `hourly_rate_eur`.")
    new_volunteers: int = Field(description=_NEW)
    returning_volunteers: int = Field(description=_RETURNING)
    spots_offered: int | None = Field(
        description="The gigs' capacity in people; null by association (a gig's capacity is "
        "not one association's)."
    )
    spots_filled: int = Field(description=_SPOTS_FILLED)


class ImpactReport(ResponseModel):
    """The impact report: one row per group, and the hourly rate the value is counted at."""

    items: list[ImpactRow]
    hourly_rate_eur: float = Field(description="`KLUSMAKELAAR_HOURLY_RATE_EUR`.")


class PublicRow(ResponseModel):
    """One group of the public report: the figures about people are null when suppressed."""

    key: str | None = Field(description=_KEY)
    label: str = Field(description="The group's name for people (in `lang`).")
    gigs: int = Field(description="Gigs that start in the month(s) (drafts and cancelled not).")
    signups: int | None
    volunteers: int | None = Field(description=_VOLUNTEERS)
    hours: float | None = Field(description=_HOURS)
    estimated_value_eur: float | None
    new_volunteers: int | None = Field(description=_NEW)
    returning_volunteers: int | None = Field(description=_RETURNING)
    spots_offered: int = Field(description="The gigs' capacity in people.")
    spots_filled: int | None = Field(description=_SPOTS_FILLED)
    suppressed: bool = Field(
        description="The figures about people are null: none of the row's cells (a month, "
        "an area, a category) is shown, as each may count fewer than 10 different people or "
        "its month is not over."
    )
    partial: bool = Field(
        description="The figures about people leave out the sign-ups of some of the row's "
        "cells (too few people, or a month not over)."
    )


class PublicReport(ResponseModel):
    """The public report: the impact figures, with rows that could single someone out
    suppressed (see the operation's description)."""

    items: list[PublicRow]
    hourly_rate_eur: float = Field(description="`KLUSMAKELAAR_HOURLY_RATE_EUR`.")
