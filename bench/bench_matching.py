"""Benchmark of app.matching: ranking 100k volunteers and assigning 5k to 1k gigs.

Run: .venv/bin/python bench/bench_matching.py   (fixed seed; prints figures, asserts nothing)
"""

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from app.matching import (
    GigProfile,
    VolunteerPool,
    VolunteerProfile,
    assign,
    rank_volunteers,
)
from app.matching.profiles import CATEGORIES

SEED = 20240607
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SKILLS = [
    "tuinieren",
    "koken",
    "Computerles",
    "fietsreparatie",
    "taalcoach",
    "boekhouding",
    "schilderen",
    "verhuizen",
    "administratie",
    "vervoer",
    "muziek",
    "sport",
    "café",
    "website bouwen",
    "fotografie",
    "naaien",
    "huiswerkbegeleiding",
    "bestuur",
    "zorg",
    "rijbewijs B",
    "EHBO",
    "Engels lesgeven",
    "social media",
    "klussen",
    "dierenverzorging",
]
AREAS = [
    "Centrum",
    "Oosterpoort",
    "Selwerd",
    "Vinkhuizen",
    "Beijum",
    "Lewenborg",
    "Paddepoel",
    "Helpman",
    "De Wijert",
    "Hoogkerk",
    "Zernike",
    "Korrewegwijk",
]
LANGUAGES = ["nl", "en", "de", "ar", "tr", "pl", "uk"]


def make_volunteer(rng: random.Random, index: int) -> VolunteerProfile:
    """One synthetic volunteer around Groningen."""
    windows = []
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(7, 20)
        windows.append(
            (rng.randint(0, 6), f"{start:02d}:00", f"{(start + rng.randint(2, 5)) % 24:02d}:00")
        )
    busy = []
    for _ in range(rng.randint(0, 2)):
        busy_from = NOW + timedelta(hours=rng.randint(2, 24 * 14))
        busy.append((busy_from, busy_from + timedelta(hours=rng.randint(1, 4))))
    has_coordinates = rng.random() < 0.7
    return VolunteerProfile(
        id=f"v{index}",
        name=f"Vrijwilliger {index}",
        skills=rng.sample(SKILLS, rng.randint(0, 4)),
        interests=rng.sample(CATEGORIES, rng.randint(0, 3)),
        languages=["nl", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))],
        lat=53.22 + rng.uniform(-0.06, 0.06) if has_coordinates else None,
        lon=6.57 + rng.uniform(-0.1, 0.1) if has_coordinates else None,
        area=rng.choice(AREAS) if rng.random() < 0.8 else None,
        postcode=f"97{rng.randint(11, 47)} AB" if rng.random() < 0.8 else None,
        availability=windows,
        max_hours_per_month=rng.choice([None, None, 8.0, 16.0, 40.0]),
        needs_guidance=rng.random() < 0.05,
        needs_accessible=rng.random() < 0.05,
        hours_booked_this_month=rng.choice([0.0, 0.0, 2.0, 4.0, 8.0, 12.0]),
        busy=busy,
        signed_up_gig_ids=frozenset(),
    )


def make_gig(rng: random.Random, index: int, capacity: int) -> GigProfile:
    """One synthetic open one-off gig in the next two weeks (many overlap)."""
    start = NOW + timedelta(hours=rng.randint(6, 24 * 14))
    return GigProfile(
        id=f"g{index}",
        category=rng.choice(CATEGORIES),
        kind="one_off",
        starts_at=start,
        ends_at=start + timedelta(hours=rng.randint(1, 4)),
        skills=rng.sample(SKILLS, rng.randint(0, 3)),
        languages=rng.choice([[], [], ["nl"], ["nl", "en"], ["en"]]),
        lat=53.22 + rng.uniform(-0.05, 0.05),
        lon=6.57 + rng.uniform(-0.08, 0.08),
        area=rng.choice(AREAS),
        postcode=f"97{rng.randint(11, 47)} CD",
        accessible=rng.random() < 0.6,
        guidance_available=rng.random() < 0.5,
        capacity=capacity,
        spots_left=capacity,
    )


def split_capacity(rng: random.Random, n_gigs: int, total: int) -> list[int]:
    """n_gigs capacities of at least 1 summing to total."""
    capacities = [1] * n_gigs
    for _ in range(total - n_gigs):
        capacities[rng.randrange(n_gigs)] += 1
    return capacities


def main() -> None:
    """Print the figures."""
    rng = random.Random(SEED)
    volunteers = [make_volunteer(rng, i) for i in range(100_000)]
    started = time.perf_counter()
    pool = VolunteerPool.from_profiles(volunteers)
    print(f"pool build, 100,000 volunteers: {time.perf_counter() - started:.3f} s")

    gig = make_gig(rng, 0, 3)
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        matches = rank_volunteers(gig, pool, now=NOW, limit=20)
        timings.append(time.perf_counter() - started)
    print(
        f"rank 100,000 volunteers for one gig (top 20 with reasons): median "
        f"{statistics.median(timings) * 1000:.1f} ms, min {min(timings) * 1000:.1f} ms "
        f"over {len(timings)} runs; best score {matches[0].score}"
    )
    print(f"  e.g. {matches[0].volunteer_id}: {matches[0].breakdown} {matches[0].reasons}")

    small_pool = VolunteerPool.from_profiles(volunteers[:5_000])
    capacities = split_capacity(rng, 1_000, 3_000)
    gigs = [make_gig(rng, i, capacities[i]) for i in range(1_000)]
    results = {}
    for strategy in ("greedy", "optimal"):
        started = time.perf_counter()
        result = assign(gigs, small_pool, strategy=strategy, now=NOW)
        elapsed = time.perf_counter() - started
        results[strategy] = result
        print(
            f"assign 5,000 volunteers to 1,000 gigs (3,000 slots), {strategy}: {elapsed:.2f} s, "
            f"total score {result.total_score:.2f}, placed {len(result.assignments)}, "
            f"unfilled {sum(result.unfilled.values())}"
        )
    gain = results["optimal"].total_score / results["greedy"].total_score - 1.0
    print(f"optimal beats greedy by {gain * 100:.2f}% of total score")


if __name__ == "__main__":
    main()
