"""Small factories for matching tests: each test builds exactly what it needs."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.matching import GigProfile, VolunteerPool, VolunteerProfile, rank_volunteers
from app.matching.scoring import VolunteerMatch

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Monday 1 June 2026, 10:00 in Groningen
GRONINGEN = (53.2194, 6.5665)
KM_PER_DEGREE_LAT = 6371.0088 * 3.141592653589793 / 180


def local(text: str) -> datetime:
    """'2026-06-06 10:00' in Europe/Amsterdam, as an aware UTC datetime."""
    naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return naive.replace(tzinfo=AMSTERDAM).astimezone(UTC)


def north_of_centre(km: float) -> tuple[float, float]:
    """Coordinates ``km`` kilometres due north of the gig's default location."""
    return GRONINGEN[0] + km / KM_PER_DEGREE_LAT, GRONINGEN[1]


_GIG_DEFAULTS: dict[str, Any] = {
    "id": "g1",
    "category": "odd_jobs",
    "kind": "one_off",
    "starts_at": local("2026-06-06 10:00"),  # a Saturday morning
    "ends_at": local("2026-06-06 12:00"),
    "lat": GRONINGEN[0],
    "lon": GRONINGEN[1],
    "postcode": "9711 AB",
    "area": "Centrum",
    "accessible": True,
    "guidance_available": True,
    "capacity": 2,
    "spots_left": 2,
}


def make_gig(**overrides: Any) -> GigProfile:
    """An open one-off gig on Saturday morning in the centre, open to everyone."""
    return GigProfile(**{**_GIG_DEFAULTS, **overrides})


def make_volunteer(volunteer_id: str = "v1", /, **overrides: Any) -> VolunteerProfile:
    """A volunteer with no stated preferences at all (every factor neutral or default)."""
    return VolunteerProfile(id=volunteer_id, name=f"Naam {volunteer_id}", **overrides)


def rank(gig: GigProfile, *volunteers: VolunteerProfile, **kwargs: Any) -> list[VolunteerMatch]:
    """Rank the given volunteers for ``gig`` at NOW."""
    kwargs.setdefault("now", NOW)
    return rank_volunteers(gig, VolunteerPool.from_profiles(list(volunteers)), **kwargs)


def only_match(gig: GigProfile, volunteer: VolunteerProfile, **kwargs: Any) -> VolunteerMatch:
    """The single match of one volunteer (fails the test when excluded)."""
    matches = rank(gig, volunteer, **kwargs)
    assert len(matches) == 1, "volunteer was excluded"
    return matches[0]


def is_excluded(gig: GigProfile, volunteer: VolunteerProfile) -> bool:
    """True when the volunteer is left out for the gig."""
    return rank(gig, volunteer) == []


def with_changes(gig: GigProfile, **changes: Any) -> GigProfile:
    """A copy of ``gig`` with some fields changed."""
    return replace(gig, **changes)
