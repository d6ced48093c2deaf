import random
from datetime import timedelta

import numpy as np
import pytest

from app.matching import (
    VolunteerPool,
    rank_gigs_for_volunteer,
    rank_volunteers,
    score_matrix,
)
from app.matching.profiles import CATEGORIES, VolunteerProfile
from app.matching.scoring import top_k
from tests.matching.factories import (
    NOW,
    make_gig,
    make_volunteer,
    north_of_centre,
    only_match,
    rank,
)

SKILLS = ["Tuinieren", "koken", "café", "Fietsen", "EHBO", "naaien"]


def random_volunteers(count: int, seed: int) -> list[VolunteerProfile]:
    rng = random.Random(seed)
    volunteers = []
    for i in range(count):
        has_coordinates = rng.random() < 0.7
        point = north_of_centre(rng.uniform(-8, 8))
        start = rng.randint(6, 20)
        volunteers.append(
            make_volunteer(
                f"v{i}",
                skills=rng.sample(SKILLS, rng.randint(0, 3)),
                interests=rng.sample(CATEGORIES, rng.randint(0, 2)),
                languages=rng.choice([["nl"], ["nl", "en"], ["en"], ["de", "nl"]]),
                lat=point[0] if has_coordinates else None,
                lon=point[1] if has_coordinates else None,
                postcode=rng.choice([None, "9711 AB", "9712 CD", "9724 EF"]),
                area=rng.choice([None, "Centrum", "Oosterpoort"]),
                availability=[(rng.randint(0, 6), f"{start:02d}:00", f"{start + 3:02d}:00")],
                hours_booked_this_month=rng.choice([0.0, 4.0, 12.0]),
                max_hours_per_month=rng.choice([None, 13.0]),
                needs_accessible=rng.random() < 0.1,
                needs_guidance=rng.random() < 0.1,
            )
        )
    return volunteers


def test_better_fit_ranks_higher() -> None:
    gig = make_gig(skills=["Tuinieren"], languages=["nl"])
    here = north_of_centre(0.5)
    best = make_volunteer(
        "best", skills=["tuinieren"], lat=here[0], lon=here[1], availability=[(5, "09:00", "13:00")]
    )
    middle = make_volunteer("middle", skills=["tuinieren"], postcode="9724 AB")
    worst = make_volunteer("worst", hours_booked_this_month=40.0)
    matches = rank(gig, worst, middle, best)
    assert [m.volunteer_id for m in matches] == ["best", "middle", "worst"]
    assert matches[0].score > matches[1].score > matches[2].score


def test_limit_and_ties_are_deterministic() -> None:
    volunteers = [make_volunteer(f"v{i}") for i in range(10)]
    matches = rank(make_gig(), *volunteers, limit=3)
    assert [m.volunteer_id for m in matches] == ["v0", "v1", "v2"]
    assert rank(make_gig(), *volunteers, limit=0) == []


@pytest.mark.parametrize("limit", [1, 7, 50, 500])
def test_top_k_equals_a_full_sort(limit: int) -> None:
    rng = np.random.default_rng(limit)
    scores = np.round(rng.random(300), 2)  # many ties
    scores[rng.random(300) < 0.3] = -np.inf
    finite = np.flatnonzero(np.isfinite(scores))
    expected = finite[np.lexsort((finite, -scores[finite]))][:limit]
    assert top_k(scores, limit).tolist() == expected.tolist()


def test_scores_in_a_large_pool_equal_scores_alone() -> None:
    volunteers = random_volunteers(300, seed=1)
    gig = make_gig(skills=["tuinieren", "Cafe"], languages=["nl", "en"], accessible=False)
    pool = VolunteerPool.from_profiles(volunteers)
    together = {m.volunteer_id: m for m in rank_volunteers(gig, pool, now=NOW, limit=1000)}
    assert 0 < len(together) < len(volunteers)
    for volunteer in volunteers[:80]:
        alone = rank(gig, volunteer)
        if volunteer.id in together:
            assert alone[0].breakdown == together[volunteer.id].breakdown
            assert alone[0].score == together[volunteer.id].score
        else:
            assert alone == []


