"""Calendar feeds with 5,000 gigs: making a feed, polling it, and a change under load.

1. Service level, in process: `public_feed` and `association_feed` on a database of
   5,000 open gigs in the feed window; "cold" (the in-process cache cleared before each
   run: the query, the hash and a render) and "warm" (nothing committed since: the
   cache). The real feed holds at most MAX_FEED_EVENTS (1,000); the "uncapped" row
   lifts that cap in this process only, to time a feed of all 5,000 gigs.
2. End to end, with a uvicorn server pinned to CPU 0 and wrk on CPU 1 (`http_load`):
   - wrk on `/healthz`, on each feed polled with `If-None-Match` (304), the public feed
     polled with `If-Modified-Since` (304 once the server honours it), the public feed
     as a cached 200, and `/healthz` again; each ratio is to the higher `/healthz` run;
   - after a change (a plain UPDATE of one gig in the feed): the time of one GET of the
     1,000-event public feed (the render it needs), median of 5 changes;
   - after a change: 32 GETs of that feed sent at once on 32 connections: the answers
     by status, the renders they caused and the time to the last answer (3 changes).
   The server counts renders itself (`counting_app`, this benchmark's own factory: the
   app with `calendar_feeds.render_feed` counted, read at `GET /bench/renders`), so
   the count is the same before and after any change to the service.

Usage: .venv/bin/python bench/bench_calendar.py [--gigs 5000] [--seconds 10]
       [--database-url postgresql://postgres@127.0.0.1:5432/scratch]  (default: SQLite)
Needs `wrk` (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select, update

from app.config import Settings
from app.db import Database
from app.migrate import upgrade_to_head
from app.models import Association, Gig, InstanceSecret, Organization, Signup
from app.models.base import new_id
from app.schemas.common import fold_text
from app.services import calendar_feeds
from app.services.caches import Caches
from app.services.calendar_tokens import calendar_token
from app.services.feed_cache import KeptFeed
from app.services.gig_list_sql import GigFilters
from bench import http_load
from bench.http_load import LoadResult, print_table, run_wrk, seed_session

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
    token = association_token(database_url, association_id)

    async def no_filters() -> GigFilters:
        return GigFilters()

    def public() -> KeptFeed:
        return loop.run_until_complete(
            calendar_feeds.public_feed(
                database,
                caches,
                query_string=b"",
                filters=no_filters,
                base_url=BASE_URL,
                now=now,
            )
        )

    def association() -> KeptFeed:
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


def association_token(database_url: str, association_id: str) -> str:
    """The association's calendar token (as its `calendar_url` carries it)."""
    with seed_session(database_url) as session:
        found = session.get(Association, association_id)
        assert found is not None
        secret = bytes.fromhex(session.get_one(InstanceSecret, "calendar").value)
        return calendar_token(secret, found)


def counting_app() -> FastAPI:
    """`app.main.create_app` with its iCalendar renders counted, at `GET /bench/renders`
    (this benchmark's server only: the count does not depend on the service's own)."""
    from app.main import create_app

    renders = [0]
    lock = threading.Lock()
    render = calendar_feeds.render_feed  # type: ignore[attr-defined]

    def counted(**options: Any) -> bytes:
        with lock:
            renders[0] += 1
        return render(**options)

    calendar_feeds.render_feed = counted  # type: ignore[attr-defined]
    application = create_app()

    async def count() -> dict[str, int]:
        return {"renders": renders[0]}

    application.add_api_route("/bench/renders", count, methods=["GET"], include_in_schema=False)
    return application


def change_a_gig(database_url: str, gig_id: str, number: int) -> None:
    """A plain UPDATE of one gig's title, committed (the trigger bumps its version)."""
    with seed_session(database_url) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig_id).values(title=f"Veranderd {number}"))


def earliest_gig(database_url: str) -> str:
    """The id of the first gig of the public feed (the earliest start in the window)."""
    window_start = datetime.now(UTC) - timedelta(days=6)
    with seed_session(database_url) as session:
        return str(
            session.scalars(
                select(Gig.id)
                .where(Gig.starts_at >= window_start)
                .order_by(Gig.starts_at, Gig.id)
                .limit(1)
            ).one()
        )


