"""GET /api/v1/reports/impact over 1,000,000 sign-ups and 100,000 gigs, on PostgreSQL.

Seeds a scratch database with set-based SQL (`INSERT ... SELECT generate_series`): 50
organisations, 20 associations, 50,000 volunteers, 100,000 gigs over 2025–2026 (a fifth
of them group gigs; a twentieth each cancelled and drafts), ten sign-ups per gig (one
in twenty waitlisted, one in twenty cancelled; a group's size 2–10, a third of them with
two named members; one in fifty erased), attendance recorded for most past sign-ups.

Then it makes the report lines of every gig (`app.services.report_lines.refresh`, as the
first report after the upgrade that adds them would) and once more after a change to one
gig (what a report after a sign-up costs first), and prints how long each took.

Then, on a uvicorn server pinned to CPU 0 with wrk (one thread, 32 connections) on CPU
1 (`bench.http_load`):

1. uncached: each request asks for a period no earlier request asked for (its `to` one
   day earlier each time), so every answer is made by the report's statement; by month
   and by area, over both years (every sign-up) and over 2026 alone (with 2025 as the
   history that tells returning volunteers from new ones); the median and the slowest;
2. cached: wrk on one report (nothing is committed during the run) against /healthz,
   with the admin token (no look-up) and with an organisation's key (one indexed read).

Usage: .venv/bin/python bench/bench_reports.py [--seconds N] [--repeat N]
       [--postgres postgresql://postgres@127.0.0.1:5432]   (a scratch database, dropped after)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from app.auth import KEY_TOKEN_PREFIX, hash_token
from app.db import Database
from app.db.connections import migration_engine
from app.db.statements import prepare
from app.migrate import upgrade_to_head
from app.services import report_lines
from app.services.reports_period import Period
from app.services.reports_query import shape_and_values, statement
from bench.http_load import (
    ADMIN_TOKEN,
    LoadResult,
    print_table,
    run_wrk,
    running_server,
    scratch_postgres,
)

ORGANIZATION_KEY = KEY_TOKEN_PREFIX + "bench-reports-organization-key-0123456789"
AREAS = ("Binnenstad", "Oosterpoort", "Schildersbuurt", "Paddepoel", "Selwerd", "Vinkhuizen",
         "Korrewegwijk", "Oosterparkwijk", "Helpman", "Corpus den Hoorn", "Lewenborg", "Beijum")  # fmt: skip

SEED = [
    """INSERT INTO organizations (id, name, kind, created_at, updated_at, version)
       SELECT 'org_bench_' || lpad(i::text, 3, '0'), 'Organisatie ' || i,
              'volunteer_organization', now(), now(), 1
       FROM generate_series(1, 50) AS i""",
    """INSERT INTO api_keys (id, name, role, organization_id, token_hash, token_prefix, created_at)
       VALUES ('key_bench', 'bench', 'organization', 'org_bench_001', :token_hash,
               :token_prefix, now())""",
    """INSERT INTO associations (id, slug, name, contractus, preferred_categories,
              preferred_areas, calendar_token_version, created_at, updated_at, version)
       SELECT 'asc_bench_' || lpad(i::text, 2, '0'), 'vereniging-' || i, 'Vereniging ' || i,
              true, '[]', '[]', 1, now(), now(), 1
       FROM generate_series(1, 20) AS i""",
    """INSERT INTO volunteers (id, name, skills, interests, languages, availability,
              needs_guidance, needs_accessible, access_token_hash, consent_at, created_at,
              updated_at, version)
       SELECT 'vol_bench_' || lpad(i::text, 5, '0'), 'Vrijwilliger ' || i, '[]', '[]',
              '["nl"]', '[]', false, false, md5('bench' || i), now(), now(), now(), 1
       FROM generate_series(1, 50000) AS i""",
    # Starts spread over 2025-2026 by a stride prime to the number of hours in it.
    """INSERT INTO gigs (id, organization_id, title, category, kind, starts_at, ends_at,
              area, online, capacity, group_size_min, group_size_max, skills, languages,
              accessible, guidance_available, repeatable, status, source, confirmed_people,
              waitlist_count, sequence, signup_counter, search_text, created_at, updated_at,
              version)
       SELECT 'gig_bench_' || lpad(i::text, 6, '0'),
              'org_bench_' || lpad((1 + i % 50)::text, 3, '0'), 'Klus ' || i,
              (ARRAY['board', 'information_advice', 'visiting', 'training', 'advocacy',
                     'office', 'odd_jobs', 'personal_advice', 'transport', 'fundraising',
                     'care', 'other'])[1 + i % 12],
              CASE WHEN i % 5 = 0 THEN 'group' ELSE 'one_off' END, start, start + interval '3 hours',
              (CAST(:areas AS text[]))[1 + i % 13], false,
              CASE WHEN i % 5 = 0 THEN 60 ELSE 12 END,
              CASE WHEN i % 5 = 0 THEN 2 END, CASE WHEN i % 5 = 0 THEN 10 END,
              '[]', '["nl"]', false, false, false,
              CASE i % 20 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'draft'
                   ELSE CASE WHEN start < now() THEN 'completed' ELSE 'open' END END,
              'api', 0, 0, 0, 10, 'klus ' || i, now(), now(), 1
       FROM (SELECT i, timestamptz '2025-01-01 00:00+01' + ((i * 7919) % 17520) * interval '1 hour'
                       + (i % 60) * interval '1 minute' AS start
             FROM generate_series(1, 100000) AS i) AS numbered""",
    # Ten sign-ups per gig: a group's for group gigs, else a volunteer's.
    """INSERT INTO signups (id, gig_id, volunteer_id, association_id, size, status,
              queue_number, attended, hours, created_at, updated_at)
       SELECT 'sgn_bench_' || lpad(s::text, 7, '0'), 'gig_bench_' || lpad(g::text, 6, '0'),
              CASE WHEN g % 5 <> 0 AND s % 50 <> 2
                   THEN 'vol_bench_' || lpad((1 + (s * 7907) % 50000)::text, 5, '0') END,
              CASE WHEN g % 5 = 0 THEN 'asc_bench_' || lpad((1 + s % 20)::text, 2, '0') END,
              CASE WHEN g % 5 = 0 THEN 2 + s % 9 ELSE 1 END,
              CASE s % 20 WHEN 0 THEN 'waitlisted' WHEN 1 THEN 'cancelled' ELSE 'confirmed' END,
              1 + (s - 1) % 10,
              CASE WHEN past AND s % 20 > 1 THEN
                   CASE WHEN s % 10 < 7 THEN true WHEN s % 10 = 7 THEN false END END,
              CASE WHEN past AND s % 20 > 1 AND s % 10 < 7 THEN 1 + (s % 5) * 0.5 END,
              now(), now()
       FROM (SELECT s, (s - 1) / 10 + 1 AS g,
                    timestamptz '2025-01-01 00:00+01'
                    + ((((s - 1) / 10 + 1) * 7919) % 17520) * interval '1 hour' < now() AS past
             FROM generate_series(1::bigint, 1000000) AS s) AS numbered""",
    # Two named members in a third of the group sign-ups.
    """INSERT INTO signup_members (signup_id, volunteer_id)
       SELECT signups.id, 'vol_bench_' || lpad((1 + (member + substr(signups.id, 11)::int * 31)
                                              % 50000)::text, 5, '0')
       FROM signups CROSS JOIN generate_series(0, 1) AS member
       WHERE signups.association_id IS NOT NULL AND substr(signups.id, 11)::int % 3 = 0""",
]


def seed(database_url: str) -> float:
    """Migrate and fill the database; the seconds it took."""
    started = time.perf_counter()
    upgrade_to_head(database_url)
    engine = migration_engine(database_url)
    try:
        with engine.begin() as connection:
            values = {
                "token_hash": hash_token(ORGANIZATION_KEY),
                "token_prefix": ORGANIZATION_KEY[:8],
                "areas": [*AREAS, None],
            }
            for sql in SEED:
                connection.execute(text(sql), values)
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    finally:
        engine.dispose()
    return time.perf_counter() - started


def make_lines(database_url: str) -> None:
    """Make every gig's report lines, then one gig's again after a change; the times."""

    async def refresh() -> tuple[int, float]:
        database = Database(database_url)
        try:
            started = time.perf_counter()
            gigs = await report_lines.refresh(database)
            return gigs, time.perf_counter() - started
        finally:
            await database.close()

    gigs, took = asyncio.run(refresh())
    print(f"report lines of {gigs:,} gigs made in {took:.1f} s")
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE report_lines"
            )
        with engine.begin() as connection:  # one sign-up's attendance recorded
            connection.exec_driver_sql(
                "UPDATE signups SET attended = true, hours = 2 WHERE id = 'sgn_bench_0000103'"
            )
    finally:
        engine.dispose()
    gigs, took = asyncio.run(refresh())
    print(f"report lines of {gigs} gig made again after a change in {took * 1000:.0f} ms")


def print_counts(database_url: str) -> None:
    """How many rows the report reads from."""
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            for table in ("gigs", "signups", "signup_members", "volunteers", "report_dirty"):
                count = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                print(f"  {table}: {count:,}")
    finally:
        engine.dispose()


def print_plan(database_url: str, group_by: str, period: Period) -> None:
    """EXPLAIN ANALYZE of the report's statement (the total, and the slowest steps)."""
    engine = migration_engine(database_url)
    shape, values = shape_and_values(group_by, period, organization_id=None)  # type: ignore[arg-type]
    plan, parameters = prepare(statement(shape), engine.dialect, values)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + plan.sql, parameters)
            lines = [str(row[0]) for row in rows]
    finally:
        engine.dispose()
    print(f"  plan by {group_by}, {period.first_day}..{period.last_day}: {lines[-1].strip()}")


