"""Time `render_feed` for a large feed: median of several runs, plus the size in bytes.

The default is the largest feed the service makes (MAX_FEED_EVENTS, 1,000 events); the
render alone, in process, without the query (`bench_calendar.py` times the whole make).

Run: .venv/bin/python bench/bench_calendar_render.py [--events 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from app.integrations.calendar_feed import (
    CATEGORY_LABELS,
    MAX_FEED_EVENTS,
    FeedEvent,
    feed_etag,
    render_feed,
)

HOST = "klusmakelaar.example"
TITLES = [
    "Koffie schenken bij de Oosterpoort ☕ — één middag",
    "Tuin opknappen bij buurthuis De Kroon",
    "Boodschappen doen voor buurtgenoten in Selwerd",
    "Voorlezen in de bibliotheek, groep 3; met koekjes",
]


def make_events(count: int, *, seed: int = 42) -> list[FeedEvent]:
    """Build `count` realistic gigs over a year, some cancelled, some signed up for."""
    rng = random.Random(seed)
    categories = sorted(CATEGORY_LABELS["nl"])
    first = datetime(2027, 1, 4, 8, tzinfo=UTC)
    events = []
    for gig_id in range(1, count + 1):
        starts_at = first + timedelta(hours=rng.randrange(0, 365 * 24))
        events.append(
            FeedEvent(
                gig_id=gig_id,
                title=f"{rng.choice(TITLES)} #{gig_id}",
                description="Onkruid wieden, een border aanleggen en daarna samen soep eten.",
                organization_name="Stichting Buurtwerk Groningen",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=rng.randint(1, 4)),
                updated_at=starts_at - timedelta(days=rng.randint(1, 30)),
                address="Trompsingel 27",
                area="Oosterpoort",
                postcode="9724 AB",
                lat=53.21 + rng.random() / 100,
                lon=6.57 + rng.random() / 100,
                url=f"https://{HOST}/gigs/{gig_id}",
                category=rng.choice(categories),
                spots_left=rng.randint(0, 10),
                sequence=rng.randint(0, 3),
                status="cancelled" if rng.random() < 0.05 else "open",
                signed_up=rng.random() < 0.1,
                signup_size=rng.randint(2, 8),
            )
        )
    return events


def main() -> None:
    """Print the median render time and feed size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=MAX_FEED_EVENTS)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    events = make_events(args.events)
    render_feed(name="Bench", events=events[:10], host=HOST)  # warm up imports and zoneinfo
    timings: list[float] = []
    bodies: set[bytes] = set()
    for _ in range(args.runs):
        started = time.perf_counter()
        body = render_feed(name="Klussen in Groningen", events=events, host=HOST)
        timings.append(time.perf_counter() - started)
        bodies.add(body)
    crlf_lines = body.count(b"\r\n")

    print(f"events:            {args.events} (MAX_FEED_EVENTS in the service: {MAX_FEED_EVENTS})")
    print(f"runs:              {args.runs}")
    print(f"render median:     {statistics.median(timings) * 1000:.0f} ms")
    print(f"render min / max:  {min(timings) * 1000:.0f} / {max(timings) * 1000:.0f} ms")
    print(f"per event:         {statistics.median(timings) / args.events * 1e6:.0f} µs")
    print(f"body:              {len(body):,} bytes ({len(body) / args.events:.0f} bytes/event)")
    print(f"lines:             {crlf_lines:,}")
    print(f"distinct bodies:   {len(bodies)} (1 = deterministic), etag {feed_etag(body)}")


if __name__ == "__main__":
    main()
