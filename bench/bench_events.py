"""What events cost and how fast webhooks arrive, on PostgreSQL.

(1) The outbox's cost: sign-ups per second, as `bench_signups.py` measures them ((a) one
gig of capacity 10,000 receiving 11,000 sign-ups; (b) 1,000 gigs of capacity 5
receiving 6,000), with events on (the app as it is) and with the outbox write removed
(`bench/no_outbox.py`), in alternating rounds on fresh databases, next to `/healthz` of
the same server. The goal: events cost under 10 %, and at least 500 sign-ups/s. By default each server
runs its dispatcher, which also makes the messages to people from the events (in the
same process, on the same CPU); `--no-dispatcher` measures the events' write alone.

(2) Delivery latency: sign-ups at a steady ``--rate`` per second for ``--seconds``, each
event (`signup.confirmed`) delivered by the app's own dispatcher to a receiver on
127.0.0.1; from the event's commit (its `created_at`, taken just before the commit) to
the receiver's 2xx. The goal: p99 at most 2 s at 100 events/s. Every event must arrive
once.

Usage: .venv/bin/python bench/bench_events.py [--rounds N] [--scale F] [--rate R]
       [--seconds S] [--skip-cost] [--skip-latency] [--postgres URL]
The server is pinned to CPU 0, this process (load and receiver) to CPU 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import func, select

from app.models import WebhookAttempt
from bench.bench_signups import scenario, seed
from bench.http_load import (
    ADMIN_TOKEN,
    _free_port,
    run_wrk,
    running_server,
    scratch_postgres,
    seed_session,
)

NO_OUTBOX = "bench.no_outbox:create_app"
ON = "app.main:create_app"


def cost_round(
    server: str, factory: str, scale: float, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(healthz req/s, (a) sign-ups/s, (b) sign-ups/s) of one server on a fresh database."""
    big_capacity, small_gigs = int(10_000 * scale), int(1_000 * scale)
    with scratch_postgres(server) as url:
        ids, tokens, big, small = seed(url, int(11_000 * scale), big_capacity, small_gigs)
        with running_server(url, factory=factory, env=env) as base:
            healthz = run_wrk(base, "/healthz", seconds=5).requests_per_second
            one_gig = [(ids[i], tokens[i], big) for i in range(int(11_000 * scale))]
            a = scenario(f"(a) 1 gig, capacity {big_capacity}", base, url, one_gig, [big])
            spread = [(ids[i], tokens[i], small[i % small_gigs]) for i in range(int(6_000 * scale))]
            b = scenario(f"(b) {small_gigs} gigs, capacity 5", base, url, spread, small)
    return healthz, a, b


def outbox_cost(server: str, rounds: int, scale: float, env: dict[str, str] | None) -> None:
    results: dict[str, list[tuple[float, float, float]]] = {"on": [], "off": []}
    for round_number in range(rounds):
        order = ("on", "off") if round_number % 2 == 0 else ("off", "on")
        for which in order:
            print(f"round {round_number + 1}, events {which}:")
            factory = ON if which == "on" else NO_OUTBOX
            results[which].append(cost_round(server, factory, scale, env))
    print(f"\nPostgreSQL sign-ups/s, median of {rounds} rounds (healthz of the same servers):")
    medians = {}
    for which in ("off", "on"):
        healthz, a, b = (statistics.median(values) for values in zip(*results[which], strict=True))
        medians[which] = (a, b)
        print(f"  events {which:<3}  (a) {a:7.0f}  (b) {b:7.0f}   healthz {healthz:7.0f} req/s")
    for index, label in enumerate(("(a)", "(b)")):
        off, on = medians["off"][index], medians["on"][index]
        print(f"  cost of events {label}: {(off - on) / off * 100:5.1f} %")


class Receiver:
    """Webhook deliveries as they arrive: (webhook-id, latency in seconds)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.arrivals: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
                answered = time.time()
                created = json.loads(body)["created_at"]
                committed = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
                with receiver.lock:
                    receiver.arrivals.append((self.headers["webhook-id"], answered - committed))

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # (5 by default: connections beyond it wait a second)
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)

    @contextmanager
    def running(self) -> Iterator[str]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{self.port}/hooks"
        finally:
            self.server.shutdown()
            self.server.server_close()


async def steady_load(base: str, jobs: list[tuple[str, str, str]], rate: float) -> dict[int, int]:
    """One sign-up every 1/rate seconds (open loop: a slow answer does not slow the pace)."""
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def one(volunteer_id: str, token: str, gig_id: str) -> None:
            response = await client.post(
                f"/api/v1/gigs/{gig_id}/signups",
                json={"volunteer_id": volunteer_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        tasks = []
        for index, job in enumerate(jobs):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*job)))
        await asyncio.gather(*tasks)
    return statuses


def delivery_latency(server: str, rate: float, seconds: float) -> None:
    count = int(rate * seconds)
    receiver = Receiver()
    with scratch_postgres(server) as url, receiver.running() as hook_url:
        ids, tokens, big, _ = seed(url, count, count, 1)
        env = {"KLUSMAKELAAR_WEBHOOK_ALLOW_INSECURE": "true"}
        with running_server(url, env=env) as base:
            healthz = run_wrk(base, "/healthz", seconds=5).requests_per_second
            made = httpx.post(
                f"{base}/api/v1/webhooks",
                json={"url": hook_url, "events": ["signup.confirmed"]},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            made.raise_for_status()
            jobs = [(ids[i], tokens[i], big) for i in range(count)]
            statuses = asyncio.run(steady_load(base, jobs, rate))
            deadline = time.monotonic() + 60
            while len(receiver.arrivals) < count and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
        with seed_session(url) as session:
            failed = session.execute(
                select(WebhookAttempt.error, func.count())
                .where(WebhookAttempt.error.is_not(None))
                .group_by(WebhookAttempt.error)
            ).all()
    with receiver.lock:
        arrivals = list(receiver.arrivals)
    latencies = sorted(latency for _, latency in arrivals)
    distinct = len({event_id for event_id, _ in arrivals})
    print(
        f"\nDelivery latency at {rate:g} events/s for {seconds:g} s (sign-ups {statuses}; "
        f"healthz {healthz:.0f} req/s):"
    )
    print(
        f"  delivered {distinct} of {count} events, {len(arrivals) - distinct} twice; "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"  failed attempts: {sum(n for _, n in failed)} {dict(failed) if failed else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--no-dispatcher",
        action="store_true",
        help="cost: servers without their dispatcher (KLUSMAKELAAR_DISPATCHER=false), as when "
        "`klusmakelaar dispatch` runs elsewhere: the events' write alone, without the "
        "messages and deliveries made from them",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {(os.cpu_count() or 1) - 1})  # the load generator's CPU
    if not args.skip_cost:
        env = {"KLUSMAKELAAR_DISPATCHER": "false"} if args.no_dispatcher else None
        outbox_cost(args.postgres, args.rounds, args.scale, env)
    if not args.skip_latency:
        delivery_latency(args.postgres, args.rate, args.seconds)


if __name__ == "__main__":
    main()
