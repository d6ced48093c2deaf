"""Volunteer request and response models: only `name`, `consent` and a contact are required."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, EmailStr, Field, field_validator, model_validator

from app.schemas.attestation import AttestationRead
from app.schemas.common import (
    Area,
    Category,
    Languages,
    Latitude,
    Longitude,
    LongText,
    Name,
    PatchModel,
    PhoneNumber,
    Postcode,
    RequestModel,
    ResponseModel,
    Skills,
    Timestamp,
)

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class AvailabilityWindow(RequestModel):
    """A weekly window in Europe/Amsterdam time; Monday is 0."""

    weekday: Annotated[int, Field(ge=0, le=6)]
    start: Annotated[str, Field(examples=["09:00"], description="HH:MM")]
    end: Annotated[
        str, Field(examples=["12:30"], description="HH:MM, after `start`; 24:00 allowed")
    ]

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("must be HH:MM between 00:00 and 24:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start >= self.end:
            raise ValueError("`start` must be before `end`")
        return self


def _plausible_birth_date(value: date) -> date:
    today = date.today()
    if not date(today.year - 120, 1, 1) <= value <= today:
        raise ValueError("must be a date in the past 120 years")
    return value


BirthDate = Annotated[
    date,
    AfterValidator(_plausible_birth_date),
    Field(
        description="YYYY-MM-DD; optional. Organisations never see it: only the age "
        "(for a gig's minimum age)."
    ),
]
Availability = Annotated[list[AvailabilityWindow], Field(max_length=50)]
Interests = Annotated[list[Category], Field(max_length=12)]
MaxHours = Annotated[float, Field(gt=0, le=744)]


class Notifications(RequestModel):
    """How the volunteer wants to hear from the service."""

    channel: Literal["whatsapp", "email", "none"] = Field(
        description="`whatsapp` (needs a phone), `email` (needs an e-mail address), or `none` "
        "(no messages; a login code still comes when asked for). By default WhatsApp when "
        "there is a phone number, else e-mail."
    )
    reminders: bool = Field(default=True, description="Reminders before a gig.")


class _VolunteerFields(RequestModel):
    postcode: Postcode | None = None
    area: Area | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    skills: Skills = Field(default_factory=list)
    interests: Interests = Field(default_factory=list)
    languages: Languages = Field(default_factory=lambda: ["nl"])
    availability: Availability = Field(default_factory=list)
    max_hours_per_month: MaxHours | None = None
    needs_guidance: bool = False
    needs_accessible: bool = False
    about: LongText | None = Field(default=None, description="Free text the volunteer adds.")
    notifications: Notifications | None = Field(
        default=None, description="How to hear from us; left out: the default (see its fields)."
    )
    birth_date: BirthDate | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both `lat` and `lon`, or neither")
        return self


class VolunteerCreate(_VolunteerFields):
    """Registration: `name`, `consent: true` and an e-mail or phone; the rest can wait."""

    name: Name
    consent: Literal[True] = Field(description="Must be true: consent to store these data.")
    email: EmailStr | None = None
    phone: PhoneNumber | None = None

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        if self.email is None and self.phone is None:
            raise ValueError("give an `email` or a `phone`")
        return self


class VolunteerUpdate(PatchModel):
    """A partial update; at least one contact must remain."""

    not_nullable = frozenset(
        {
            "name",
            "skills",
            "interests",
            "languages",
            "availability",
            "needs_guidance",
            "needs_accessible",
        }
    )

    name: Name | None = None
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    postcode: Postcode | None = None
    area: Area | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    skills: Skills | None = None
    interests: Interests | None = None
    languages: Languages | None = None
    availability: Availability | None = None
    max_hours_per_month: MaxHours | None = None
    needs_guidance: bool | None = None
    needs_accessible: bool | None = None
    about: LongText | None = None
    notifications: Notifications | None = None
    birth_date: BirthDate | None = None


class AvailabilityRead(ResponseModel):
    """A weekly window."""

    weekday: int
    start: str
    end: str


class NotificationsRead(ResponseModel):
    """How the volunteer hears from the service (the default when never chosen)."""

    channel: Literal["whatsapp", "email", "none"]
    reminders: bool


class VolunteerRead(ResponseModel):
    """A volunteer's profile, as the volunteer and the admin see it."""

    id: str
    name: str
    email: str | None
    phone: str | None
    postcode: str | None
    area: str | None
    lat: float | None
    lon: float | None
    skills: list[str]
    interests: list[str]
    languages: list[str]
    availability: list[AvailabilityRead]
    max_hours_per_month: float | None
    needs_guidance: bool
    needs_accessible: bool
    about: str | None
    notifications: NotificationsRead
    birth_date: date | None = Field(description="Seen by the volunteer and the admin only.")
    created_at: Timestamp
    updated_at: Timestamp


class VolunteerCreated(VolunteerRead):
    """A new registration: the access token is shown this once."""

    access_token: str | None = Field(
        description=(
            "Bearer token of this volunteer; only a hash is kept. Null when an "
            "Idempotency-Key replays this response: the token is shown once."
        )
    )


class MembershipRead(ResponseModel):
    """An association the volunteer is a member of."""

    association_id: str
    name: str
    joined_at: Timestamp


class ChatMessageExport(ResponseModel):
    """A chat message received from the volunteer's phone number."""

    id: str
    channel: str
    text: str | None
    status: str
    gig_id: str | None
    sent_at: Timestamp | None
    received_at: Timestamp
    reply: str | None = Field(description="What the service answered in the chat.")


class SentMessageExport(ResponseModel):
    """A message the service made for the volunteer, with its address and text."""

    id: str
    kind: str
    channel: str
    recipient: str | None
    subject: str | None
    body: str | None
    status: str
    created_at: Timestamp
    sent_at: Timestamp | None


class VolunteerExport(ResponseModel):
    """Every personal datum held about the volunteer."""

    profile: VolunteerRead
    consent_at: Timestamp
    memberships: list[MembershipRead]
    signups: list[dict[str, object]]
    chat_messages: list[ChatMessageExport] = Field(
        description="Chat messages received from the volunteer's phone number."
    )
    messages: list[SentMessageExport] = Field(
        description="Messages made for the volunteer (confirmations, reminders, codes)."
    )
    attestations: list[AttestationRead] = Field(
        description="VOGs and driving licences organisations recorded having seen."
    )


class LoginCodeRequest(RequestModel):
    """A lost token: the e-mail address or phone number the volunteer registered with."""

    email: EmailStr | None = None
    phone: PhoneNumber | None = None

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give either `email` or `phone`")
        return self


class LoginCodeSent(ResponseModel):
    """The same answer whether or not the contact is known."""

    detail: str


class TokenRequest(LoginCodeRequest):
    """The code that was sent, for a new token."""

    code: Annotated[str, Field(pattern=r"^\d{6}$", description="The 6 digits that were sent.")]


class TokenIssued(ResponseModel):
    """A new access token (earlier ones no longer work); shown once."""

    volunteer_id: str
    access_token: str | None = Field(
        description="Bearer token of this volunteer; null when an Idempotency-Key replays it."
    )