def uncached(base: str, group_by: str, first: date, last: date, repeat: int) -> list[float]:
    """Seconds per request for ``repeat`` periods asked for the first time."""
    timings = []
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for step in range(repeat):
            params = {"from": first.isoformat(), "to": (last - timedelta(days=step)).isoformat(),
                      "group_by": group_by}  # fmt: skip
            started = time.perf_counter()
            answer = client.get("/api/v1/reports/impact", params=params)
            timings.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
            assert answer.json()["items"], "the report is empty"
    return timings


def main() -> None:
    """Seed a scratch PostgreSQL database, then print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    arguments = parser.parse_args()
    with scratch_postgres(arguments.postgres) as database_url:
        took = seed(database_url)
        print(f"seeded in {took:.1f} s:")
        print_counts(database_url)
        make_lines(database_url)
        periods = {
            "2025-2026 (every sign-up)": (date(2025, 1, 1), date(2026, 12, 31)),
            "2026 (2025 is history)": (date(2026, 1, 1), date(2026, 12, 31)),
        }
        for group_by in ("month", "area"):
            for first, last in periods.values():
                print_plan(database_url, group_by, Period.of(first, last))
        with running_server(database_url) as base:
            print("\nuncached (each period asked once; seconds per request):")
            for group_by in ("month", "area"):
                for name, (first, last) in periods.items():
                    timings = uncached(base, group_by, first, last, arguments.repeat)
                    print(f"  by {group_by:<5} {name:<28} median {statistics.median(timings):.3f}"
                          f"  slowest {max(timings):.3f}  ({len(timings)} requests)")  # fmt: skip
            path = "/api/v1/reports/impact?from=2025-01-01&to=2026-12-31&group_by=month"
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            own = {"Authorization": f"Bearer {ORGANIZATION_KEY}"}
            for headers in (admin, own):
                assert httpx.get(base + path, headers=headers, timeout=60).status_code == 200
            run_wrk(base, "/healthz", seconds=2)  # warm-up
            first_run = run_wrk(base, "/healthz", seconds=arguments.seconds)
            cached = run_wrk(base, path, seconds=arguments.seconds, headers=admin)
            owned = run_wrk(base, path, seconds=arguments.seconds, headers=own)
            last_run = run_wrk(base, "/healthz", seconds=arguments.seconds)
        baseline = max(first_run, last_run, key=lambda result: result.requests_per_second)
        print(f"\ncached, 32 connections, {arguments.seconds} s per run; /healthz runs: "
              f"{first_run.requests_per_second:.0f} and {last_run.requests_per_second:.0f} "
              "req/s (the higher is the baseline)")  # fmt: skip
        print_table(
            [
                LoadResult("report by month, cached (admin token)", *_figures(cached)),
                LoadResult("report by month, cached (organisation key)", *_figures(owned)),
            ],
            baseline,
        )


def _figures(result: LoadResult) -> tuple[float, float, float, int]:
    return result.requests_per_second, result.p50_ms, result.p99_ms, result.non_2xx


if __name__ == "__main__":
    main()
