"""Calendar feeds with 5,000 gigs: generation time (service and HTTP) and 304s per second.

1. Service level, in process: `public_feed` and `association_feed` on a database of
   5,000 open gigs in the feed window; "cold" renders (the in-process cache cleared
   before each run) and "warm" answers (same data: one query and a hash, no render).
   The real feed holds at most MAX_FEED_EVENTS (1,000); the "uncapped" rows lift that
   cap in this process only, to time a feed of all 5,000 gigs.
2. End to end, with a uvicorn server: the first GET (a render) and later GETs (cached),
   then wrk on `/healthz`, on the feed with `If-None-Match` (304) and without (200).

Usage: .venv/bin/python bench/bench_calendar.py [--gigs 5000] [--seconds 10]
       [--database-url postgresql://postgres@127.0.0.1:5432/scratch]  (default: SQLite)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert

from app.config import Settings
from app.db import Database
from app.migrate import upgrade_to_head
from app.models import Association, Gig, InstanceSecret, Organization, Signup
from app.models.base import new_id
from app.schemas.common import fold_text
from app.services import calendar_feeds
from app.services.caches import Caches
from app.services.calendar_feeds import RenderedFeed
from app.services.calendar_tokens import calendar_token
from app.services.gig_listing import GigFilters
from bench import http_load
from bench.http_load import print_table, run_wrk, seed_session

BASE_URL = "https://klusmakelaar.example"
FEED = "/api/v1/calendar/gigs.ics"
CATEGORIES = ("odd_jobs", "care", "visiting", "office", "transport", "other")
AREAS = ("Oosterpoort", "Selwerd", "Paddepoel", "Centrum", "Vinkhuizen")


def seed(database_url: str, count: int) -> str:
    """Migrate and insert ``count`` open gigs in the feed window; returns an association id."""
    upgrade_to_head(database_url)
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    organizations = [{"id": new_id("org"), "name": f"Buurthuis {i}", "kind": "volunteer_organization",
                      "created_at": now, "updated_at": now, "version": 1} for i in range(50)]  # fmt: skip
    association_id = new_id("asc")
    gigs: list[dict[str, object]] = []
    for index in range(count):
        start = now + timedelta(minutes=rng.randrange(-6 * 24 * 60, 360 * 24 * 60))
        title = f"Klus {index}: koffie schenken en opruimen in het buurthuis"
        group = index % 2 == 0
        gigs.append({
            "id": new_id("gig"), "organization_id": organizations[index % 50]["id"],
            "title": title, "description": "Helpen in de buurt; koffie, thee en een praatje.",
            "category": rng.choice(CATEGORIES), "kind": "group" if group else "one_off",
            "starts_at": start, "ends_at": start + timedelta(hours=3), "signup_deadline": None,
            "address": "Trompsingel 27", "postcode": "9724 AB", "area": rng.choice(AREAS),
            "lat": 53.21 + rng.uniform(-0.05, 0.05), "lon": 6.57 + rng.uniform(-0.05, 0.05),
            "online": False, "capacity": 10, "group_size_min": 2 if group else None,
            "group_size_max": 5 if group else None, "skills": [], "languages": ["nl"],
            "accessible": False, "guidance_available": False, "repeatable": False,
            "status": "open", "source": "api", "confirmed_people": 0, "waitlist_count": 0,
            "sequence": 0, "search_text": fold_text(title), "created_at": now,
            "updated_at": now - timedelta(seconds=index), "version": 1,
        })  # fmt: skip
    signups = [
        {"id": new_id("sgn"), "gig_id": gig["id"], "association_id": association_id, "size": 3,
         "status": "confirmed", "queue_number": 1, "created_at": now, "updated_at": now}
        for gig in gigs[:200:2]
    ]  # fmt: skip
    with seed_session(database_url) as session, session.begin():
        session.execute(insert(Organization), organizations)
        session.execute(
            insert(Association),
            [{"id": association_id, "slug": "bench", "name": "Vereniging Bench",
              "contractus": True, "preferred_categories": ["odd_jobs", "care"],
              "preferred_areas": [], "calendar_token_version": 1,
              "created_at": now, "updated_at": now, "version": 1}],
        )  # fmt: skip
        session.execute(insert(Gig), gigs)
        session.execute(insert(Signup), signups)
    return association_id


def median_ms(action: Callable[[], object], runs: int, *, before: Callable[[], None]) -> float:
    """The median wall time of ``action`` in milliseconds, ``before`` run untimed each time."""
    times = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def service_level(database_url: str, association_id: str, runs: int) -> None:
    """Cold and warm generation of the public and the association feed, in process."""
    now = datetime.now(UTC)
    caches = Caches.create(Settings(database_url=database_url))
    loop = asyncio.new_event_loop()
    database = Database(database_url)
    with seed_session(database_url) as session:
        found = session.get(Association, association_id)
        assert found is not None
        token = calendar_token(
            bytes.fromhex(session.get_one(InstanceSecret, "calendar").value), found
        )

    def public() -> RenderedFeed:
        return loop.run_until_complete(
            calendar_feeds.public_feed(
                database, caches, filters=GigFilters(), base_url=BASE_URL, now=now
            )
        )

    def association() -> RenderedFeed:
        return loop.run_until_complete(
            calendar_feeds.association_feed(
                database, caches, association_id=association_id, token=token,
                base_url=BASE_URL, now=now,
            )
        )  # fmt: skip

    def nothing() -> None:
        return None

    print(f"{'service level':<44} {'events':>7} {'KiB':>6} {'cold ms':>9} {'warm ms':>9}")
    for label, feed, cap in (
        ("public feed (cap 1,000)", public, 1000),
        ("association feed (cap 1,000)", association, 1000),
        ("public feed, uncapped (bench only)", public, 100_000),
    ):
        calendar_feeds.MAX_FEED_EVENTS = cap  # type: ignore[misc]
        caches.feeds.clear()
        rendered = feed()
        cold = median_ms(feed, runs, before=caches.feeds.clear)
        warm = median_ms(feed, runs * 3, before=nothing)
        size = len(rendered.body) / 1024
        print(f"{label:<44} {rendered.events:>7} {size:>6.0f} {cold:>9.1f} {warm:>9.1f}")
    calendar_feeds.MAX_FEED_EVENTS = 1000  # type: ignore[misc]
    loop.run_until_complete(database.close())
    loop.close()


def end_to_end(database_url: str, seconds: int) -> None:
    """First and later GETs through uvicorn, then wrk: /healthz, 304s and cached 200s."""
    with http_load.running_server(
        database_url, env={"KLUSMAKELAAR_PUBLIC_BASE_URL": BASE_URL}
    ) as base:
        started = time.perf_counter()
        first = httpx.get(base + FEED, timeout=60)
        first_ms = (time.perf_counter() - started) * 1000
        later = []
        for _ in range(10):
            started = time.perf_counter()
            again = httpx.get(base + FEED, timeout=60)
            later.append((time.perf_counter() - started) * 1000)
            assert again.content == first.content
        print(f"\nHTTP: first GET (render) {first_ms:.0f} ms, "
              f"later GETs (cached) median {statistics.median(later):.1f} ms, "
              f"{len(first.content) / 1024:.0f} KiB, {first.content.count(b'BEGIN:VEVENT')} events")  # fmt: skip
        etag = first.headers["etag"]
        assert httpx.get(base + FEED, headers={"If-None-Match": etag}).status_code == 304
        baseline = run_wrk(base, "/healthz", seconds=seconds)
        not_modified = run_wrk(base, FEED, seconds=seconds, headers={"If-None-Match": etag})
        cached = run_wrk(base, FEED, seconds=seconds, connections=8)
        print()
        print_table([not_modified, cached], baseline)
        print("(the 304 row sends If-None-Match; the last row is a full 200 from the cache)")


def main() -> None:
    """Seed, then print the service-level and the HTTP figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigs", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database_url = arguments.database_url or f"sqlite:///{directory}/bench.db"
        association_id = seed(database_url, arguments.gigs)
        print(f"{arguments.gigs} open gigs on {database_url.split(':', 1)[0]}\n")
        service_level(database_url, association_id, arguments.runs)
        end_to_end(database_url, arguments.seconds)


if __name__ == "__main__":
    main()
