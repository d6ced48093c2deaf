"""10,000 reminders due in the same minute: how long until all are sent, and duplicates.

PostgreSQL. Seeds 10,000 confirmed sign-ups with their reminders (message rows, as the
dispatcher makes them) all due at one moment, then starts the server (pinned to CPU 0)
with a fake WhatsApp Cloud API (this process, CPU 1) that answers every call after
50 ms and counts the calls per `Idempotency-Key`. The server's dispatcher sends them
with up to `MAX_MESSAGES_IN_FLIGHT` provider calls at once. Printed: the time from the
moment they fell due to the last one sent, the calls made, the duplicates (calls beyond
one per message: must be 0), and `/healthz` of the same server. Goal: all within 60 s.

Usage: .venv/bin/python bench/bench_reminders.py [--reminders N] [--latency S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from app.integrations.message_texts import GigFacts, render
from app.models import Message, Signup
from app.models.base import new_id
from app.services.dispatcher import MAX_MESSAGES_IN_FLIGHT
from bench.bench_signups import seed
from bench.http_load import _free_port, run_wrk, running_server, scratch_postgres, seed_session


class FakeCloudApi:
    """Answers each call after ``latency`` seconds; counts calls per key."""

    def __init__(self, latency: float) -> None:
        self.port = _free_port()
        self.calls: dict[str, int] = {}
        self.last_at = 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                key = self.headers["idempotency-key"]
                time.sleep(latency)
                with fake.lock:
                    fake.calls[key] = fake.calls.get(key, 0) + 1
                    fake.last_at = time.time()
                    number = len(fake.calls)
                payload = json.dumps({"messages": [{"id": f"wamid.{number}"}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def seed_reminders(url: str, count: int, due: datetime) -> None:
    """``count`` confirmed sign-ups for one gig, each with a reminder due at ``due``."""
    ids, _, big, _ = seed(url, count, count, 1)
    now = datetime.now(UTC)
    gig = GigFacts("Bench gig", now + timedelta(days=1), now + timedelta(days=1, hours=2),
                   None, None, None, f"http://127.0.0.1/api/v1/gigs/{big}")  # fmt: skip
    body = render("reminder", "nl", name="V", gig=gig)
    signups, messages = [], []
    for index, volunteer_id in enumerate(ids):
        signup_id = new_id("sgn")
        signups.append({"id": signup_id, "gig_id": big, "volunteer_id": volunteer_id, "size": 1,
                        "status": "confirmed", "queue_number": index + 1, "created_at": now,
                        "updated_at": now, "version": 1})  # fmt: skip
        messages.append({"id": new_id("out"), "key": f"reminder:{signup_id}:24:0",
                         "kind": "reminder", "channel": "whatsapp",
                         "recipient": f"+3161{index:07d}", "volunteer_id": volunteer_id,
                         "gig_id": big, "signup_id": signup_id, "language": "nl",
                         "subject": body.subject, "body": body.body, "status": "queued",
                         "attempts": 0, "next_attempt_at": due, "created_at": now})  # fmt: skip
    with seed_session(url) as session, session.begin():
        for start in range(0, count, 5000):
            session.execute(insert(Signup), signups[start : start + 5000])
            session.execute(insert(Message), messages[start : start + 5000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {(os.cpu_count() or 1) - 1})
    fake = FakeCloudApi(args.latency)
    with scratch_postgres(args.postgres) as url:
        due = datetime.now(UTC) + timedelta(seconds=40)  # after seeding and start-up
        seed_reminders(url, args.reminders, due)
        env = {"KLUSMAKELAAR_WHATSAPP_API_URL": f"http://127.0.0.1:{fake.port}",
               "KLUSMAKELAAR_WHATSAPP_PHONE_NUMBER_ID": "1", "KLUSMAKELAAR_REMINDER_HOURS": "",
               "KLUSMAKELAAR_WHATSAPP_ACCESS_TOKEN": "bench"}  # fmt: skip
        with running_server(url, env=env) as base:
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait < 6:
                raise SystemExit("seeding and start-up took too long: raise the 40 s margin")
            healthz = run_wrk(base, "/healthz", seconds=5).requests_per_second
            deadline = time.time() + wait + 300
            while time.time() < deadline:
                with fake.lock:
                    if len(fake.calls) >= args.reminders:
                        break
                time.sleep(0.1)
            time.sleep(2)  # anything sent twice would come now
        with seed_session(url) as session:
            statuses = dict(
                session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
            )
    with fake.lock:
        calls, distinct, last = sum(fake.calls.values()), len(fake.calls), fake.last_at
    print(f"\n{args.reminders} reminders due at one moment, fake Cloud API answering in "
          f"{args.latency * 1000:.0f} ms, up to {MAX_MESSAGES_IN_FLIGHT} calls at once "
          f"(healthz {healthz:.0f} req/s):")  # fmt: skip
    print(f"  sent {distinct} in {last - due.timestamp():.1f} s after they fell due "
          f"({distinct / max(last - due.timestamp(), 1e-9):.0f}/s); calls {calls}, "
          f"duplicates {calls - distinct}; statuses {statuses}")  # fmt: skip


if __name__ == "__main__":
    main()
