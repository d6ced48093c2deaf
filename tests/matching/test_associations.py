from datetime import timedelta

from app.matching import AssociationProfile, rank_associations
from tests.matching.factories import NOW, make_gig

GROUP_GIG = {"kind": "group", "group_size_min": 4, "group_size_max": 8, "category": "odd_jobs"}


def association(association_id: str, **fields: object) -> AssociationProfile:
    return AssociationProfile(id=association_id, name=association_id.title(), **fields)  # type: ignore[arg-type]


def breakdown(**fields: object) -> dict[str, float]:
    matches = rank_associations(make_gig(**GROUP_GIG), [association("a", **fields)], now=NOW)
    assert len(matches) == 1
    return dict(matches[0].breakdown)


def test_category_preference() -> None:
    assert breakdown(preferred_categories=["odd_jobs", "care"])["category"] == 1.0
    assert breakdown(preferred_categories=["care"])["category"] == 0.0
    assert breakdown()["category"] == 0.8


def test_area_preference_is_accent_and_case_insensitive() -> None:
    assert breakdown(preferred_areas=["CENTRUM"])["area"] == 1.0
    assert breakdown(preferred_areas=["Oosterpoort"])["area"] == 0.0
    assert breakdown()["area"] == 0.8


def test_size_fit_against_group_bounds() -> None:
    assert breakdown(member_count=10)["size"] == 1.0
    assert breakdown(member_count=4)["size"] == 0.75  # (4/4 + 4/8) / 2
    assert breakdown(member_count=2)["size"] == 0.375
    assert breakdown(member_count=0)["size"] == 0.0  # ranked low, never excluded


def test_engagement_grows_with_past_hours() -> None:
    assert breakdown()["engagement"] == 0.0
    assert breakdown(past_engagement_hours=20.0)["engagement"] == 0.5


def test_ranking_order_and_exclusions() -> None:
    gig = make_gig(**GROUP_GIG)
    clash = (gig.starts_at - timedelta(hours=1), gig.starts_at + timedelta(minutes=1))
    associations = [
        association("small", member_count=2, preferred_categories=["care"]),
        association(
            "fit", member_count=30, preferred_categories=["odd_jobs"], past_engagement_hours=50
        ),
        association("busy", member_count=30, preferred_categories=["odd_jobs"], busy=[clash]),
        association("signed", member_count=30, signed_up_gig_ids={gig.id}),
        association("any", member_count=6),
    ]
    matches = rank_associations(gig, associations, now=NOW)
    assert [m.association_id for m in matches] == ["fit", "any", "small"]


def test_back_to_back_is_no_clash_for_associations() -> None:
    gig = make_gig(**GROUP_GIG)
    before = (gig.starts_at - timedelta(hours=2), gig.starts_at)
    assert rank_associations(gig, [association("a", busy=[before])], now=NOW) != []


def test_closed_gig_has_no_associations() -> None:
    gig = make_gig(**GROUP_GIG, spots_left=0)
    assert rank_associations(gig, [association("a")], now=NOW) == []


def test_association_reasons_in_both_languages() -> None:
    gig = make_gig(**GROUP_GIG)
    fit = association(
        "fit",
        member_count=30,
        preferred_categories=["odd_jobs"],
        preferred_areas=["Centrum"],
        past_engagement_hours=120,
    )
    assert rank_associations(gig, [fit], now=NOW)[0].reasons == [
        "heeft voorkeur voor klussen in en om het huis",
        "is actief in Centrum",
        "heeft 30 leden, genoeg voor deze groep",
        "heeft al 120 uur vrijwilligerswerk gedaan",
    ]
    assert rank_associations(gig, [fit], now=NOW, lang="en")[0].reasons == [
        "prefers odd jobs in and around the house",
        "is active in Centrum",
        "has 30 members, enough for this group",
        "has already volunteered 120 hours",
    ]
