import random

import numpy as np
import pytest

from app.matching import VolunteerPool
from app.matching.pool import TagIndex
from app.matching.profiles import AvailabilityWindow, GigProfile, normalise_tag, postcode_digits
from app.matching.timeslots import SLOTS_PER_WEEK, availability_mask
from tests.matching.factories import NOW, make_gig, make_volunteer


def random_windows(rng: random.Random) -> list[AvailabilityWindow]:
    windows: list[AvailabilityWindow] = []
    for _ in range(rng.randint(0, 3)):
        start = rng.randrange(0, 24 * 60, 15)
        end = rng.randrange(0, 24 * 60, 15)
        windows.append(
            (
                rng.randint(0, 6),
                f"{start // 60:02d}:{start % 60:02d}",
                f"{end // 60:02d}:{end % 60:02d}",
            )
        )
    return windows


def test_packed_availability_matches_the_plain_mask_across_chunks() -> None:
    rng = random.Random(3)
    windows = [random_windows(rng) for _ in range(20_000)]  # more than one build chunk
    pool = VolunteerPool.from_profiles(
        [make_volunteer(f"v{i}", availability=w) for i, w in enumerate(windows)]
    )
    for row in [0, 1, 16_383, 16_384, 16_385, 19_999, *rng.sample(range(20_000), 40)]:
        unpacked = np.array([pool.availability_bit(s)[row] for s in range(SLOTS_PER_WEEK)])
        assert np.array_equal(unpacked, availability_mask(windows[row]))
        assert pool.availability_known[row] == bool(windows[row])


def test_tag_index_collapses_case_accents_and_duplicates() -> None:
    index = TagIndex.build([["Koken", "koken", "Café"], [], ["CAFE"], ["tuin"]])
    assert index.members("koken").tolist() == [0]
    assert index.members("cafe").tolist() == [0, 2]
    assert index.members("onbekend").tolist() == []


def test_pool_columns() -> None:
    pool = VolunteerPool.from_profiles(
        [
            make_volunteer(
                "a",
                lat=53.2,
                lon=6.5,
                area="Oosterpoort",
                postcode="9724 AB",
                max_hours_per_month=10.0,
            ),
            make_volunteer("b", interests=["care", "board", "unknown"], languages=[]),
        ]
    )
    assert pool.ids == ("a", "b")
    assert np.isnan(pool.lat[1])
    assert pool.postcodes.tolist() == [9724, 0]
    assert pool.area_code("oosterpoort") == pool.area_codes[0] >= 0
    assert pool.area_codes[1] == -1
    assert pool.max_hours.tolist() == [10.0, float("inf")]
    assert pool.interests[1] == (1 << 0) | (1 << 10)
    assert pool.languages.members("nl").tolist() == [0, 1]


def test_duplicate_volunteer_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        VolunteerPool.from_profiles([make_volunteer("a"), make_volunteer("a")])


def test_normalise_tag() -> None:
    assert normalise_tag("  Café   Beheer ") == "cafe beheer"
    assert normalise_tag("ÉÉN") == normalise_tag("een")
    assert normalise_tag("Straße") == "strasse"


@pytest.mark.parametrize(
    ("postcode", "digits"),
    [("9711 AB", 9711), ("9711AB", 9711), (" 9724", 9724), ("AB", 0), (None, 0)],
)
def test_postcode_digits(postcode: str | None, digits: int) -> None:
    assert postcode_digits(postcode) == digits


def test_gig_profile_validates_category() -> None:
    with pytest.raises(ValueError, match="category"):
        make_gig(category="gardening")


def test_open_for_signup() -> None:
    gig: GigProfile = make_gig()
    assert gig.open_for_signup(NOW)
    assert not gig.open_for_signup(gig.starts_at)
    with pytest.raises(ValueError, match="aware"):
        gig.open_for_signup(NOW.replace(tzinfo=None))
