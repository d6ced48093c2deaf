"""Response models of the calendar endpoints (the feeds themselves are text/calendar)."""

from __future__ import annotations

from pydantic import Field

from app.schemas.common import ResponseModel, Timestamp
from app.schemas.gig import GigRead


class OrganizationContact(ResponseModel):
    """Whom to contact about a gig: the organisation's public contact details."""

    id: str
    name: str
    email: str | None
    phone: str | None
    website: str | None


class GigSuggestion(ResponseModel):
    """A past repeatable gig proposed for the academic year, with whom to ask about it."""

    gig: GigRead = Field(description="The latest edition of the gig.")
    organization: OrganizationContact
    score: float = Field(description="Preference fit, 0–1: weighted mean of `breakdown`.")
    breakdown: dict[str, float] = Field(
        description="`category`, `area` and `size` factors (0–1), as in matching."
    )
    suggested_starts_at: Timestamp = Field(
        description="The gig's anniversary in the academic year, on the same weekday and time."
    )
    suggested_ends_at: Timestamp


class GigSuggestionList(ResponseModel):
    """Suggestions for one academic year, best first; not paginated (at most `limit`)."""

    academic_year: str = Field(examples=["2027-2028"])
    items: list[GigSuggestion]
