"""Ranking (student) associations for group gigs; tens of candidates, so plain numpy."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from app.matching import weights as w
from app.matching.profiles import AssociationProfile, GigProfile, normalise_tag
from app.matching.reasons import (
    ASSOCIATION_TEMPLATES,
    Lang,
    category_label,
    format_number,
)
from app.matching.scoring import DEFAULT_LIMIT, breakdown_of, top_k


@dataclass(frozen=True, slots=True)
class AssociationMatch:
    """An association proposed for a group gig."""

    association_id: str
    score: float
    breakdown: Mapping[str, float]
    reasons: list[str]


def _preference(wanted: str | None, preferred: Sequence[str]) -> float:
    if not preferred:
        return w.ANY_PREFERENCE
    if wanted is None:
        return w.NEUTRAL
    key = normalise_tag(wanted)
    return 1.0 if any(normalise_tag(p) == key for p in preferred) else 0.0


def _size_fit(members: int, gig: GigProfile) -> float:
    minimum = max(gig.group_size_min or 1, 1)
    maximum = max(gig.group_size_max or minimum, minimum)
    members = max(members, 0)
    return (min(1.0, members / minimum) + min(1.0, members / maximum)) / 2.0


def _excluded(association: AssociationProfile, gig: GigProfile) -> bool:
    if gig.id in association.signed_up_gig_ids:
        return True
    return any(start < gig.ends_at and end > gig.starts_at for start, end in association.busy)


def association_factors(
    gig: GigProfile, associations: Sequence[AssociationProfile]
) -> dict[str, NDArray[np.float64]]:
    """Factor arrays (one entry per association) for a group gig."""
    hours = np.array([max(a.past_engagement_hours, 0.0) for a in associations], np.float64)
    return {
        "category": np.array(
            [_preference(gig.category, a.preferred_categories) for a in associations]
        ),
        "area": np.array([_preference(gig.area, a.preferred_areas) for a in associations]),
        "size": np.array([_size_fit(a.member_count, gig) for a in associations]),
        "engagement": hours / (hours + w.ENGAGEMENT_HALF_HOURS),
    }


def rank_associations(
    gig: GigProfile,
    associations: Sequence[AssociationProfile],
    *,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    lang: Lang = "nl",
) -> list[AssociationMatch]:
    """The best associations for a gig (time clashes and existing sign-ups left out)."""
    if not associations or not gig.open_for_signup(now):
        return []
    factors = association_factors(gig, associations)
    weighted = np.zeros(len(associations), dtype=np.float64)
    for name, values in factors.items():
        weighted += w.ASSOCIATION_WEIGHTS[name] * values
    scores = weighted / sum(w.ASSOCIATION_WEIGHTS.values())
    excluded = np.array([_excluded(a, gig) for a in associations], dtype=np.bool_)
    scores = np.where(excluded, -np.inf, scores)
    return [
        AssociationMatch(
            association_id=associations[row].id,
            score=round(float(scores[row]), 4),
            breakdown=breakdown_of(factors, row),
            reasons=_reasons(gig, associations[row], factors, row, lang),
        )
        for row in top_k(scores, limit).tolist()
    ]


def _reasons(
    gig: GigProfile,
    association: AssociationProfile,
    factors: Mapping[str, NDArray[np.float64]],
    row: int,
    lang: Lang,
) -> list[str]:
    text = ASSOCIATION_TEMPLATES[lang]
    reasons: list[str] = []
    if factors["category"][row] == 1.0:
        reasons.append(text["category"].format(category=category_label(gig.category, lang)))
    if factors["area"][row] == 1.0 and gig.area:
        reasons.append(text["area"].format(area=gig.area))
    if association.member_count >= max(gig.group_size_min or 1, 1):
        reasons.append(text["size"].format(members=association.member_count))
    if association.past_engagement_hours > 0:
        hours = format_number(association.past_engagement_hours, lang, decimals=0)
        reasons.append(text["engagement"].format(hours=hours))
    return reasons
