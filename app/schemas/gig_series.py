"""Gig series request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from app.schemas.common import (
    Category,
    LongText,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
)
from app.schemas.gig import (
    Capacity,
    GigCreate,
    GigKind,
    GigLocation,
    GigLocationRead,
    GigRequirementsRead,
    Title,
)

Rrule = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=6, max_length=500),
    Field(
        examples=["FREQ=WEEKLY;BYDAY=SA;COUNT=10"],
        description="An RFC 5545 RRULE (`FREQ` DAILY, WEEKLY, MONTHLY or YEARLY), without "
        "DTSTART: the gig's `starts_at` is the first occurrence and must match the rule.",
    ),
]


class GigSeriesCreate(RequestModel):
    """A recurring gig: the fields of a new gig (its first occurrence) and a rule."""

    gig: GigCreate
    rrule: Rrule


class GigSeriesGigUpdate(PatchModel):
    """What changes on every future occurrence (except fields changed on one alone)."""

    not_nullable = frozenset({"title", "location", "capacity", "starts_at", "ends_at"})

    title: Title | None = None
    description: LongText | None = None
    starts_at: AwareDatetime | None = Field(
        default=None, description="Only its time of day (Europe/Amsterdam) counts."
    )
    ends_at: AwareDatetime | None = Field(
        default=None, description="Only its time of day (Europe/Amsterdam) counts."
    )
    location: GigLocation | None = None
    capacity: Capacity | None = Field(
        default=None,
        description="An occurrence with more people confirmed keeps its capacity; the "
        "answer lists it in `capacity_kept`.",
    )


class GigSeriesUpdate(RequestModel):
    """Changes to every future occurrence."""

    gig: GigSeriesGigUpdate


class SeriesGigRead(ResponseModel):
    """The gig each occurrence is made from; `starts_at`/`ends_at` are the first one's."""

    organization_id: str
    title: str
    description: str | None
    category: Category
    kind: GigKind
    starts_at: Timestamp
    ends_at: Timestamp
    location: GigLocationRead
    capacity: int
    group_size_min: int | None
    group_size_max: int | None
    skills: list[str]
    languages: list[str]
    accessible: bool
    guidance_available: bool
    requirements: GigRequirementsRead
    status: Literal["draft", "open"]


class CapacityKept(ResponseModel):
    """An occurrence whose capacity stayed: more people are confirmed than the new one."""

    gig_id: str
    capacity: int
    confirmed_people: int


class GigSeriesRead(ResponseModel):
    """A series, and its occurrences to come."""

    id: str
    rrule: str
    status: Literal["active", "cancelled"]
    gig: SeriesGigRead
    gig_ids: list[str] = Field(description="The occurrences still to come, soonest first.")
    created_at: Timestamp
    updated_at: Timestamp


class GigSeriesUpdated(GigSeriesRead):
    """A series after a change to its occurrences."""

    capacity_kept: list[CapacityKept]


class SeriesSignupItem(ResponseModel):
    """The outcome for one occurrence: a sign-up's status, or why there is none."""

    gig_id: str
    signup_id: str | None
    status: Literal["confirmed", "waitlisted"] | None
    error: str | None = Field(description="The problem type, e.g. `gig-full`.")
    detail: str | None


class SeriesSignupResult(ResponseModel):
    """One outcome per occurrence to come."""

    items: list[SeriesSignupItem]