def test_score_matrix_marks_exclusions_and_closed_gigs() -> None:
    volunteers = [make_volunteer("a"), make_volunteer("b", needs_accessible=True)]
    gigs = [
        make_gig(id="g1", accessible=False),
        make_gig(id="g2", status="draft"),
        make_gig(id="g3"),
    ]
    matrix = score_matrix(gigs, VolunteerPool.from_profiles(volunteers), NOW)
    assert matrix.shape == (3, 2)
    assert np.isfinite(matrix[0, 0])
    assert matrix[0, 1] == -np.inf
    assert np.all(matrix[1] == -np.inf)
    assert np.all((matrix[2] >= 0) & (matrix[2] <= 1))


# --- reasons ------------------------------------------------------------------------


def reasons_for(lang: str) -> list[str]:
    near = north_of_centre(1.2)
    volunteer = make_volunteer(
        skills=["TUINIEREN"],
        interests=["odd_jobs"],
        languages=["nl", "en"],
        lat=near[0],
        lon=near[1],
        availability=[(5, "09:00", "13:00")],
    )
    gig = make_gig(skills=["Tuinieren", "Koken"], languages=["en"])
    return only_match(gig, volunteer, lang=lang).reasons


def test_reasons_in_dutch() -> None:
    assert reasons_for("nl") == [
        "heeft ervaring met Tuinieren",
        "woont minder dan 2 km van de klus",
        "is zaterdagochtend beschikbaar",
        "is geïnteresseerd in klussen in en om het huis",
        "spreekt Engels",
        "heeft deze maand nog geen uren gemaakt",
    ]


def test_reasons_in_english() -> None:
    assert reasons_for("en") == [
        "has experience with Tuinieren",
        "lives less than 2 km from the task",
        "is available on Saturday morning",
        "is interested in odd jobs in and around the house",
        "speaks English",
        "has no hours booked this month yet",
    ]


def test_reasons_for_partial_availability_postcode_and_several_skills() -> None:
    volunteer = make_volunteer(
        skills=["koken", "tuinieren"],
        postcode="9711 XY",
        availability=[(5, "11:00", "14:00")],
        hours_booked_this_month=3.0,
    )
    gig = make_gig(skills=["Tuinieren", "Koken"], lat=None, lon=None)
    assert only_match(gig, volunteer).reasons == [
        "heeft ervaring met Tuinieren en Koken",
        "woont in hetzelfde postcodegebied (9711)",
        "is zaterdagochtend deels beschikbaar (50%)",
    ]
    assert only_match(gig, volunteer, lang="en").reasons[:3] == [
        "has experience with Tuinieren and Koken",
        "lives in the same postcode area (9711)",
        "is partly available on Saturday morning (50%)",
    ]


def test_volunteer_without_matches_gets_no_reasons() -> None:
    volunteer = make_volunteer(hours_booked_this_month=1.0)
    assert only_match(make_gig(lat=None, lon=None, postcode=None), volunteer).reasons == []


# --- gigs for a volunteer -----------------------------------------------------------


def test_gigs_for_a_volunteer_are_ranked_and_filtered() -> None:
    volunteer = make_volunteer(
        skills=["tuinieren"],
        availability=[(5, "09:00", "13:00")],
        busy=[(make_gig().starts_at + timedelta(days=1), make_gig().ends_at + timedelta(days=1))],
        signed_up_gig_ids={"signed"},
    )
    gigs = [
        make_gig(id="cooking", skills=["koken"]),
        make_gig(id="garden", skills=["Tuinieren"]),
        make_gig(id="full", skills=["Tuinieren"], spots_left=0),
        make_gig(id="signed", skills=["Tuinieren"]),
        make_gig(
            id="clash",
            starts_at=make_gig().starts_at + timedelta(days=1),
            ends_at=make_gig().ends_at + timedelta(days=1),
        ),
    ]
    matches = rank_gigs_for_volunteer(volunteer, gigs, now=NOW, limit=10)
    assert [m.gig_id for m in matches] == ["garden", "cooking"]
    assert matches[0].reasons[0] == "je hebt ervaring met Tuinieren"
    english = rank_gigs_for_volunteer(volunteer, gigs, now=NOW, limit=1, lang="en")
    assert [m.gig_id for m in english] == ["garden"]
    assert "you are available on Saturday morning" in english[0].reasons