def renders_so_far(base: str) -> int:
    """The server's render count (`counting_app`)."""
    return int(httpx.get(base + "/bench/renders").json()["renders"])


def end_to_end(database_url: str, association_id: str, seconds: int) -> None:
    """Through uvicorn: polling (304s), a render after a change, 32 requests after one."""
    token = association_token(database_url, association_id)
    association_feed = f"/api/v1/associations/{association_id}/calendar.ics?token={token}"
    with http_load.running_server(
        database_url,
        env={"KLUSMAKELAAR_PUBLIC_BASE_URL": BASE_URL},
        factory="bench.bench_calendar:counting_app",
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
        association_etag = httpx.get(base + association_feed, timeout=60).headers["etag"]
        modified = first.headers.get(
            "last-modified", format_datetime(datetime.now(UTC), usegmt=True)
        )
        probes = {
            "If-None-Match (public)": (FEED, {"If-None-Match": etag}),
            "If-None-Match (association)": (association_feed, {"If-None-Match": association_etag}),
            "If-Modified-Since (public)": (FEED, {"If-Modified-Since": modified}),
        }
        for label, (path, headers) in probes.items():
            status = httpx.get(base + path, headers=headers, timeout=60).status_code
            print(f"{label}: one GET answers {status}")
        run_wrk(base, "/healthz", seconds=2)  # warm-up
        healthz = [run_wrk(base, "/healthz", seconds=seconds)]
        polled = [
            _labelled(run_wrk(base, path, seconds=seconds, headers=headers), label)
            for label, (path, headers) in probes.items()
        ]
        cached = _labelled(
            run_wrk(base, FEED, seconds=seconds, connections=8),
            "200 from the cache (8 connections)",
        )
        healthz.append(run_wrk(base, "/healthz", seconds=seconds))
        print()
        print(f"/healthz runs: {', '.join(f'{run.requests_per_second:.0f}' for run in healthz)} req/s "
              "(the higher is the baseline)")  # fmt: skip
        print_table([*polled, cached], max(healthz, key=lambda run: run.requests_per_second))

        gig_id = earliest_gig(database_url)
        number = 0
        single = []
        single_renders = []
        for _ in range(5):
            number += 1
            change_a_gig(database_url, gig_id, number)
            before = renders_so_far(base)
            started = time.perf_counter()
            answer = httpx.get(base + FEED, timeout=120)
            single.append((time.perf_counter() - started) * 1000)
            single_renders.append(renders_so_far(base) - before)
            assert answer.status_code == 200
            assert f"Veranderd {number}".encode() in answer.content
        print(f"\nafter a change, one GET of the {first.content.count(b'BEGIN:VEVENT')}-event feed: "
              f"median {statistics.median(single):.0f} ms (runs: "
              f"{', '.join(f'{ms:.0f}' for ms in single)} ms; renders: {single_renders})")  # fmt: skip

        print("after a change, 32 GETs at once (32 connections):")
        for _ in range(3):
            number += 1
            change_a_gig(database_url, gig_id, number)
            before = renders_so_far(base)
            jobs = [http_load.Job("GET", FEED, {}) for _ in range(32)]
            result = http_load.run_script(base, jobs, connections=32)
            renders = renders_so_far(base) - before
            answered = sum(result.statuses.values())
            print(f"  answered {answered}/32 {dict(sorted(result.statuses.items()))}, "
                  f"renders {renders}, last answer after {result.seconds * 1000:.0f} ms, "
                  f"median answer {statistics.median(result.latencies) * 1000:.0f} ms")  # fmt: skip


def _labelled(result: LoadResult, label: str) -> LoadResult:
    return LoadResult(
        label, result.requests_per_second, result.p50_ms, result.p99_ms, result.non_2xx
    )


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
        end_to_end(database_url, association_id, arguments.seconds)


if __name__ == "__main__":
    main()
