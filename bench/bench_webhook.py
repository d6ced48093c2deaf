"""Webhook deliveries per second (signed one-message Cloud API payloads), new against
duplicate, next to `/healthz` on the same server in the same run; and parse time per
message over the test corpus.

Usage: .venv/bin/python bench/bench_webhook.py [--database-url URL] [--messages N]
       [--concurrency C]
Default database: a fresh SQLite file in a temporary folder. The server is a uvicorn
process pinned to CPU 0 (the app with the integrations router); the load comes from
Python threads pinned to CPU 1, so figures are bounded by the client too: read them as
ratios to `/healthz`. Senders are spread over 1,000 registered numbers, so the
per-sender limit (30 a minute) never triggers.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.integrations.message_parser import parse_message
from app.migrate import upgrade_to_head
from app.models import Gig, InboundMessage
from app.schemas.organization import OrganizationCreate
from app.services import organizations
from bench.http_load import running_server, seed_session
from tests.integrations.message_corpus import CASES

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-whatsapp-secret"
PATH = "/api/v1/integrations/whatsapp/webhook"
ORGANIZATIONS, NUMBERS_EACH = 50, 20
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def sender(index: int) -> str:
    """The WhatsApp id (digits, no +) of registered number ``index``."""
    return f"316{20000000 + index}"


def seed(database_url: str) -> None:
    """Migrate and register 1,000 WhatsApp numbers over 50 organisations."""
    upgrade_to_head(database_url)
    with seed_session(database_url) as session, session.begin():
        for org in range(ORGANIZATIONS):
            numbers = [f"+{sender(org * NUMBERS_EACH + n)}" for n in range(NUMBERS_EACH)]
            organizations.create(
                session=session,
                organization_in=OrganizationCreate(name=f"Org {org}", whatsapp_numbers=numbers),
            )


def delivery(index: int) -> tuple[bytes, dict[str, str]]:
    """A signed Cloud API delivery of one complete Dutch message."""
    text = (
        f"Klus: Tuin opknappen {index}\nWanneer: 14-06-2027 10:00-13:00\n"
        "Waar: Oosterpoort, 9724 AB\nAantal: 4\nWat: Onkruid wieden."
    )
    message = {
        "from": sender(index % (ORGANIZATIONS * NUMBERS_EACH)),
        "id": f"wamid.bench.{index}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    payload = {"object": "whatsapp_business_account",
               "entry": [{"id": "1", "changes": [{"field": "messages",
                                                  "value": {"messages": [message]}}]}]}  # fmt: skip
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}


def load(base: str, count: int, concurrency: int, call: Callable[[httpx.Client, int], int]) -> str:
    """Run ``call`` for 0..count-1 from ``concurrency`` threads; rate, latency and failures."""
    latencies: list[float] = []
    failures = 0
    next_index = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        nonlocal failures
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                started = time.perf_counter()
                status = call(client, index)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed * 1000)
                    failures += status != 200

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return (f"{count / seconds:>9.0f} {ordered[len(ordered) // 2]:>8.2f} "
            f"{ordered[int(len(ordered) * 0.99)]:>8.2f} {failures:>8}")  # fmt: skip


def parse_figures(rounds: int = 100) -> str:
    """Mean, p50 and p99 parse time per corpus message, in microseconds."""
    corpus = [
        (case.text, datetime.strptime(case.now, "%Y-%m-%d %H:%M").replace(tzinfo=AMSTERDAM))
        for case in CASES
    ]
    for text, now in corpus:
        parse_message(text, now=now)
    samples = []
    for _ in range(rounds):
        for text, now in corpus:
            started = time.perf_counter_ns()
            parse_message(text, now=now)
            samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return (f"parse_message over {len(corpus)} corpus messages x {rounds}: mean "
            f"{statistics.fmean(samples):.1f} us, p50 {samples[len(samples) // 2]:.1f} us, "
            f"p99 {samples[int(len(samples) * 0.99)]:.1f} us")  # fmt: skip


def main() -> None:
    """Seed, serve, load `/healthz`, new deliveries and duplicates; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    deliveries = [delivery(index) for index in range(args.messages)]

    def healthz(client: httpx.Client, _index: int) -> int:
        return client.get("/healthz").status_code

    def post(client: httpx.Client, index: int) -> int:
        body, headers = deliveries[index]
        return client.post(PATH, content=body, headers=headers).status_code

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        seed(url)
        with running_server(url, env={"KLUSMAKELAAR_WHATSAPP_APP_SECRET": SECRET}) as base:
            load(base, 200, args.concurrency, healthz)  # warm-up
            rows = [
                ("GET /healthz", load(base, args.messages, args.concurrency, healthz)),
                ("POST webhook, new message (gig created)",
                 load(base, args.messages, args.concurrency, post)),
                ("POST webhook, duplicate (redelivery)",
                 load(base, args.messages, args.concurrency, post)),
            ]  # fmt: skip
        with seed_session(url) as session:
            gigs = session.scalar(select(func.count()).select_from(Gig))
            stored = session.scalar(select(func.count()).select_from(InboundMessage))
    print(f"database: {url.split(':')[0]}, {args.messages} deliveries per run, "
          f"{args.concurrency} client threads")  # fmt: skip
    print(f"{'run':<42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
    for name, figures in rows:
        print(f"{name:<42} {figures}")
    print(f"messages stored: {stored}, gigs created: {gigs}")
    print(parse_figures())
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
