"""GET /api/v1/gigs?limit=50 with 100,000 gigs, against /healthz on the same server.

Three listings: (a) no filter, (b) category + has_spots, (c) near + radius_km=5; on
SQLite and on PostgreSQL. Prints req/s, p50/p99 and the ratio to /healthz, and the
query plan of each listing on each database. Each database is measured twice: with the
list cache off (every request runs the list query) and on (the default; nothing is
committed during the run, so after the first request each list is answered from the
cache after one data-version check).

Usage: .venv/bin/python bench/bench_gigs.py [--seconds N] [--gigs N] [--skip-postgres|--skip-sqlite]
PostgreSQL: a scratch database is created on --postgres (default
postgresql://postgres@127.0.0.1:5432) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from app.db.connections import migration_engine
from app.migrate import upgrade_to_head
from app.models import Gig, GigSkill, Organization
from app.models.base import new_id
from app.schemas.common import fold_text
from app.services.gig_list_sql import GigFilters
from app.services.gig_listing import explain
from bench.http_load import print_table, run_wrk, running_server, scratch_postgres, seed_session

CATEGORIES = ("board", "information_advice", "visiting", "training", "advocacy", "office", "odd_jobs",
              "personal_advice", "transport", "fundraising", "care", "other")  # fmt: skip
LISTINGS = {
    "(a) no filter": ("/api/v1/gigs?limit=50", GigFilters()),
    "(b) category + has_spots": (
        "/api/v1/gigs?limit=50&category=odd_jobs&has_spots=true",
        GigFilters(categories=["odd_jobs"], has_spots=True),
    ),
    "(c) near + radius_km=5": (
        "/api/v1/gigs?limit=50&near=53.2194,6.5665&radius_km=5",
        GigFilters(near=(53.2194, 6.5665), radius_km=5),
    ),
}


def seed(database_url: str, count: int) -> float:
    """Migrate and insert ``count`` gigs in bulk; returns the seconds it took."""
    started = datetime.now(UTC)
    upgrade_to_head(database_url)
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    organizations = [{"id": new_id("org"), "name": f"Org {i}", "kind": "volunteer_organization",
                      "created_at": now, "updated_at": now, "version": 1} for i in range(50)]  # fmt: skip
    with seed_session(database_url) as session, session.begin():
        session.execute(insert(Organization), organizations)
        batch: list[dict[str, object]] = []
        skills: list[dict[str, object]] = []
        for index in range(count):
            start = now + timedelta(minutes=rng.randrange(-30 * 24 * 60, 365 * 24 * 60))
            title = f"Klus {index} in de wijk"
            gig_id = new_id("gig")
            capacity = rng.choice((1, 2, 4, 8))
            batch.append({
                "id": gig_id, "organization_id": organizations[index % 50]["id"], "title": title,
                "description": "Helpen in de buurt.", "category": rng.choice(CATEGORIES),
                "kind": "one_off", "starts_at": start, "ends_at": start + timedelta(hours=2),
                "signup_deadline": None, "address": None, "postcode": None, "area": "Groningen",
                # Spread over the north of the Netherlands, so a 5 km radius selects a few %.
                "lat": 53.2194 + rng.uniform(-0.6, 0.6), "lon": 6.5665 + rng.uniform(-1.0, 1.0),
                "online": False, "capacity": capacity, "group_size_min": None, "group_size_max": None,
                "skills": ["koken"], "languages": ["nl"], "accessible": rng.random() < 0.5,
                "guidance_available": False, "repeatable": False,
                "status": rng.choices(("open", "cancelled", "completed", "draft"), (85, 5, 5, 5))[0],
                "source": "api", "confirmed_people": rng.randrange(0, capacity + 1),
                "waitlist_count": 0, "sequence": 0, "search_text": fold_text(title),
                "created_at": now, "updated_at": now, "version": 1,
            })  # fmt: skip
            skills.append({"gig_id": gig_id, "skill": "koken"})
            if len(batch) == 5000:
                session.execute(insert(Gig), batch)
                session.execute(insert(GigSkill), skills)
                batch, skills = [], []
        if batch:
            session.execute(insert(Gig), batch)
            session.execute(insert(GigSkill), skills)
    with migration_engine(database_url).connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return (datetime.now(UTC) - started).total_seconds()


def print_plans(database_url: str) -> None:
    """The query plan of each listing."""
    with migration_engine(database_url).connect() as connection:
        for name, (_, filters) in LISTINGS.items():
            print(f"  plan {name}:")
            for line in explain(connection, filters=filters):
                print(f"    {line}")


def measure(label: str, database_url: str, count: int, seconds: int) -> None:
    """Seed, serve, load each listing, print the table and the plans."""
    took = seed(database_url, count)
    print(f"\n{label}: {count} gigs seeded in {took:.1f} s")
    for heading, cache_mb in (
        ("each list made by its queries (KLUSMAKELAAR_LIST_CACHE_MB=0)", "0"),
        ("with the list cache (the default; no commit during the run)", "32"),
    ):
        env = {"KLUSMAKELAAR_LIST_CACHE_MB": cache_mb}
        with running_server(database_url, env=env) as base:
            run_wrk(base, "/api/v1/gigs?limit=50", seconds=2)  # warm-up
            baseline = run_wrk(base, "/healthz", seconds=seconds)
            results = [run_wrk(base, path, seconds=seconds) for path, _ in LISTINGS.values()]
        print(f"  {heading}:")
        print_table(results, baseline)
    print_plans(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--gigs", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{folder}/bench.db", args.gigs, args.seconds)
    if args.skip_postgres:
        return
    with scratch_postgres(args.postgres) as url:
        measure("PostgreSQL", url, args.gigs, args.seconds)


if __name__ == "__main__":
    main()
