"""Plain, frozen inputs of the matching module; services build them from the database."""

import re
import unicodedata
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, date, datetime
from functools import lru_cache
from typing import Final, Literal

from app.matching.requirements import Requirements

CATEGORIES: Final[tuple[str, ...]] = (
    "board",
    "information_advice",
    "visiting",
    "training",
    "advocacy",
    "office",
    "odd_jobs",
    "personal_advice",
    "transport",
    "fundraising",
    "care",
    "other",
)
CATEGORY_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(CATEGORIES)}

GigKind = Literal["one_off", "group"]
Interval = tuple[datetime, datetime]
AvailabilityWindow = tuple[int, str, str]
"""(weekday 0-6 with Monday = 0, "HH:MM" start, "HH:MM" end) in Europe/Amsterdam.

An end at or before the start runs past midnight into the next day; "24:00" is allowed.
"""

_POSTCODE = re.compile(r"^\s*(\d{4})")
CALENDAR_END: Final = datetime(MAXYEAR, 1, 1, tzinfo=UTC)
"""Gigs end before it: scoring walks them in local time, a step past the end."""


@lru_cache(maxsize=65_536)
def normalise_tag(text: str) -> str:
    """Fold a skill, language or area for comparison: no accents, casefolded, one space."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def postcode_digits(postcode: str | None) -> int:
    """Return the 4 digits of a Dutch postcode ("9711 AB" -> 9711), or 0 when unknown."""
    if not postcode:
        return 0
    found = _POSTCODE.match(postcode)
    return int(found.group(1)) if found else 0


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True, slots=True)
class GigProfile:
    """What matching needs to know about a gig."""

    id: str
    category: str
    kind: GigKind
    starts_at: datetime
    ends_at: datetime
    skills: Sequence[str] = ()
    languages: Sequence[str] = ()
    """Languages that can be used on the gig; empty means any."""
    lat: float | None = None
    lon: float | None = None
    area: str | None = None
    postcode: str | None = None
    accessible: bool = False
    guidance_available: bool = False
    capacity: int = 1
    spots_left: int = 1
    group_size_min: int | None = None
    group_size_max: int | None = None
    status: str = "open"
    signup_deadline: datetime | None = None
    requirements: Requirements = field(default_factory=Requirements)
    """Who may take part at all (`app.matching.requirements`)."""

    def __post_init__(self) -> None:
        if self.category not in CATEGORY_INDEX:
            raise ValueError(f"unknown gig category {self.category!r}")
        _require_aware("starts_at", self.starts_at)
        _require_aware("ends_at", self.ends_at)
        _require_aware("signup_deadline", self.signup_deadline)
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at >= CALENDAR_END:
            raise ValueError(f"ends_at must be before the year {MAXYEAR}")

    @property
    def duration_hours(self) -> float:
        """Length of the gig in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600.0

    def open_for_signup(self, now: datetime) -> bool:
        """True when the gig is open, has a spot left and neither start nor deadline passed."""
        _require_aware("now", now)
        if self.status != "open" or self.spots_left <= 0 or now >= self.starts_at:
            return False
        return self.signup_deadline is None or now < self.signup_deadline


@dataclass(frozen=True, slots=True)
class VolunteerProfile:
    """What matching needs to know about a volunteer (``name`` is only carried along)."""

    id: str
    name: str = ""
    skills: Sequence[str] = ()
    interests: Sequence[str] = ()
    """Gig categories; unknown names are ignored."""
    languages: Sequence[str] = ("nl",)
    """Languages spoken; an empty list is read as the default ``["nl"]``."""
    lat: float | None = None
    lon: float | None = None
    area: str | None = None
    postcode: str | None = None
    availability: Sequence[AvailabilityWindow] = ()
    max_hours_per_month: float | None = None
    needs_guidance: bool = False
    needs_accessible: bool = False
    hours_booked_this_month: float = 0.0
    busy: Sequence[Interval] = ()
    """Confirmed sign-ups as aware (start, end) intervals."""
    signed_up_gig_ids: AbstractSet[str] = field(default_factory=frozenset)
    birth_date: date | None = None
    vog_valid_until: date | None = None
    """The last valid day of the latest VOG recorded, if any."""
    driving_licence_valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class AssociationProfile:
    """What matching needs to know about a (student) association for group gigs."""

    id: str
    name: str = ""
    preferred_categories: Sequence[str] = ()
    """Empty means any category."""
    preferred_areas: Sequence[str] = ()
    """Empty means any area."""
    member_count: int = 0
    past_engagement_hours: float = 0.0
    busy: Sequence[Interval] = ()
    signed_up_gig_ids: AbstractSet[str] = field(default_factory=frozenset)
