"""Suggestions for an association's next academic year: repeatable gigs that fit it.

Candidates are past group gigs (started before now, `open` or `completed`) marked
`repeatable` that fit the association (`association_fit`); the most recent
`MAX_CANDIDATES` are considered. A gig that returns every year appears once: per
organisation and title (case- and accent-insensitive) the latest edition is kept.

Ranking uses the association factors of the matching module (`association_factors`)
with the weights of `matching/weights.py`, limited to the factors that differ between
gigs for one association: `category` (3), `area` (2) and `size` (2). The score is their
weighted mean in [0, 1]; ties go to the most recent gig. `rank_associations` itself ranks
associations for one gig and skips gigs that are no longer open, so it does not fit here.

Each suggestion also proposes a date in the academic year (1 September to 31 August):
the anniversary of the gig, moved by at most three days to the same weekday, at the same
local time in Europe/Amsterdam and for the same duration.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select

from app.db import Row, Tx, reads
from app.errors import NotFound, field_error
from app.integrations.ical_text import AMSTERDAM
from app.matching.associations import association_factors
from app.matching.profiles import AssociationProfile, GigProfile
from app.matching.weights import ASSOCIATION_WEIGHTS
from app.models import Gig, Organization
from app.schemas.calendar import OrganizationContact
from app.schemas.common import fold_text
from app.services.association_fit import fits_association
from app.services.associations import ASSOCIATION, member_count

logger = logging.getLogger("klusmakelaar.calendars")

#: The most recent fitting gigs looked at; older editions rarely add anything.
MAX_CANDIDATES: Final = 2000
#: The factors that rank gigs for one association, with their matching weights.
RANKING_FACTORS: Final = ("category", "area", "size")
ACADEMIC_YEAR_FIRST_MONTH: Final = 9
_ACADEMIC_YEAR: Final = re.compile(r"^(\d{4})-(\d{4})$")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A past gig proposed again, with its organisation, its score and a proposed date."""

    gig: Row
    organization: OrganizationContact
    score: float
    breakdown: dict[str, float]
    suggested_starts_at: datetime
    suggested_ends_at: datetime


def parse_academic_year(text: str) -> int:
    """The first calendar year of `YYYY-YYYY` (second = first + 1), or a 422."""
    match = _ACADEMIC_YEAR.match(text)
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        raise field_error(
            ["query", "academic_year"], "use `YYYY-YYYY` with consecutive years, e.g. `2027-2028`"
        )
    return int(match.group(1))


def next_academic_year(now: datetime) -> str:
    """The academic year after the current one (years start on 1 September)."""
    local = now.astimezone(AMSTERDAM)
    current_first = local.year if local.month >= ACADEMIC_YEAR_FIRST_MONTH else local.year - 1
    return f"{current_first + 1}-{current_first + 2}"


_ORGANIZATION_COLUMNS = (
    Organization.name.label("organization_name"),
    Organization.email.label("organization_email"),
    Organization.phone.label("organization_phone"),
    Organization.website.label("organization_website"),
)


@reads
async def suggest(
    tx: Tx, *, association_id: str, first_year: int, now: datetime, limit: int
) -> list[Suggestion]:
    """The best ``limit`` repeatable past group gigs for the association, best first."""
    association = await tx.row(ASSOCIATION, association_id=association_id)
    if association is None:
        raise NotFound("No such association.")
    rows = await tx.rows(
        select(*Gig.__table__.columns, *_ORGANIZATION_COLUMNS)
        .join(Organization, Organization.id == Gig.organization_id)
        .where(
            Gig.kind == "group",
            Gig.repeatable.is_(True),
            Gig.status.in_(("open", "completed")),
            Gig.starts_at < now,
            fits_association(association),
        )
        .order_by(Gig.starts_at.desc(), Gig.id)
        .limit(MAX_CANDIDATES)
    )
    latest: dict[tuple[str, str], Row] = {}
    for row in rows:
        latest.setdefault((row.organization_id, " ".join(fold_text(row.title).split())), row)
    profile = AssociationProfile(
        id=association.id,
        name=association.name,
        preferred_categories=association.preferred_categories,
        preferred_areas=association.preferred_areas,
        member_count=await member_count(tx, association.id),
    )
    suggestions = _suggestions(latest.values(), profile, first_year)
    suggestions.sort(key=lambda item: (-item.score, -item.gig.starts_at.timestamp(), item.gig.id))
    return suggestions[:limit]


def _contact(row: Any) -> OrganizationContact:
    return OrganizationContact(
        id=row.organization_id,
        name=row.organization_name,
        email=row.organization_email,
        phone=row.organization_phone,
        website=row.organization_website,
    )


def _suggestions(
    gigs: Iterable[Row], profile: AssociationProfile, first_year: int
) -> list[Suggestion]:
    """A suggestion per gig; one with impossible times (from before gig dates were
    bounded) is left out and logged, so it does not take the others with it."""
    found = []
    for gig in gigs:
        try:
            found.append(_suggestion(gig, profile, first_year))
        except (ValueError, OverflowError) as error:
            logger.warning("gig %s left out of suggestions: %s", gig.id, error)
    return found


def _suggestion(gig: Row, profile: AssociationProfile, first_year: int) -> Suggestion:
    gig_profile = GigProfile(
        id=gig.id,
        category=gig.category,
        kind="group",
        starts_at=gig.starts_at,
        ends_at=gig.ends_at,
        area=gig.area,
        capacity=gig.capacity,
        group_size_min=gig.group_size_min,
        group_size_max=gig.group_size_max,
    )
    factors = association_factors(gig_profile, [profile])
    breakdown = {name: round(float(factors[name][0]), 4) for name in RANKING_FACTORS}
    weights = {name: ASSOCIATION_WEIGHTS[name] for name in RANKING_FACTORS}
    score = sum(weights[name] * breakdown[name] for name in RANKING_FACTORS) / sum(weights.values())
    starts_at, ends_at = project_into_academic_year(gig.starts_at, gig.ends_at, first_year)
    return Suggestion(gig, _contact(gig), round(score, 4), breakdown, starts_at, ends_at)


def project_into_academic_year(
    starts_at: datetime, ends_at: datetime, first_year: int
) -> tuple[datetime, datetime]:
    """The gig's anniversary in the academic year, on the same weekday and local time (UTC)."""
    local = starts_at.astimezone(AMSTERDAM)
    year = first_year if local.month >= ACADEMIC_YEAR_FIRST_MONTH else first_year + 1
    day = min(local.day, calendar.monthrange(year, local.month)[1])  # 29 February
    anniversary = date(year, local.month, day)
    shift = (local.weekday() - anniversary.weekday() + 3) % 7 - 3  # -3..3 days
    proposed = datetime.combine(anniversary + timedelta(days=shift), local.time(), AMSTERDAM)
    proposed_utc = proposed.astimezone(UTC)
    return proposed_utc, proposed_utc + (ends_at - starts_at)
