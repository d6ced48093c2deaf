import itertools
import random
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from app.matching import (
    MAX_ASSIGNMENT_GIGS,
    MAX_ASSIGNMENT_VOLUNTEERS,
    ProblemTooLarge,
    VolunteerPool,
    assign,
)
from app.matching import assignment as assignment_module
from app.matching.assignment import check_size, solve
from tests.matching.factories import NOW, local, make_gig, make_volunteer


def brute_force(scores: NDArray[np.float64], capacities: list[int]) -> float:
    """Best total by trying every gig (or none) for every volunteer."""
    n_gigs, n_volunteers = scores.shape
    best = 0.0
    for choice in itertools.product(range(-1, n_gigs), repeat=n_volunteers):
        used = [0] * n_gigs
        total = 0.0
        feasible = True
        for volunteer, gig in enumerate(choice):
            if gig < 0:
                continue
            used[gig] += 1
            if used[gig] > capacities[gig] or not np.isfinite(scores[gig, volunteer]):
                feasible = False
                break
            total += float(scores[gig, volunteer])
        if feasible:
            best = max(best, total)
    return best


def assert_valid(
    placed: list[tuple[int, int, float]], scores: NDArray[np.float64], capacities: list[int]
) -> None:
    volunteers = [v for _, v, _ in placed]
    assert len(volunteers) == len(set(volunteers)), "a volunteer was placed twice"
    for gig, count in zip(*np.unique([g for g, _, _ in placed], return_counts=True), strict=True):
        assert count <= capacities[gig]
    for gig, volunteer, score in placed:
        assert np.isfinite(scores[gig, volunteer])
        assert score == scores[gig, volunteer]


def total(placed: list[tuple[int, int, float]]) -> float:
    return sum(score for _, _, score in placed)


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[NDArray[np.float64], list[int]]:
    n_gigs = draw(st.integers(1, 3))
    n_volunteers = draw(st.integers(1, 5))
    cells = draw(
        st.lists(
            st.one_of(st.just(-np.inf), st.floats(0.0, 1.0)),
            min_size=n_gigs * n_volunteers,
            max_size=n_gigs * n_volunteers,
        )
    )
    capacities = draw(st.lists(st.integers(0, 3), min_size=n_gigs, max_size=n_gigs))
    return np.array(cells, dtype=np.float64).reshape(n_gigs, n_volunteers), capacities


@settings(max_examples=300, deadline=None)
@given(small_problems())
def test_optimal_equals_brute_force_and_beats_greedy(
    problem: tuple[NDArray[np.float64], list[int]],
) -> None:
    scores, capacities = problem
    optimal = solve(scores, np.array(capacities, dtype=np.int64), "optimal")
    greedy = solve(scores, np.array(capacities, dtype=np.int64), "greedy")
    assert_valid(optimal, scores, capacities)
    assert_valid(greedy, scores, capacities)
    assert total(optimal) == pytest.approx(brute_force(scores, capacities), abs=1e-9)
    assert total(optimal) >= total(greedy) - 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_optimal_never_below_greedy_on_random_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_gigs, n_volunteers = rng.integers(5, 40), rng.integers(10, 120)
    scores = rng.random((n_gigs, n_volunteers)) ** rng.uniform(0.3, 3)
    scores[rng.random(scores.shape) < rng.uniform(0, 0.8)] = -np.inf
    capacities = rng.integers(0, 6, n_gigs)
    optimal = solve(scores, capacities, "optimal")
    greedy = solve(scores, capacities, "greedy")
    assert_valid(optimal, scores, capacities.tolist())
    assert_valid(greedy, scores, capacities.tolist())
    assert total(optimal) >= total(greedy) - 1e-9


def test_greedy_takes_the_best_pair_first_where_optimal_does_not() -> None:
    scores = np.array([[0.9, 0.8], [0.85, -np.inf]])
    capacities = np.array([1, 1])
    assert solve(scores, capacities, "greedy") == [(0, 0, 0.9)]
    assert solve(scores, capacities, "optimal") == [(0, 1, 0.8), (1, 0, 0.85)]


