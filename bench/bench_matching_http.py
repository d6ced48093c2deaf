"""`GET /gigs/{id}/candidates?limit=20` end to end with 100,000 volunteers in the database.

Seeds 100,000 volunteers (Core bulk insert, the profiles of bench/bench_matching.py),
some confirmed sign-ups and one open one-off gig, starts a real uvicorn server (one worker) and times
sequential requests with httpx: the first one (cold: it builds the cached volunteer
pool) and then warm ones (median and p95). Then a volunteer registers, so the next
request rebuilds the pool (the cache's invalidation), and the in-process ranking time is
measured for comparison. On SQLite and on PostgreSQL.

Usage: .venv/bin/python bench/bench_matching_http.py [--volunteers N] [--requests N]
       [--skip-sqlite] [--skip-postgres] [--postgres postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert

from app.auth import hash_token
from app.db import Database
from app.matching import VolunteerPool, rank_volunteers
from app.migrate import upgrade_to_head
from app.models import Gig, Organization, Signup, Volunteer
from app.models.base import new_id
from app.services.matching_data import gig_profile, profiles_of, volunteer_rows
from bench.bench_matching import SEED, make_volunteer
from bench.http_load import ADMIN_TOKEN, running_server, scratch_postgres, seed_session

BATCH = 5_000
ASSIGNMENTS_PATH = "/api/v1/matching/assignments"


def _gig_row(
    organization_id: str, start: datetime, now: datetime, capacity: int
) -> dict[str, object]:
    return {"id": new_id("gig"), "organization_id": organization_id, "title": "Tuin opknappen",
            "description": "Onkruid wieden.", "category": "odd_jobs", "kind": "one_off",
            "starts_at": start, "ends_at": start + timedelta(hours=3), "signup_deadline": None,
            "address": "Oosterpoort", "postcode": "9724 AB", "area": "Oosterpoort",
            "lat": 53.2107, "lon": 6.5733, "online": False, "capacity": capacity,
            "skills": ["tuinieren", "klussen"], "languages": ["nl"], "accessible": True,
            "guidance_available": False, "repeatable": False, "status": "open", "source": "api",
            "confirmed_people": 0, "waitlist_count": 0, "sequence": 0, "signup_counter": 0,
            "search_text": "tuin opknappen", "created_at": now, "updated_at": now,
            "version": 1}  # fmt: skip


def seed(database_url: str, volunteers: int) -> str:
    """Volunteers, a few booked gigs with confirmed sign-ups, and the gig to rank for."""
    upgrade_to_head(database_url)
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    organization = {"id": new_id("org"), "name": "Bench", "kind": "volunteer_organization",
                    "created_at": now, "updated_at": now, "version": 1}  # fmt: skip
    target = _gig_row(str(organization["id"]), now + timedelta(days=7), now, 5)
    booked = [_gig_row(str(organization["id"]), now + timedelta(days=d, hours=h), now, 400)
              for d in range(1, 15) for h in (0, 6)]  # fmt: skip
    ids = [new_id("vol") for _ in range(volunteers)]
    rows = []
    for index, volunteer_id in enumerate(ids):
        profile = make_volunteer(rng, index)
        rows.append({"id": volunteer_id, "name": profile.name, "email": f"v{index}@bench.example",
                     "postcode": profile.postcode, "area": profile.area, "lat": profile.lat,
                     "lon": profile.lon, "skills": list(profile.skills),
                     "interests": list(profile.interests), "languages": list(profile.languages),
                     "availability": [{"weekday": d, "start": s, "end": e if e > s else "24:00"}
                                      for d, s, e in profile.availability],
                     "max_hours_per_month": profile.max_hours_per_month,
                     "needs_guidance": profile.needs_guidance,
                     "needs_accessible": profile.needs_accessible,
                     "access_token_hash": hash_token(f"bench-{uuid.uuid4().hex}"),
                     "consent_at": now, "created_at": now, "updated_at": now, "version": 1})  # fmt: skip
    signups = []
    for number, volunteer_id in enumerate(rng.sample(ids, min(len(ids), 20 * len(booked)))):
        gig = booked[number % len(booked)]
        gig["confirmed_people"] = int(gig["confirmed_people"]) + 1  # type: ignore[call-overload]
        signups.append({"id": new_id("sgn"), "gig_id": gig["id"], "volunteer_id": volunteer_id,
                        "size": 1, "status": "confirmed", "queue_number": number,
                        "created_at": now, "updated_at": now})  # fmt: skip
    with seed_session(database_url) as session, session.begin():
        session.execute(insert(Organization), [organization])
        session.execute(insert(Gig), [target, *booked])
        for start in range(0, len(rows), BATCH):
            session.execute(insert(Volunteer), rows[start : start + BATCH])
        session.execute(insert(Signup), signups)
    return str(target["id"])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def in_process(database_url: str, gig_id: str) -> None:
    """Pool build from the database and ranking, in this process (no HTTP)."""
    now = datetime.now(UTC)
    database = Database(database_url)

    async def load() -> tuple[list[Any], float]:
        started = time.perf_counter()
        async with database.read() as tx:
            rows, bookings = await volunteer_rows(tx, now=now)
        profiles = profiles_of(rows, bookings)
        loaded = time.perf_counter() - started
        await database.close()
        return profiles, loaded

    profiles, loaded = asyncio.run(load())
    started = time.perf_counter()
    pool = VolunteerPool.from_profiles(profiles)
    built = time.perf_counter() - started
    with seed_session(database_url) as session:
        gig = session.get(Gig, gig_id)
        assert gig is not None
        profile = gig_profile(gig)
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        rank_volunteers(profile, pool, now=now, limit=20)
        timings.append(time.perf_counter() - started)
    print(
        f"  in process: load {len(profiles):,} profiles {loaded:.2f} s, build pool {built:.2f} s, "
        f"rank top 20 median {statistics.median(timings) * 1000:.1f} ms"
    )


def measure(label: str, database_url: str, volunteers: int, requests: int) -> None:
    """Seed, serve, and time the candidates request cold, warm and after a registration."""
    started = time.perf_counter()
    gig_id = seed(database_url, volunteers)
    print(f"\n{label}: seeded {volunteers:,} volunteers in {time.perf_counter() - started:.1f} s")
    path = f"/api/v1/gigs/{gig_id}/candidates?limit=20"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running_server(database_url) as base, httpx.Client(base_url=base, timeout=120) as client:

        def timed() -> float:
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, response.text
            assert len(response.json()["items"]) == 20
            return elapsed * 1000

        cold = timed()
        warm = [timed() for _ in range(requests)]
        registered = client.post(
            "/api/v1/volunteers",
            json={"name": "Nieuw", "consent": True, "email": f"{uuid.uuid4().hex}@bench.example"},
        )
        assert registered.status_code == 201, registered.text
        rebuilt = timed()
        warm_again = [timed() for _ in range(10)]
    print(f"  GET {path.split('?')[0].replace(gig_id, '{id}')}?limit=20")
    print(f"  cold (builds the pool):      {cold:8.1f} ms")
    print(
        f"  warm, {requests} sequential:       median {statistics.median(warm):6.1f} ms, "
        f"p95 {_percentile(warm, 0.95):6.1f} ms, max {max(warm):6.1f} ms"
    )
    print(f"  after a registration:        {rebuilt:8.1f} ms (rebuild)")
    print(f"  warm again:                  median {statistics.median(warm_again):6.1f} ms")
    in_process(database_url, gig_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", args.volunteers, args.requests)
    if args.skip_postgres:
        return
    with scratch_postgres(args.postgres) as url:
        measure("PostgreSQL", url, args.volunteers, args.requests)


if __name__ == "__main__":
    main()
