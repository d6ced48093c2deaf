"""GET /api/v1/gigs/{id} (one gig) against /healthz on the same server, on PostgreSQL.

A single read is what a share link, a webhook consumer and an app's detail screen poll.
The server (uvicorn, one worker) is pinned to CPU 0 and wrk (one thread, 32
connections) to CPU 1 (`bench.http_load`). Runs: /healthz, the gig anonymously, the gig
with its organisation's key, a list of 50 for comparison, and /healthz again; each
ratio is to the higher of the two /healthz runs, so a machine busy with something else
during one run cannot flatter the figure.

Usage: .venv/bin/python bench/bench_gig_read.py [--seconds N] [--gigs N]
       [--postgres postgresql://postgres@127.0.0.1:5432]   (a scratch database, dropped after)
       [--database-url URL]                                 (an existing empty database instead)
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert

from app.auth import KEY_TOKEN_PREFIX, hash_token
from app.migrate import upgrade_to_head
from app.models import ApiKey, Gig, Organization
from app.models.base import new_id
from app.schemas.common import fold_text
from bench.http_load import (
    LoadResult,
    print_table,
    run_wrk,
    running_server,
    scratch_postgres,
    seed_session,
)

ORGANIZATION_KEY = KEY_TOKEN_PREFIX + "bench-organization-key-0123456789abcdef"


def seed(database_url: str, count: int) -> str:
    """Migrate, insert ``count`` open gigs of one organisation (with an API key); one id."""
    upgrade_to_head(database_url)
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    organization_id = new_id("org")
    gigs: list[dict[str, object]] = []
    for index in range(count):
        start = now + timedelta(days=1, minutes=rng.randrange(0, 300 * 24 * 60))
        title = f"Klus {index}: koffie schenken en opruimen in het buurthuis"
        gigs.append({
            "id": new_id("gig"), "organization_id": organization_id, "title": title,
            "description": "Helpen in de buurt; koffie, thee en een praatje. " * 3,
            "category": "odd_jobs", "kind": "one_off", "starts_at": start,
            "ends_at": start + timedelta(hours=3), "signup_deadline": None,
            "address": "Trompsingel 27", "postcode": "9724 AB", "area": "Oosterpoort",
            "lat": 53.21, "lon": 6.57, "online": False, "capacity": 10,
            "group_size_min": None, "group_size_max": None, "skills": ["koken"],
            "languages": ["nl"], "accessible": False, "guidance_available": False,
            "repeatable": False, "status": "open", "source": "api", "confirmed_people": 2,
            "waitlist_count": 0, "sequence": 0, "search_text": fold_text(title),
            "created_at": now, "updated_at": now, "version": 1,
        })  # fmt: skip
    with seed_session(database_url) as session, session.begin():
        session.execute(
            insert(Organization),
            [{"id": organization_id, "name": "Buurthuis Bench", "kind": "volunteer_organization",
              "created_at": now, "updated_at": now, "version": 1}],
        )  # fmt: skip
        session.execute(
            insert(ApiKey),
            [{"id": new_id("key"), "organization_id": organization_id, "name": "bench",
              "role": "organization", "token_hash": hash_token(ORGANIZATION_KEY),
              "token_prefix": ORGANIZATION_KEY[:8], "created_at": now}],
        )  # fmt: skip
        session.execute(insert(Gig), gigs)
    return str(gigs[count // 2]["id"])


def measure(database_url: str, gig_id: str, seconds: int) -> None:
    """wrk on /healthz, the single read (anonymous and owner), a list of 50, /healthz."""
    path = f"/api/v1/gigs/{gig_id}"
    owner = {"Authorization": f"Bearer {ORGANIZATION_KEY}"}
    with running_server(database_url) as base:
        for headers in ({}, owner):
            answer = httpx.get(base + path, headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["id"] == gig_id
            assert answer.headers["etag"].startswith('"')
        run_wrk(base, "/healthz", seconds=2)  # warm-up
        first = run_wrk(base, "/healthz", seconds=seconds)
        anonymous = run_wrk(base, path, seconds=seconds)
        owned = run_wrk(base, path, seconds=seconds, headers=owner)
        listing = run_wrk(base, "/api/v1/gigs?limit=50", seconds=seconds)
        last = run_wrk(base, "/healthz", seconds=seconds)
    baseline = max(first, last, key=lambda result: result.requests_per_second)
    print(f"database: {database_url.split(':')[0]}, 32 connections, {seconds} s per run")
    print(f"/healthz runs: {first.requests_per_second:.0f} and {last.requests_per_second:.0f} "
          "req/s (the higher is the baseline)")  # fmt: skip
    rows = [
        LoadResult(f"{path} (anonymous)", *_figures(anonymous)),
        LoadResult(f"{path} (organisation key)", *_figures(owned)),
        listing,
    ]
    print_table(rows, baseline)


def _figures(result: LoadResult) -> tuple[float, float, float, int]:
    return result.requests_per_second, result.p50_ms, result.p99_ms, result.non_2xx


@contextmanager
def _database(arguments: argparse.Namespace) -> Iterator[str]:
    if arguments.database_url:
        yield arguments.database_url
        return
    with scratch_postgres(arguments.postgres) as url:
        yield url


def main() -> None:
    """Seed a PostgreSQL database, then print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--gigs", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    with _database(arguments) as database_url:
        gig_id = seed(database_url, arguments.gigs)
        measure(database_url, gig_id, arguments.seconds)


if __name__ == "__main__":
    main()
