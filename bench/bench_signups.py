"""Sign-ups per second with 32 concurrent clients, and overbooking checked afterwards.

(a) one gig of capacity 10,000 receiving 11,000 sign-ups; (b) 1,000 gigs of capacity 5
receiving 6,000 sign-ups spread over them. On SQLite and on PostgreSQL. Every sign-up
is a real HTTP request with a different volunteer's own token. At the end the
confirmed people per gig are counted against the capacity: they must be equal.

Usage: .venv/bin/python bench/bench_signups.py [--workers N] [--skip-postgres] [--scale F]
The load generator (`http_load.run_script`: 32 keep-alive connections, preformatted
requests) is pinned to the last CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from app.auth import VOLUNTEER_TOKEN_PREFIX, hash_token
from app.migrate import upgrade_to_head
from app.models import Gig, Organization, Signup, Volunteer
from app.models.base import new_id
from bench.http_load import Job, run_script, running_server, scratch_postgres, seed_session

CONCURRENCY = 32


def seed(
    database_url: str, volunteers: int, big_capacity: int, small_gigs: int
) -> tuple[list[str], list[str], str, list[str]]:
    """Volunteers with known tokens, one big gig and many small ones."""
    upgrade_to_head(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = [
        f"{VOLUNTEER_TOKEN_PREFIX}bench{index:08d}{uuid.uuid4().hex}" for index in range(volunteers)
    ]
    ids = [new_id("vol") for _ in range(volunteers)]
    organization = {"id": new_id("org"), "name": "Bench", "kind": "volunteer_organization",
                    "created_at": now, "updated_at": now, "version": 1}  # fmt: skip

    def gig(capacity: int, start: datetime) -> dict[str, object]:
        return {"id": new_id("gig"), "organization_id": organization["id"], "title": "Bench gig",
                "description": None, "category": "other", "kind": "one_off", "starts_at": start,
                "ends_at": start + timedelta(hours=2), "signup_deadline": None, "online": False,
                "capacity": capacity, "skills": [], "languages": [], "accessible": False,
                "guidance_available": False, "repeatable": False, "status": "open", "source": "api",
                "confirmed_people": 0, "waitlist_count": 0, "sequence": 0, "signup_counter": 0,
                "search_text": "bench gig", "created_at": now, "updated_at": now, "version": 1}  # fmt: skip

    big = gig(big_capacity, now + timedelta(days=10))
    small = [gig(5, now + timedelta(days=20)) for _ in range(small_gigs)]
    with seed_session(database_url) as session, session.begin():
        session.execute(insert(Organization), [organization])
        session.execute(insert(Gig), [big, *small])
        rows = [{"id": volunteer_id, "name": f"V{index}", "email": f"v{index}@bench.example",
                 "skills": [], "interests": [], "languages": ["nl"], "availability": [],
                 "needs_guidance": False, "needs_accessible": False,
                 "access_token_hash": hash_token(token), "consent_at": now, "created_at": now,
                 "updated_at": now, "version": 1}
                for index, (volunteer_id, token) in enumerate(zip(ids, tokens, strict=True))]  # fmt: skip
        for start in range(0, len(rows), 5000):
            session.execute(insert(Volunteer), rows[start : start + 5000])
    return ids, tokens, str(big["id"]), [str(g["id"]) for g in small]


def _confirmed_against_capacity(database_url: str, gig_ids: list[str]) -> tuple[int, int, int]:
    with seed_session(database_url) as session:
        confirmed = session.scalar(
            select(func.coalesce(func.sum(Signup.size), 0)).where(
                Signup.gig_id.in_(gig_ids), Signup.status == "confirmed"
            )
        )
        capacity = session.scalar(select(func.sum(Gig.capacity)).where(Gig.id.in_(gig_ids)))
        overbooked = session.scalar(
            select(func.count())
            .select_from(Gig)
            .where(Gig.id.in_(gig_ids), Gig.confirmed_people > Gig.capacity)
        )
    return int(confirmed or 0), int(capacity or 0), int(overbooked or 0)


def scenario(
    label: str, base: str, database_url: str, jobs: list[tuple[str, str, str]], gig_ids: list[str]
) -> float:
    """Run one load, print its figures and return its sign-ups per second."""
    script = [
        Job(
            "POST",
            f"/api/v1/gigs/{gig_id}/signups",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            json.dumps({"volunteer_id": volunteer_id}).encode(),
        )
        for volunteer_id, token, gig_id in jobs
    ]
    result = run_script(base, script, connections=CONCURRENCY)
    elapsed, latencies, statuses = result.seconds, result.latencies, result.statuses
    confirmed, capacity, overbooked = _confirmed_against_capacity(database_url, gig_ids)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"  {label:<36} {len(jobs) / elapsed:>8.0f} sign-ups/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
        f"statuses {dict(sorted(statuses.items()))}  confirmed {confirmed}/{capacity} capacity  "
        f"overbooked gigs: {overbooked}"
    )
    assert confirmed == capacity, "confirmed must equal capacity once the gigs are oversubscribed"
    assert overbooked == 0
    return len(jobs) / elapsed


def measure(label: str, database_url: str, workers: int, scale: float) -> None:
    """Seed, serve and run both scenarios."""
    big_capacity, small_gigs = int(10_000 * scale), int(1_000 * scale)
    ids, tokens, big, small = seed(database_url, int(11_000 * scale), big_capacity, small_gigs)
    print(f"\n{label} ({workers} worker{'s' if workers > 1 else ''}):")
    with running_server(database_url, workers=workers) as base:
        one_gig = [(ids[i], tokens[i], big) for i in range(int(11_000 * scale))]
        scenario(f"(a) 1 gig, capacity {big_capacity}", base, database_url, one_gig, [big])
        spread = [(ids[i], tokens[i], small[i % small_gigs]) for i in range(int(6_000 * scale))]
        scenario(f"(b) {small_gigs} gigs, capacity 5", base, database_url, spread, small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {(os.cpu_count() or 1) - 1})  # the load generator's CPU
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", args.workers, args.scale)
    if args.skip_postgres:
        return
    with scratch_postgres(args.postgres) as url:
        measure("PostgreSQL", url, args.workers, args.scale)


if __name__ == "__main__":
    main()
