"""GET /g/{id} (a gig's public page, HTML) against /healthz on the same server.

A link shared in a WhatsApp group of hundreds is opened by each of them, and by the
chat's link-preview fetcher. The server (uvicorn, one worker) is pinned to CPU 0 and wrk
(one thread, 32 connections) to CPU 1 (`bench.http_load`). Runs: /healthz, the page for
a first visit (no cookie: a new form token and Set-Cookie each time), the page for a
returning visitor (its cookie), the same with If-None-Match (304), the JSON read of the
same gig for comparison, and /healthz again; each ratio is to the higher /healthz.
Goal (issue 16): the page at 0.5 or more times /healthz.

Usage: .venv/bin/python bench/bench_gig_page.py [--seconds N] [--gigs N]
       [--postgres postgresql://postgres@127.0.0.1:5432]   (a scratch database, dropped after)
       [--sqlite]                                          (a SQLite file instead)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.bench_gig_read import seed
from bench.http_load import LoadResult, print_table, run_wrk, running_server, scratch_postgres


def measure(database_url: str, gig_id: str, seconds: int) -> None:
    """wrk on /healthz, the page (first and returning visitor, 304), the JSON, /healthz."""
    path = f"/g/{gig_id}"
    with running_server(database_url) as base:
        first_visit = httpx.get(base + path)
        assert first_visit.status_code == 200, first_visit.text
        assert "og:title" in first_visit.text
        cookie = first_visit.headers["set-cookie"].split(";")[0]
        returning = {"Cookie": cookie}
        etag = httpx.get(base + path, headers=returning).headers["etag"]
        unchanged = {**returning, "If-None-Match": etag}
        assert httpx.get(base + path, headers=unchanged).status_code == 304
        run_wrk(base, "/healthz", seconds=2)  # warm-up
        first = run_wrk(base, "/healthz", seconds=seconds)
        new_visitor = run_wrk(base, path, seconds=seconds)
        known_visitor = run_wrk(base, path, seconds=seconds, headers=returning)
        not_modified = run_wrk(base, path, seconds=seconds, headers=unchanged)
        as_json = run_wrk(base, f"/api/v1/gigs/{gig_id}", seconds=seconds)
        last = run_wrk(base, "/healthz", seconds=seconds)
    baseline = max(first, last, key=lambda result: result.requests_per_second)
    print(f"database: {database_url.split(':')[0]}, 32 connections, {seconds} s per run")
    print(f"/healthz runs: {first.requests_per_second:.0f} and {last.requests_per_second:.0f} "
          "req/s (the higher is the baseline)")  # fmt: skip
    rows = [
        LoadResult(f"{path} (first visit: new cookie)", *_figures(new_visitor)),
        LoadResult(f"{path} (returning visitor)", *_figures(known_visitor)),
        LoadResult(f"{path} (If-None-Match: 304)", *_figures(not_modified)),
        LoadResult(f"/api/v1/gigs/{gig_id} (JSON)", *_figures(as_json)),
    ]
    print_table(rows, baseline)


def _figures(result: LoadResult) -> tuple[float, float, float, int]:
    return result.requests_per_second, result.p50_ms, result.p99_ms, result.non_2xx


@contextmanager
def _database(arguments: argparse.Namespace) -> Iterator[str]:
    if arguments.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with scratch_postgres(arguments.postgres) as url:
        yield url


def main() -> None:
    """Seed a database, then print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--gigs", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true")
    arguments = parser.parse_args()
    with _database(arguments) as database_url:
        gig_id = seed(database_url, arguments.gigs)
        measure(database_url, gig_id, arguments.seconds)


if __name__ == "__main__":
    main()
