"""Proposing volunteers for many one-off gigs at once (nothing is booked here).

Design: within one proposal **each volunteer is placed at most once overall**, even in
gigs that do not overlap in time. That makes the problem a bipartite b-matching (gig
``g`` has ``spots_left`` slots, every volunteer has one), which ``optimal`` solves exactly
with ``scipy.optimize.linear_sum_assignment`` on a slot-expanded (slots x volunteers)
matrix, and which can never put anyone into two overlapping gigs. Allowing several
non-overlapping gigs per volunteer would need per-clique constraints that break this
simple exact structure; it also spreads a proposal round over more people, which the
fairness factor wants anyway. Conflicts with sign-ups a volunteer already has are hard
exclusions in the score matrix (-inf), as are all other hard constraints.

``greedy`` repeatedly takes the best remaining (gig, volunteer) pair under the same
constraints, so ``optimal`` total score >= ``greedy`` total score always.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

# scipy ships no type information; scipy-stubs is not a dev dependency (yet).
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from app.matching.pool import VolunteerPool
from app.matching.profiles import GigProfile
from app.matching.scoring import score_matrix

Strategy = Literal["optimal", "greedy"]

MAX_ASSIGNMENT_GIGS: Final = 2_000
"""More gigs than this in one request raise ``ProblemTooLarge``."""
MAX_ASSIGNMENT_VOLUNTEERS: Final = 10_000
"""More volunteers than this in one request raise ``ProblemTooLarge``."""
MAX_ASSIGNMENT_CELLS: Final = 20_000_000
"""Cap on (open slots x volunteers): the dense matrix is 8 bytes a cell (160 MB here)."""
_GREEDY_BATCH: Final = 4_096
"""Greedy drops dead pairs with numpy this many at a time before walking the rest."""


class ProblemTooLarge(ValueError):
    """The assignment request exceeds one of the MAX_ASSIGNMENT_* limits."""


class Assignment(NamedTuple):
    """One proposed placement."""

    gig_id: str
    volunteer_id: str
    score: float


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    """A proposal: placements, their summed score, and open slots left per gig."""

    assignments: list[Assignment]
    total_score: float
    unfilled: dict[str, int] = field(default_factory=dict)


def check_size(n_gigs: int, n_volunteers: int, n_slots: int) -> None:
    """Raise ``ProblemTooLarge`` when a problem exceeds the module limits."""
    if n_gigs > MAX_ASSIGNMENT_GIGS:
        raise ProblemTooLarge(f"{n_gigs} gigs; at most {MAX_ASSIGNMENT_GIGS} per request")
    if n_volunteers > MAX_ASSIGNMENT_VOLUNTEERS:
        raise ProblemTooLarge(
            f"{n_volunteers} volunteers; at most {MAX_ASSIGNMENT_VOLUNTEERS} per request"
        )
    if n_slots * n_volunteers > MAX_ASSIGNMENT_CELLS:
        raise ProblemTooLarge(
            f"{n_slots} slots x {n_volunteers} volunteers exceeds {MAX_ASSIGNMENT_CELLS} cells"
        )


def solve(
    scores: NDArray[np.float64], capacities: NDArray[np.int64], strategy: Strategy
) -> list[tuple[int, int, float]]:
    """Place volunteers (columns) into gigs (rows) with ``capacities[g]`` slots each.

    Only finite, non-negative scores are usable; every column is used at most once.
    Returns (gig row, volunteer column, score) triples, sorted by row then column.
    """
    if scores.ndim != 2 or scores.shape[0] != len(capacities):
        raise ValueError("scores must be (gigs, volunteers) with one capacity per gig")
    usable = np.isfinite(scores) & (scores >= 0.0)
    slots = np.minimum(np.maximum(capacities, 0), usable.sum(axis=1))
    rows = np.flatnonzero(slots > 0)
    columns = np.flatnonzero(usable[rows].any(axis=0))
    if rows.size == 0 or columns.size == 0:
        return []
    check_size(len(scores), columns.size, int(slots[rows].sum()))
    compact_usable = usable[np.ix_(rows, columns)]
    profit = np.where(compact_usable, scores[np.ix_(rows, columns)], 0.0)
    if strategy == "optimal":
        pairs = _optimal(profit, compact_usable, slots[rows])
    elif strategy == "greedy":
        pairs = _greedy(profit, compact_usable, slots[rows])
    else:
        raise ValueError(f"unknown strategy {strategy!r}")
    placed = [(int(rows[g]), int(columns[v]), float(profit[g, v])) for g, v in pairs]
    return sorted(placed)


def _optimal(
    profit: NDArray[np.float64], usable: NDArray[np.bool_], slots: NDArray[np.int64]
) -> list[tuple[int, int]]:
    # Unusable cells weigh 0 like "leave the slot empty", and usable ones are >= 0, so a
    # maximum full assignment minus its unusable cells is a maximum b-matching.
    slot_gig = np.repeat(np.arange(len(slots)), slots)
    slot_rows, columns = linear_sum_assignment(profit[slot_gig], maximize=True)
    gigs = slot_gig[slot_rows]
    keep = usable[gigs, columns]
    return list(zip(gigs[keep].tolist(), columns[keep].tolist(), strict=True))


def _greedy(
    profit: NDArray[np.float64], usable: NDArray[np.bool_], slots: NDArray[np.int64]
) -> list[tuple[int, int]]:
    n_volunteers = profit.shape[1]
    cells = np.flatnonzero(usable)
    # Best pair first; ties go to the lower gig row, then the lower volunteer column.
    cells = cells[np.argsort(-profit.ravel()[cells], kind="stable")]
    remaining = slots.copy()
    taken = np.zeros(n_volunteers, dtype=np.bool_)
    open_slots = int(remaining.sum())
    pairs: list[tuple[int, int]] = []
    for begin in range(0, cells.size, _GREEDY_BATCH):
        batch_gigs, batch_volunteers = np.divmod(cells[begin : begin + _GREEDY_BATCH], n_volunteers)
        # Most late pairs are dead (volunteer taken or gig full): drop them with numpy and
        # only walk the rest one by one, since each placement changes what follows.
        alive = (remaining[batch_gigs] > 0) & ~taken[batch_volunteers]
        for gig, volunteer in zip(
            batch_gigs[alive].tolist(), batch_volunteers[alive].tolist(), strict=True
        ):
            if remaining[gig] > 0 and not taken[volunteer]:
                remaining[gig] -= 1
                taken[volunteer] = True
                pairs.append((gig, volunteer))
                open_slots -= 1
        if open_slots == 0 or len(pairs) == n_volunteers:
            break
    return pairs


def assign(
    gigs: Sequence[GigProfile],
    pool: VolunteerPool,
    *,
    strategy: Strategy = "optimal",
    now: datetime,
) -> AssignmentResult:
    """Propose volunteers for the open slots of ``gigs``; nothing is booked."""
    if len({gig.id for gig in gigs}) != len(gigs):
        raise ValueError("gig ids must be unique")
    open_slots = np.array(
        [max(gig.spots_left, 0) if gig.open_for_signup(now) else 0 for gig in gigs],
        dtype=np.int64,
    )
    check_size(len(gigs), pool.size, int(np.minimum(open_slots, pool.size).sum()))
    scores = score_matrix(gigs, pool, now)
    placed = solve(scores, open_slots, strategy)
    assignments = [Assignment(gigs[g].id, pool.ids[v], round(score, 4)) for g, v, score in placed]
    filled = np.bincount(np.array([g for g, _, _ in placed], dtype=np.intp), minlength=len(gigs))
    unfilled = {
        gig.id: int(open_slots[i] - filled[i])
        for i, gig in enumerate(gigs)
        if open_slots[i] > filled[i]
    }
    return AssignmentResult(
        assignments=assignments,
        total_score=round(sum(score for _, _, score in placed), 4),
        unfilled=unfilled,
    )
