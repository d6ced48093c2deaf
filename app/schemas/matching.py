"""Matching request and response models: ranked items with score, breakdown and reasons."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.matching import MAX_ASSIGNMENT_GIGS, MAX_ASSIGNMENT_VOLUNTEERS
from app.schemas.common import RequestModel, ResponseModel
from app.schemas.gig import GigRead

Score = Annotated[float, Field(ge=0, le=1, description="0–1, higher fits better.")]
Breakdown = Annotated[
    dict[str, float],
    Field(
        description=(
            "Each factor's value, 0–1 (see the README, Matching). `distance` is the value of "
            "a band (< 2 km, 2–5 km, 5–10 km, 10 km or more, from the home rounded to a grid "
            "of about 1 km), never of the exact distance; the score is computed from it too."
        )
    ),
]
Reasons = Annotated[
    list[str],
    Field(
        description=(
            "Short sentences, Dutch or English (`lang`); a distance only as its band "
            "(`woont 2 tot 5 km van de klus` / `lives 2–5 km from the task`)."
        )
    ),
]
ResourceId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class _Ranked(ResponseModel):
    score: Score
    breakdown: Breakdown
    reasons: Reasons


class GigMatchRead(_Ranked):
    """An open gig proposed to a volunteer."""

    gig: GigRead


class GigMatchList(ResponseModel):
    """Gigs for a volunteer, best first (ranked, so not paginated: raise `limit` instead)."""

    items: list[GigMatchRead]
    not_offered: list[str] | None = Field(
        default=None,
        description="With `gig_id`, when that gig is not offered: why (say, a requirement "
        "not met). Otherwise null.",
    )


class CandidateVolunteer(ResponseModel):
    """What the gig's organisation sees of a proposed volunteer: no contact data."""

    id: str
    name: str
    area: str | None
    skills: list[str]
    languages: list[str]
    age: int | None = Field(description="Age today, when known; never the birth date.")


class CandidateAssociation(ResponseModel):
    """A proposed association."""

    id: str
    name: str
    slug: str
    member_count: int


class VolunteerCandidateRead(_Ranked):
    """A volunteer proposed for a one-off gig."""

    volunteer: CandidateVolunteer


class AssociationCandidateRead(_Ranked):
    """An association proposed for a group gig."""

    association: CandidateAssociation


class CandidateList(ResponseModel):
    """Candidates for a gig, best first: volunteers (one-off) or associations (group)."""

    gig_id: str
    kind: Literal["one_off", "group"]
    items: list[VolunteerCandidateRead] | list[AssociationCandidateRead]


class AssignmentRequest(RequestModel):
    """Which gigs and volunteers to propose an assignment for, and how to solve it."""

    gig_ids: Annotated[
        list[ResourceId] | None,
        Field(
            max_length=MAX_ASSIGNMENT_GIGS,
            description=(
                "One-off gigs to fill (at most 2,000). Left out: the 200 soonest open one-off "
                "gigs that can still take sign-ups."
            ),
        ),
    ] = None
    volunteer_ids: Annotated[
        list[ResourceId] | None,
        Field(
            max_length=MAX_ASSIGNMENT_VOLUNTEERS,
            description=(
                "Volunteers to place (at most 10,000). Left out: every volunteer; with more "
                "than 10,000, the most promising 10,000 for these gigs."
            ),
        ),
    ] = None
    strategy: Literal["optimal", "greedy"] = Field(
        description=(
            "`optimal` maximises the total score; `greedy` takes the best pair first. "
            "Each volunteer is placed at most once per proposal."
        )
    )


class AssignmentRead(ResponseModel):
    """One proposed placement."""

    gig_id: str
    volunteer_id: str
    score: Score


class AssignmentProposal(ResponseModel):
    """A proposal: nothing is booked."""

    assignments: list[AssignmentRead]
    total_score: float
    unfilled: dict[str, int] = Field(description="Open spots left per gig, only gigs with some.")
