"""A gig's requirements (minimum age, VOG, driving licence): the one rule of who meets them.

Sign-ups (`app.services.requirements`) check one person at a time with `missing`;
matching excludes a whole pool at once with `unmet`. Both read the same dates:

- the age counts on the gig's first day in Europe/Amsterdam; an unknown birth date does
  not meet a minimum age;
- an attestation counts when it is valid on that day (`valid_until` is its last valid
  day), so one that expires before the gig does not.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

Requirement = Literal["min_age", "vog", "driving_licence"]
AttestationKind = Literal["vog", "driving_licence"]
AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
#: The order in which missing requirements are named.
REQUIREMENTS: Final[tuple[Requirement, ...]] = ("min_age", "vog", "driving_licence")
#: A day ordinal later than any: an unknown birth date, or no attestation (as 0).
UNKNOWN_BIRTH: Final = date.max.toordinal()


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a gig asks of everyone who takes part."""

    min_age: int | None = None
    vog: bool = False
    driving_licence: bool = False

    def __bool__(self) -> bool:
        return self.min_age is not None or self.vog or self.driving_licence


def gig_day(starts_at: datetime) -> date:
    """The day the requirements are checked on: the gig's start, in Europe/Amsterdam."""
    return starts_at.astimezone(AMSTERDAM).date()


def latest_birth_date(min_age: int, day: date) -> date:
    """The latest birth date of someone who is ``min_age`` on ``day`` (29 February: the
    28th in a year without it)."""
    year = day.year - min_age
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def missing(
    requirements: Requirements,
    *,
    birth_date: date | None,
    valid_until: Mapping[str, date],
    day: date,
) -> list[Requirement]:
    """The requirements one person does not meet on ``day`` (``valid_until``: the last
    valid day of their latest attestation per kind)."""
    unmet: list[Requirement] = []
    if requirements.min_age is not None and (
        birth_date is None or birth_date > latest_birth_date(requirements.min_age, day)
    ):
        unmet.append("min_age")
    for kind in ("vog", "driving_licence"):
        needed = requirements.vog if kind == "vog" else requirements.driving_licence
        until = valid_until.get(kind)
        if needed and (until is None or until < day):
            unmet.append(kind)
    return unmet


def unmet(
    requirements: Requirements,
    *,
    day: date,
    birth: NDArray[np.int64],
    vog_until: NDArray[np.int64],
    licence_until: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Per person: misses any requirement on ``day`` (the same rule as `missing`, on day
    ordinals: `UNKNOWN_BIRTH` for an unknown birth date, 0 for no attestation)."""
    excluded = np.zeros(len(birth), dtype=np.bool_)
    if requirements.min_age is not None:
        excluded |= birth > latest_birth_date(requirements.min_age, day).toordinal()
    if requirements.vog:
        excluded |= vog_until < day.toordinal()
    if requirements.driving_licence:
        excluded |= licence_until < day.toordinal()
    return excluded


_WHY: Final[dict[str, dict[Requirement, str]]] = {
    "nl": {
        "min_age": "Deze klus vraagt een minimumleeftijd van {min_age} jaar; je leeftijd is "
        "niet bekend of lager (vul je geboortedatum in je profiel in).",
        "vog": "Deze klus vraagt een VOG die op de dag van de klus geldig is; de organisatie "
        "heeft er geen van je gezien.",
        "driving_licence": "Deze klus vraagt een rijbewijs dat op de dag van de klus geldig "
        "is; de organisatie heeft er geen van je gezien.",
    },
    "en": {
        "min_age": "This task asks for a minimum age of {min_age}; your age is unknown or "
        "lower (add your birth date to your profile).",
        "vog": "This task asks for a VOG valid on the day of the task; no organisation has "
        "recorded seeing one.",
        "driving_licence": "This task asks for a driving licence valid on the day of the "
        "task; no organisation has recorded seeing one.",
    },
}


def why_not(requirements: Requirements, unmet: list[Requirement], lang: str) -> list[str]:
    """Sentences saying which requirements are not met (Dutch, or English for `en`)."""
    texts = _WHY["en" if lang == "en" else "nl"]
    return [texts[name].format(min_age=requirements.min_age) for name in unmet]
