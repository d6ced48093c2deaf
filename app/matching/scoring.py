"""Public ranking API: volunteers for a gig, gigs for a volunteer, and the score matrix."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from app.matching.factors import GigScoring, score_volunteers
from app.matching.pool import VolunteerPool
from app.matching.profiles import GigProfile, VolunteerProfile
from app.matching.reasons import Lang, volunteer_reasons

DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class VolunteerMatch:
    """A volunteer proposed for a gig."""

    volunteer_id: str
    score: float
    breakdown: Mapping[str, float]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class GigMatch:
    """A gig proposed to a volunteer."""

    gig_id: str
    score: float
    breakdown: Mapping[str, float]
    reasons: list[str]


def top_k(scores: NDArray[np.float64], limit: int) -> NDArray[np.intp]:
    """Indices of the ``limit`` best finite scores, best first (ties: lower index first)."""
    candidates = np.flatnonzero(np.isfinite(scores))
    if limit <= 0 or candidates.size == 0:
        return np.zeros(0, dtype=np.intp)
    if candidates.size > limit:
        # argpartition keeps the limit best in O(n); everything tied with the cut-off is
        # kept too, so the final sort by (score, index) does not depend on partition order.
        kth = candidates.size - limit
        cutoff = np.partition(scores[candidates], kth)[kth]
        candidates = candidates[scores[candidates] >= cutoff]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:limit]


def breakdown_of(factors: Mapping[str, NDArray[np.float64]], row: int) -> dict[str, float]:
    """Factor values of one row, rounded to 3 decimals."""
    return {name: round(float(values[row]), 3) for name, values in factors.items()}


def rank_volunteers(
    gig: GigProfile,
    pool: VolunteerPool,
    *,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    lang: Lang = "nl",
) -> list[VolunteerMatch]:
    """The best volunteers for a one-off gig, excluded ones left out, with reasons."""
    scoring = score_volunteers(gig, pool, now)
    return [
        VolunteerMatch(
            volunteer_id=pool.ids[row],
            score=round(float(scoring.scores[row]), 4),
            breakdown=breakdown_of(scoring.factors, row),
            reasons=volunteer_reasons(scoring, pool, row, lang=lang, perspective="candidate"),
        )
        for row in top_k(scoring.scores, limit).tolist()
    ]


def rank_gigs_for_volunteer(
    volunteer: VolunteerProfile,
    gigs: Sequence[GigProfile],
    *,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    lang: Lang = "nl",
) -> list[GigMatch]:
    """The best open one-off gigs for one volunteer (scored through a one-person pool)."""
    pool = VolunteerPool.from_profiles([volunteer])
    scorings: list[GigScoring] = [score_volunteers(gig, pool, now) for gig in gigs]
    scores = np.array([s.scores[0] for s in scorings], dtype=np.float64)
    return [
        GigMatch(
            gig_id=gigs[index].id,
            score=round(float(scores[index]), 4),
            breakdown=breakdown_of(scorings[index].factors, 0),
            reasons=volunteer_reasons(scorings[index], pool, 0, lang=lang, perspective="self"),
        )
        for index in top_k(scores, limit).tolist()
    ]


def score_matrix(
    gigs: Sequence[GigProfile], pool: VolunteerPool, now: datetime
) -> NDArray[np.float64]:
    """(len(gigs), pool.size) scores in [0, 1]; -inf for excluded pairs and closed gigs."""
    matrix = np.full((len(gigs), pool.size), -np.inf, dtype=np.float64)
    for index, gig in enumerate(gigs):
        matrix[index] = score_volunteers(gig, pool, now).scores
    return matrix
