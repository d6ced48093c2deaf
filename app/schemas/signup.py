"""Sign-up request and response models."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from app.matching.requirements import Requirement
from app.schemas.common import RequestModel, ResponseModel, Timestamp
from app.schemas.gig import GigLocationRead, GigStatus

SignupStatus = Literal["confirmed", "waitlisted", "cancelled"]
# Attendance may record at most the gig's duration plus this margin (set-up, clearing up).
ATTENDANCE_MARGIN_HOURS = 1.0


class SignupCreate(RequestModel):
    """One person (`volunteer_id`, one-off gigs) or one group (`association_id` and `size`)."""

    volunteer_id: str | None = Field(default=None, description="One-off gigs: who signs up.")
    association_id: str | None = Field(default=None, description="Group gigs: which group.")
    size: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="Group gigs: people in the group, within the gig's bounds."
    )
    member_ids: Annotated[list[str], Field(max_length=500)] | None = Field(
        default=None, description="Group gigs: members of the association who come (optional)."
    )
    waitlist: bool = Field(
        default=True, description="false: 409 `gig-full` instead of the waitlist."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.volunteer_id is None) == (self.association_id is None):
            raise ValueError("give `volunteer_id` (one person) or `association_id` (a group)")
        if self.volunteer_id is not None and (self.size is not None or self.member_ids is not None):
            raise ValueError("`size` and `member_ids` are for group sign-ups")
        if self.association_id is not None and self.size is None:
            raise ValueError("a group sign-up needs `size`")
        if self.member_ids is not None:
            if len(set(self.member_ids)) != len(self.member_ids):
                raise ValueError("`member_ids` has duplicates")
            if self.size is not None and len(self.member_ids) > self.size:
                raise ValueError("more `member_ids` than `size`")
        return self


class AttendanceRecord(RequestModel):
    """What happened: attended or not, and the hours per person."""

    attended: bool
    hours: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = Field(
        default=None,
        description=(
            "Hours per person; at most the gig's duration plus "
            f"{ATTENDANCE_MARGIN_HOURS:g} hour. Left out when attended: the gig's duration. "
            "Not allowed for a no-show."
        ),
    )

    @model_validator(mode="after")
    def _no_hours_for_no_shows(self) -> Self:
        if not self.attended and self.hours is not None:
            raise ValueError("a no-show has no hours")
        return self


class SignupRead(ResponseModel):
    """A sign-up; `waitlist_position` is the current 1-based place on the waitlist, or null."""

    id: str
    gig_id: str
    volunteer_id: str | None
    association_id: str | None
    size: int
    member_ids: list[str]
    status: SignupStatus
    waitlist_position: int | None
    attended: bool | None
    hours: float | None
    created_at: Timestamp
    reconfirmed_at: Timestamp | None = Field(
        default=None, description='When the volunteer answered a reminder with "ik kom".'
    )
    checked_in_at: Timestamp | None = Field(
        default=None, description="When the volunteer checked in on the spot with the gig's code."
    )
    checked_out_at: Timestamp | None = Field(
        default=None,
        description="When the volunteer checked out: `attended` and `hours` were recorded then.",
    )


class SignupGig(ResponseModel):
    """The gig of a sign-up in short: what a "my sign-ups" screen shows."""

    id: str = Field(description="The gig's id; `GET /gigs/{id}` has all of it.")
    title: str = Field(description="The gig's title.")
    starts_at: Timestamp = Field(description="When the gig starts.")
    ends_at: Timestamp = Field(description="When the gig ends.")
    location: GigLocationRead = Field(description="Where, as the gig itself gives it.")
    status: GigStatus = Field(
        description="The gig's status (the sign-up has its own): `open`, `cancelled` (its "
        "sign-ups are cancelled with it) or `completed`."
    )


class VolunteerSignupRead(SignupRead):
    """A sign-up as its volunteer sees it: with its gig in short."""

    gig: SignupGig = Field(description="The gig signed up for, in short.")


class SignupContact(ResponseModel):
    """Who to contact about a sign-up: a name and the contact, nothing more."""

    name: str | None
    email: str | None
    phone: str | None
    age: int | None = Field(
        description="The volunteer's age today, when known (never the birth date); null "
        "for a group."
    )


class GigSignupRead(SignupRead):
    """A sign-up as the gig's organisation sees it, with whom to contact."""

    contact: SignupContact | None = Field(
        description=(
            "The volunteer (one-off) or the association (group). The gig's organisation sees "
            "name, e-mail and phone while the sign-up is confirmed or waitlisted and the gig "
            "has not ended; after the gig ends only the name (enough for attendance); for a "
            "cancelled sign-up null. The admin always sees all. Null once erased."
        )
    )
    missing_requirements: list[Requirement] = Field(
        description="The gig's requirements someone in this sign-up misses today, as of the "
        "gig's day (an attestation that expires before it, a requirement added later); "
        "empty when all are met. The sign-up stays: the organisation decides."
    )


class OrganizationHours(ResponseModel):
    """Hours given to one organisation."""

    organization_id: str
    name: str
    hours: float


class VolunteerHours(ResponseModel):
    """Recorded hours, per organisation, and a statement for a CV."""

    total_hours: float
    by_organization: list[OrganizationHours]
    statement: str
