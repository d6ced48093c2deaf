from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from app.matching import VOLUNTEER_WEIGHTS
from tests.matching.factories import (
    local,
    make_gig,
    make_volunteer,
    north_of_centre,
    only_match,
)


def factor(name: str, gig_overrides: Mapping[str, object], **volunteer: object) -> float:
    return only_match(make_gig(**gig_overrides), make_volunteer(**volunteer)).breakdown[name]


# --- skills -------------------------------------------------------------------------


def test_skills_are_the_covered_share_of_the_gigs_skills() -> None:
    gig = {"skills": ["Tuinieren", "Koken"]}
    assert factor("skills", gig, skills=["tuinieren"]) == 0.5
    assert factor("skills", gig, skills=["tuinieren", "koken", "zingen"]) == 1.0
    assert factor("skills", gig, skills=["zingen"]) == 0.0
    assert factor("skills", gig) == 0.0


def test_skills_ignore_case_accents_and_spacing() -> None:
    gig = {"skills": ["Café  beheer", "Naïeve Kunst"]}
    assert factor("skills", gig, skills=["CAFE BEHEER", " naieve kunst "]) == 1.0
    assert factor("skills", {"skills": ["cafe"]}, skills=["Café"]) == 1.0


def test_gig_without_skills_gives_full_skill_factor() -> None:
    assert factor("skills", {"skills": []}, skills=["koken"]) == 1.0


def test_duplicate_gig_skills_count_once() -> None:
    assert factor("skills", {"skills": ["Koken", "koken", "Tuin"]}, skills=["KOKEN"]) == 0.5


# --- interests ----------------------------------------------------------------------


def test_interests_match_the_gig_category() -> None:
    assert factor("interests", {}, interests=["odd_jobs", "care"]) == 1.0
    assert factor("interests", {}, interests=["care"]) == 0.0
    assert factor("interests", {}) == 0.5


# --- distance -----------------------------------------------------------------------


def test_distance_factor_is_that_of_the_great_circle_band() -> None:
    # Away from the band edges: homes are rounded to a grid of about a kilometre first.
    expected = {0.3: 0.8, 1.2: 0.8, 2.8: 0.5, 4.2: 0.5, 5.8: 0.2, 9.2: 0.2, 10.8: 0.0, 40: 0.0}
    for km, band_factor in expected.items():
        lat, lon = north_of_centre(km)
        assert factor("distance", {}, lat=lat, lon=lon) == band_factor, km


def test_distance_falls_back_to_postcode_then_area() -> None:
    assert factor("distance", {}, postcode="9711 CD") == 0.8
    assert factor("distance", {}, postcode="9712 CD", area="centrum") == 0.6
    assert factor("distance", {}, postcode="9724 AB", area="Oosterpoort") == 0.3
    assert factor("distance", {}) == 0.3


def test_coordinates_win_over_postcode() -> None:
    far = north_of_centre(30.0)
    assert factor("distance", {}, lat=far[0], lon=far[1], postcode="9711 AB") < 0.01


def test_gig_without_location_is_neutral() -> None:
    no_place = {"lat": None, "lon": None, "postcode": None, "area": None}
    assert factor("distance", no_place, postcode="9711 AB") == 0.5


# --- availability -------------------------------------------------------------------


def test_availability_is_the_covered_share_of_the_gig() -> None:
    # The default gig is Saturday 10:00-12:00 in Groningen.
    assert factor("availability", {}, availability=[(5, "09:00", "13:00")]) == 1.0
    assert factor("availability", {}, availability=[(5, "11:00", "13:00")]) == 0.5
    assert factor("availability", {}, availability=[(6, "09:00", "13:00")]) == 0.0
    assert factor("availability", {}) == 0.5


def test_availability_uses_amsterdam_time_not_utc() -> None:
    # 10:00-12:00 local is 08:00-10:00 UTC in summer: a UTC reading would give 0.
    assert factor("availability", {}, availability=[(5, "10:00", "12:00")]) == 1.0
    assert factor("availability", {}, availability=[(5, "08:00", "10:00")]) == 0.0


def test_availability_for_a_gig_across_midnight() -> None:
    gig = {"starts_at": local("2026-06-05 23:00"), "ends_at": local("2026-06-06 01:00")}
    assert factor("availability", gig, availability=[(4, "22:00", "00:30")]) == 0.75
    assert factor("availability", gig, availability=[(4, "23:00", "24:00")]) == 0.5
    assert factor("availability", gig, availability=[(5, "00:00", "01:00")]) == 0.5
    assert factor("availability", gig, availability=[(5, "23:00", "24:00")]) == 0.0


def test_availability_on_the_spring_dst_night() -> None:
    # Last Sunday of March 2026, 01:00-04:00 UTC = 03:00-06:00 CEST (clocks went forward).
    gig = {
        "starts_at": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 3, 29, 4, 0, tzinfo=UTC),
        "signup_deadline": None,
    }
    now = {"now": datetime(2026, 3, 1, tzinfo=UTC)}
    volunteer = make_volunteer(availability=[(6, "03:00", "06:00")])
    assert only_match(make_gig(**gig), volunteer, **now).breakdown["availability"] == 1.0
    shifted = make_volunteer(availability=[(6, "02:00", "05:00")])
    assert only_match(make_gig(**gig), shifted, **now).breakdown["availability"] == 0.667


# --- languages and fairness ---------------------------------------------------------


def test_languages_are_the_spoken_share_of_the_gigs_languages() -> None:
    gig = {"languages": ["nl", "en"]}
    assert factor("languages", gig) == 0.5  # default: Dutch
    assert factor("languages", gig, languages=["EN", "nl"]) == 1.0
    assert factor("languages", {"languages": []}, languages=["de"]) == 1.0


def test_fewer_hours_this_month_is_fairer() -> None:
    assert factor("fairness", {}) == 1.0
    assert factor("fairness", {}, hours_booked_this_month=8.0) == 0.5
    assert factor("fairness", {}, hours_booked_this_month=24.0) == 0.25


def test_score_is_the_weighted_mean_of_the_breakdown() -> None:
    near = north_of_centre(2.0)
    match = only_match(
        make_gig(skills=["koken", "tuin"], languages=["nl"]),
        make_volunteer(
            skills=["koken"],
            interests=["care"],
            lat=near[0],
            lon=near[1],
            availability=[(5, "11:00", "12:00")],
            hours_booked_this_month=4.0,
        ),
    )
    expected = sum(VOLUNTEER_WEIGHTS[k] * v for k, v in match.breakdown.items()) / sum(
        VOLUNTEER_WEIGHTS.values()
    )
    assert set(match.breakdown) == set(VOLUNTEER_WEIGHTS)
    assert match.score == pytest.approx(expected, abs=1e-3)
    assert 0.0 < match.score < 1.0