def test_unknown_strategy_and_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="strategy"):
        solve(np.zeros((1, 1)), np.array([1]), "best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="capacity"):
        solve(np.zeros((2, 1)), np.array([1]), "optimal")


@pytest.mark.parametrize("strategy", ["optimal", "greedy"])
def test_assign_respects_capacity_overlap_and_exclusions(strategy: str) -> None:
    rng = random.Random(7)
    saturday = local("2026-06-06 10:00")
    gigs = [
        make_gig(
            id=f"g{i}",
            starts_at=saturday + timedelta(hours=rng.randint(0, 3)),
            ends_at=saturday + timedelta(hours=rng.randint(4, 6)),  # all overlap
            spots_left=rng.randint(1, 3),
            accessible=i % 2 == 0,
        )
        for i in range(6)
    ]
    gigs.append(make_gig(id="closed", status="cancelled", spots_left=5))
    volunteers = [
        make_volunteer(
            f"v{i}", needs_accessible=i % 3 == 0, skills=rng.sample(["koken", "tuin"], 1)
        )
        for i in range(9)
    ]
    pool = VolunteerPool.from_profiles(volunteers)
    result = assign(gigs, pool, strategy=strategy, now=NOW)  # type: ignore[arg-type]
    by_gig = {gig.id: gig for gig in gigs}
    placed_volunteers = [a.volunteer_id for a in result.assignments]
    assert len(placed_volunteers) == len(set(placed_volunteers))
    for gig in gigs:
        count = sum(a.gig_id == gig.id for a in result.assignments)
        assert count <= max(gig.spots_left, 0)
        expected_unfilled = gig.spots_left - count if gig.id != "closed" else 0
        assert result.unfilled.get(gig.id, 0) == expected_unfilled
    for placement in result.assignments:
        needs = volunteers[int(placement.volunteer_id[1:])].needs_accessible
        assert by_gig[placement.gig_id].accessible or not needs
    assert result.total_score == pytest.approx(sum(a.score for a in result.assignments), abs=1e-3)
    assert len(result.assignments) == 9  # 6 accessible-free volunteers + 3 in step-free gigs


def test_assign_optimal_beats_greedy_with_profiles() -> None:
    gigs = [make_gig(id="garden", skills=["tuin"], spots_left=1), make_gig(id="any", spots_left=1)]
    volunteers = [
        make_volunteer("both", skills=["tuin"]),
        make_volunteer("plain", hours_booked_this_month=0.0),
    ]
    pool = VolunteerPool.from_profiles(volunteers)
    optimal = assign(gigs, pool, strategy="optimal", now=NOW)
    greedy = assign(gigs, pool, strategy="greedy", now=NOW)
    assert optimal.total_score >= greedy.total_score
    assert {(a.gig_id, a.volunteer_id) for a in optimal.assignments} == {
        ("garden", "both"),
        ("any", "plain"),
    }


def test_size_limits_raise_problem_too_large() -> None:
    with pytest.raises(ProblemTooLarge):
        check_size(MAX_ASSIGNMENT_GIGS + 1, 10, 10)
    with pytest.raises(ProblemTooLarge):
        check_size(10, MAX_ASSIGNMENT_VOLUNTEERS + 1, 10)
    with pytest.raises(ValueError, match="cells"):
        check_size(10, 10_000, 3_000)
    check_size(1_000, 5_000, 3_000)


def test_assign_checks_limits_before_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assignment_module, "MAX_ASSIGNMENT_GIGS", 1)
    pool = VolunteerPool.from_profiles([make_volunteer()])
    with pytest.raises(ProblemTooLarge, match="gigs"):
        assign([make_gig(id="a"), make_gig(id="b")], pool, now=NOW)


def test_duplicate_gig_ids_are_refused() -> None:
    pool = VolunteerPool.from_profiles([make_volunteer()])
    with pytest.raises(ValueError, match="unique"):
        assign([make_gig(), make_gig()], pool, now=NOW)


def test_empty_problem() -> None:
    pool = VolunteerPool.from_profiles([])
    result = assign([make_gig()], pool, now=NOW)
    assert result.assignments == []
    assert result.unfilled == {"g1": 2}
