from datetime import timedelta

import pytest

from app.matching import rank_volunteers
from app.matching.pool import VolunteerPool
from tests.matching.factories import (
    NOW,
    is_excluded,
    local,
    make_gig,
    make_volunteer,
    rank,
)

GIG_START, GIG_END = local("2026-06-06 10:00"), local("2026-06-06 12:00")


def test_overlapping_confirmed_signup_excludes() -> None:
    volunteer = make_volunteer(
        busy=[(GIG_START + timedelta(hours=1), GIG_END + timedelta(hours=1))]
    )
    assert is_excluded(make_gig(), volunteer)


def test_signup_containing_the_gig_excludes() -> None:
    volunteer = make_volunteer(busy=[(GIG_START - timedelta(days=1), GIG_END + timedelta(days=1))])
    assert is_excluded(make_gig(), volunteer)


def test_back_to_back_signups_are_not_a_clash() -> None:
    volunteer = make_volunteer(
        busy=[(GIG_START - timedelta(hours=2), GIG_START), (GIG_END, GIG_END + timedelta(hours=2))]
    )
    assert not is_excluded(make_gig(), volunteer)


def test_only_the_clashing_volunteer_is_excluded() -> None:
    clashing = make_volunteer("busy", busy=[(GIG_START, GIG_END)])
    others = [
        make_volunteer(f"free{i}", busy=[(GIG_END, GIG_END + timedelta(hours=1))]) for i in range(3)
    ]
    ids = {m.volunteer_id for m in rank(make_gig(), clashing, *others)}
    assert ids == {"free0", "free1", "free2"}


def test_already_signed_up_excludes() -> None:
    assert is_excluded(make_gig(id="g7"), make_volunteer(signed_up_gig_ids={"g7"}))
    assert not is_excluded(make_gig(id="g7"), make_volunteer(signed_up_gig_ids={"g8"}))


def test_accessibility_need_excludes_a_gig_that_is_not_step_free() -> None:
    assert is_excluded(make_gig(accessible=False), make_volunteer(needs_accessible=True))
    assert not is_excluded(make_gig(accessible=True), make_volunteer(needs_accessible=True))
    assert not is_excluded(make_gig(accessible=False), make_volunteer())


def test_guidance_need_excludes_a_gig_without_guidance() -> None:
    assert is_excluded(make_gig(guidance_available=False), make_volunteer(needs_guidance=True))
    assert not is_excluded(make_gig(guidance_available=True), make_volunteer(needs_guidance=True))


def test_no_common_language_excludes() -> None:
    assert is_excluded(make_gig(languages=["en"]), make_volunteer())  # speaks Dutch only
    assert is_excluded(make_gig(languages=["EN"]), make_volunteer(languages=[]))
    assert not is_excluded(make_gig(languages=["En"]), make_volunteer(languages=["en"]))
    assert not is_excluded(make_gig(languages=[]), make_volunteer(languages=["de"]))


def test_monthly_hour_limit_excludes_when_the_gig_would_exceed_it() -> None:
    # The gig lasts 2 hours.
    limited = {"max_hours_per_month": 10.0}
    assert is_excluded(make_gig(), make_volunteer(hours_booked_this_month=8.5, **limited))
    assert not is_excluded(make_gig(), make_volunteer(hours_booked_this_month=8.0, **limited))
    assert not is_excluded(make_gig(), make_volunteer(hours_booked_this_month=500.0))


@pytest.mark.parametrize(
    "changes",
    [
        {"spots_left": 0},
        {"status": "draft"},
        {"status": "cancelled"},
        {"signup_deadline": NOW - timedelta(minutes=1)},
        {"signup_deadline": NOW},
        {"starts_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(hours=1)},
        {"kind": "group", "group_size_min": 3},
    ],
)
def test_gigs_not_open_for_individual_signup_have_no_candidates(changes: dict[str, object]) -> None:
    assert rank(make_gig(**changes), make_volunteer()) == []


def test_deadline_in_the_future_is_open() -> None:
    assert rank(make_gig(signup_deadline=NOW + timedelta(hours=1)), make_volunteer()) != []


def test_exclusion_never_merely_lowers_the_rank() -> None:
    ideal_but_busy = make_volunteer("busy", skills=["koken"], busy=[(GIG_START, GIG_END)])
    poor_match = make_volunteer("poor", hours_booked_this_month=100.0)
    pool = VolunteerPool.from_profiles([ideal_but_busy, poor_match])
    matches = rank_volunteers(make_gig(skills=["koken"]), pool, now=NOW, limit=10)
    assert [m.volunteer_id for m in matches] == ["poor"]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        make_gig(starts_at=GIG_START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="after"):
        make_gig(ends_at=GIG_START)
