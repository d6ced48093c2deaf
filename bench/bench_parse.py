"""Parse time per message over the test corpus: mean and p99 in microseconds.

Run from the repository root: ``.venv/bin/python bench/bench_parse.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.integrations.message_parser import parse_message
from tests.integrations.message_corpus import CASES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _now(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=AMSTERDAM)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    """Time parse_message on every corpus message, many rounds, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    corpus = [(case.text, _now(case.now)) for case in CASES]
    for text, now in corpus:  # warm caches and compiled patterns
        parse_message(text, now=now)
    samples: list[float] = []
    for _ in range(rounds):
        for text, now in corpus:
            started = time.perf_counter_ns()
            parse_message(text, now=now)
            samples.append((time.perf_counter_ns() - started) / 1000)
    hostile = "1 " * 50_000
    started = time.perf_counter_ns()
    parse_message(hostile, now=corpus[0][1])
    hostile_us = (time.perf_counter_ns() - started) / 1000
    print(f"messages: {len(corpus)}, rounds: {rounds}, parses: {len(samples)}")
    print(f"mean: {statistics.fmean(samples):.1f} us")
    print(f"p50:  {_percentile(samples, 0.50):.1f} us")
    print(f"p99:  {_percentile(samples, 0.99):.1f} us")
    print(f"max:  {max(samples):.1f} us")
    print(f"100 KB hostile input: {hostile_us:.1f} us")
    # p99 on a shared machine mostly measures the neighbours: print how busy it was.
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
