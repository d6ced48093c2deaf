"""Gig request and response models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from app.errors import ValidationFailed
from app.schemas.common import (
    Area,
    Category,
    Languages,
    Latitude,
    Longitude,
    LongText,
    PatchModel,
    Postcode,
    RequestModel,
    ResponseModel,
    Skills,
    Timestamp,
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
GigKind = Literal["one_off", "group"]
GigStatus = Literal["draft", "open", "cancelled", "completed"]
GigSource = Literal["api", "whatsapp", "bridge"]
Capacity = Annotated[int, Field(ge=1, le=100_000)]
GroupSize = Annotated[int, Field(ge=1, le=100_000)]

#: How far ahead a gig may start (two years, a leap day included) and how long it may
#: last. Beyond them a date is a typo, and far dates break calendars and matching.
MAX_START_AHEAD: Final = timedelta(days=731)
MAX_DURATION: Final = timedelta(days=14)
STARTS_AT_TEXT: Final = "At most two years from now."
ENDS_AT_TEXT: Final = "After `starts_at`, and at most 14 days after it."


class GigLocation(RequestModel):
    """Where the gig happens; every part optional."""

    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    postcode: Postcode | None = None
    area: Area | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    online: bool = False

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both `lat` and `lon`, or neither")
        return self


MinAge = Annotated[int, Field(ge=1, le=120)]


class GigRequirements(RequestModel):
    """What everyone who takes part must meet; every key optional (`{}`: none)."""

    min_age: MinAge | None = Field(
        default=None, description="Years of age on the gig's day; an unknown age does not meet it."
    )
    vog: bool = Field(default=False, description="A VOG (certificate of conduct) seen and valid.")
    driving_licence: bool = Field(default=False, description="A driving licence seen and valid.")


class GigCreate(RequestModel):
    """A new gig: `open` unless `status` is `draft`."""

    organization_id: str | None = Field(
        default=None, description="Required for the admin; an organisation key posts for itself."
    )
    title: Title
    description: LongText | None = None
    category: Category
    kind: GigKind
    starts_at: AwareDatetime = Field(description=STARTS_AT_TEXT)
    ends_at: AwareDatetime = Field(description=ENDS_AT_TEXT)
    signup_deadline: AwareDatetime | None = None
    location: GigLocation = Field(default_factory=GigLocation)
    capacity: Capacity
    group_size_min: GroupSize | None = None
    group_size_max: GroupSize | None = None
    skills: Skills = Field(default_factory=list)
    languages: Languages = Field(default_factory=list)
    accessible: bool = False
    guidance_available: bool = False
    repeatable: bool = False
    requirements: GigRequirements = Field(
        default_factory=GigRequirements,
        description="Who may sign up: a sign-up that misses one is 409 `requirements-not-met`.",
    )
    status: Literal["draft", "open"] = "open"


class GigUpdate(PatchModel):
    """A partial update; `{"status": "open"}` publishes a draft."""

    not_nullable = frozenset(
        {"title", "category", "kind", "starts_at", "ends_at", "location", "capacity", "skills",
         "languages", "accessible", "guidance_available", "repeatable", "requirements",
         "status"}
    )  # fmt: skip

    title: Title | None = None
    description: LongText | None = None
    category: Category | None = None
    kind: GigKind | None = None
    starts_at: AwareDatetime | None = Field(default=None, description=STARTS_AT_TEXT)
    ends_at: AwareDatetime | None = Field(default=None, description=ENDS_AT_TEXT)
    signup_deadline: AwareDatetime | None = None
    location: GigLocation | None = None
    capacity: Capacity | None = None
    group_size_min: GroupSize | None = None
    group_size_max: GroupSize | None = None
    skills: Skills | None = None
    languages: Languages | None = None
    accessible: bool | None = None
    guidance_available: bool | None = None
    repeatable: bool | None = None
    requirements: GigRequirements | None = Field(
        default=None,
        description="Replaces all requirements (`{}`: none). Existing sign-ups stay; "
        "`GET /gigs/{id}/signups?requirements_met=false` lists those that miss one.",
    )
    status: Literal["draft", "open"] | None = None


def gig_time_errors(
    *, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[dict[str, object]]:
    """The bounds on a gig's times (`MAX_START_AHEAD`, `MAX_DURATION`), as field errors.

    The one place of this rule: the API (`check_gig_rules`) and chat messages use it.
    """
    errors: list[dict[str, object]] = []
    if starts_at > now + MAX_START_AHEAD:
        errors.append({"loc": ["body", "starts_at"], "msg": "must be at most two years from now"})
    if ends_at - starts_at > MAX_DURATION:
        errors.append(
            {"loc": ["body", "ends_at"], "msg": "must be at most 14 days after `starts_at`"}
        )
    return errors


def check_gig_rules(
    *,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    signup_deadline: datetime | None,
    capacity: int,
    group_size_min: int | None,
    group_size_max: int | None,
    now: datetime | None,
) -> None:
    """The rules that span fields, for a new gig and for a gig after a PATCH.

    With ``now`` the times are also held to `gig_time_errors`; a PATCH that leaves them
    alone passes None, so an older gig can still get another title.
    """
    errors: list[dict[str, object]] = []
    if ends_at <= starts_at:
        errors.append({"loc": ["body", "ends_at"], "msg": "must be after `starts_at`"})
    elif now is not None:
        errors += gig_time_errors(starts_at=starts_at, ends_at=ends_at, now=now)
    if signup_deadline is not None and signup_deadline > starts_at:
        errors.append({"loc": ["body", "signup_deadline"], "msg": "must not be after `starts_at`"})
    if kind == "one_off":
        for field, value in (
            ("group_size_min", group_size_min),
            ("group_size_max", group_size_max),
        ):
            if value is not None:
                errors.append({"loc": ["body", field], "msg": "only for group gigs"})
    else:
        low = group_size_min or 1
        high = group_size_max or capacity
        if not 1 <= low <= high <= capacity:
            errors.append(
                {
                    "loc": ["body", "group_size_max"],
                    "msg": "need 1 ≤ group_size_min ≤ group_size_max ≤ capacity",
                }
            )
    if errors:
        raise ValidationFailed("See `errors` for what is wrong.", errors=errors)


class GigLocationRead(ResponseModel):
    """Where the gig happens."""

    address: str | None
    postcode: str | None
    area: str | None
    lat: float | None
    lon: float | None
    online: bool


class GigRequirementsRead(ResponseModel):
    """What everyone who takes part must meet."""

    min_age: int | None
    vog: bool
    driving_licence: bool


class GigRead(ResponseModel):
    """A gig with its derived counters."""

    id: str
    organization_id: str
    title: str
    description: str | None
    category: Category
    kind: GigKind
    starts_at: Timestamp
    ends_at: Timestamp
    signup_deadline: Timestamp | None
    location: GigLocationRead
    capacity: int
    group_size_min: int | None
    group_size_max: int | None
    skills: list[str]
    languages: list[str]
    accessible: bool
    guidance_available: bool
    repeatable: bool
    requirements: GigRequirementsRead
    series_id: str | None = Field(description="The gig series this gig is an occurrence of.")
    status: GigStatus
    spots_left: int = Field(description="`capacity` minus the people confirmed.")
    waitlist_count: int = Field(description="Sign-ups on the waitlist.")
    source: GigSource
    distance_km: float | None = Field(
        default=None, description="Great-circle distance from `near`, when listing with `near`."
    )
    created_at: Timestamp
    updated_at: Timestamp
