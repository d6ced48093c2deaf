"""Requirements at sign-up: the facts of the people (birth dates, attestations) and the
check, used by every way of signing up (one gig, a series) and by the gig's sign-up list.

The rule itself is `app.matching.requirements` (matching applies the same one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.db import Query, Row, Tx, in_ids
from app.errors import Conflict
from app.matching.requirements import (
    Requirement,
    Requirements,
    gig_day,
    missing,
)
from app.matching.timeslots import AMSTERDAM
from app.models import Attestation, Volunteer
from app.models.base import utcnow


class RequirementsNotMet(Conflict):
    type, title = "requirements-not-met", "Not everyone meets the gig's requirements"


def today() -> date:
    """Today in Europe/Amsterdam."""
    return utcnow().astimezone(AMSTERDAM).date()


#: The people's birth dates, and the last valid day of their latest attestation per kind.
BIRTH_DATES = select(Volunteer.id, Volunteer.birth_date).where(in_ids(Volunteer.id, "people"))
VALID_UNTIL = (
    select(Attestation.volunteer_id, Attestation.kind, func.max(Attestation.valid_until))
    .where(in_ids(Attestation.volunteer_id, "people"))
    .group_by(Attestation.volunteer_id, Attestation.kind)
)


def of_gig(gig: Row | Any) -> Requirements:
    """A gig row's requirements."""
    return Requirements(
        min_age=gig.min_age,
        vog=bool(gig.requires_vog),
        driving_licence=bool(gig.requires_driving_licence),
    )


def fact_queries(people: Sequence[str]) -> list[Query]:
    """The queries whose rows `People` is made of (to send in a batch)."""
    return [Query.of(BIRTH_DATES, people=list(people)), Query.of(VALID_UNTIL, people=list(people))]


class People:
    """What the requirements look at of some people: birth dates and attestations."""

    def __init__(self, birth_rows: Sequence[Row], valid_rows: Sequence[Row]) -> None:
        self.birth_dates: dict[str, date | None] = {row[0]: _day(row[1]) for row in birth_rows}
        self.valid_until: dict[str, dict[str, date]] = {}
        for volunteer_id, kind, until in valid_rows:
            day = _day(until)
            if day is not None:
                self.valid_until.setdefault(volunteer_id, {})[kind] = day

    @classmethod
    async def load(cls, tx: Tx, people: Sequence[str]) -> People:
        """The facts of ``people``."""
        if not people:
            return cls([], [])
        births, valid = await tx.batch(*fact_queries(people))
        return cls(births, valid)

    def missing(self, gig: Row | Any, people: Sequence[str]) -> list[Requirement]:
        """The gig's requirements that any of ``people`` misses, in a fixed order."""
        requirements = of_gig(gig)
        if not requirements:
            return []
        day = gig_day(gig.starts_at)
        unmet: set[Requirement] = set()
        for person in people:
            unmet.update(
                missing(
                    requirements,
                    birth_date=self.birth_dates.get(person),
                    valid_until=self.valid_until.get(person, {}),
                    day=day,
                )
            )
        return [name for name in ("min_age", "vog", "driving_licence") if name in unmet]


def check(gig: Row | Any, people: Sequence[str], facts: People) -> None:
    """409 `requirements-not-met`, with `missing`, when someone misses a requirement."""
    unmet = facts.missing(gig, people)
    if unmet:
        raise RequirementsNotMet(
            f"Missing for this gig: {', '.join(unmet)}. An organisation records a VOG or "
            "driving licence it has seen; a volunteer adds a birth date to the profile.",
            missing=unmet,
        )


def _day(value: date | str | None) -> date | None:
    """A date (SQLite may give an aggregate's date back as ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value
