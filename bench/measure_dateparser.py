"""Measure `dateparser` on the message corpus before relying on it, next to our own parser.

For every corpus message with an expected start it asks dateparser in a few fair ways
(``search_dates`` on the whole text with the default and the "ngram" strategy, ``parse``
on the keyed ``Wanneer:``/``When:`` value, and that value with the end of a time range
cut off) and counts how often the first date found has the expected day, and the
expected day and start time. Each call is timed after a warm-up, and so is our own
``parse_message`` on the same messages. Then it shows what dateparser makes of a few
phrases from the contract, by themselves, on Wednesday 2 December 2026, 09:00.

Run from the repository root: ``.venv/bin/python -m bench.measure_dateparser [--rounds N]``.
Needs ``.venv/bin/pip install dateparser``; without it the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.integrations.message_parser import parse_message
from tests.integrations.message_corpus import CASES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LANGUAGES = ["nl", "en"]
GOAL_P99_MS = 2.0
PHRASE_NOW = "2026-12-02 09:00"  # a Wednesday
# The contract's phrases and what we read them as on PHRASE_NOW.
PHRASES: tuple[tuple[str, str], ...] = (
    ("volgende week woensdag", "day 2026-12-09"),
    ("zaterdag 14 december", "day 2026-12-14 (a Monday: weekday and date disagree)"),
    ("14/12", "day 2026-12-14"),
    ("19-12", "day 2026-12-19"),
    ("morgenmiddag", "day 2026-12-03, afternoon, no exact time"),
    ("overmorgen", "day 2026-12-04"),
    ("van 10 tot 13 uur", "time 10:00-13:00, no day"),
    ("10-13u", "time 10:00-13:00, no day"),
    ("tussen 13 en 15 uur", "time 13:00-15:00, no day"),
    ("elke maandag", "every Monday (recurring), first 2026-12-07"),
    ("next week Wednesday", "day 2026-12-09"),
    ("1 december", "day 2027-12-01 (passed yesterday) or ask"),
)
# A keyed line, also behind a chat-export prefix or WhatsApp markup: "📅 *Wanneer:* ...".
_KEY_LINE = re.compile(
    r"(?<![^\W\d_])(wanneer|when|datum|date|tijd|time)[*_~]*\s*:[*_~]*\s*(\S.*)", re.IGNORECASE
)
_TIME_KEYS = frozenset({"tijd", "time"})
# The end of a time range ("10:00-13:00", "van 10 tot 13 uur", "10am-1pm", "tussen 10 en 12
# uur"), not a date ("14-06-2027"): keeps the start so dateparser sees one moment.
_RANGE_END = re.compile(
    r"(?<![\d/.-])(\d{1,2}(?:[:.]\d{2})?\s*(?:uur|u|am|pm)?)\s*(?:-|–|tot|to|until|en)\s*"
    r"\d{1,2}(?:[:.]\d{2})?\s*(?:uur|u|am|pm)?(?![\w:./-])",
    re.IGNORECASE,
)

Found = tuple[str, datetime] | None


@dataclass(frozen=True, slots=True)
class Case:
    """The corpus fields this script relies on (the corpus may gain others)."""

    id: str
    text: str
    now: datetime  # naive local
    start: str  # expected local "YYYY-MM-DD HH:MM"


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of asking dateparser for the start of a message."""

    name: str
    find: Callable[[str, datetime], Found]


def _settings(now: datetime) -> dict[str, Any]:
    return {
        "RELATIVE_BASE": now,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }


def _keyed_value(text: str) -> str | None:
    """The Wanneer:/When:/Datum:/Date: value, with a Tijd:/Time: value after it, if any."""
    day: str | None = None
    clock: str | None = None
    for line in text.splitlines():
        match = _KEY_LINE.search(line)
        if match is None:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key in _TIME_KEYS:
            clock = clock or value
        else:
            day = day or value
    parts = [part for part in (day, clock) if part]
    return " ".join(parts) or None


def _variants(dateparser: Any, search_dates: Callable[..., Any]) -> list[Variant]:
    def search(text: str, now: datetime) -> Found:
        found = search_dates(text, languages=LANGUAGES, settings=_settings(now))
        return (found[0][0], found[0][1]) if found else None

    def search_ngram(text: str, now: datetime) -> Found:
        found = search_dates(text, languages=LANGUAGES, settings=_settings(now), strategy="ngram")
        return (found[0][0], found[0][1]) if found else None

    def parse_keyed(text: str, now: datetime, *, cut: bool = False) -> Found:
        # Without a keyed line, or when parse gives up, fall back to the best search.
        # Other settings were tried: PREFER_DATES_FROM="current_period" gets fewer days
        # right, languages=["nl"] alone fewer, leaving out the "no-spaces-time" parser
        # changes nothing; so these are the settings the brief names.
        value = _keyed_value(text)
        if value is not None:
            if cut:
                value = _RANGE_END.sub(r"\1", value, count=1)
            parsed = dateparser.parse(value, languages=LANGUAGES, settings=_settings(now))
            if parsed is not None:
                return value, parsed
        return search_ngram(text, now)

    return [
        Variant("search_dates(text)", search),
        Variant('search_dates(text, strategy="ngram")', search_ngram),
        Variant("parse(Wanneer value) else ngram", parse_keyed),
        Variant("parse(value, range end cut) else ngram", lambda t, n: parse_keyed(t, n, cut=True)),
    ]


def _local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


def _percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _minute(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _score(found: Found, expected: str) -> tuple[bool, bool]:
    """(right day, right day and start time) for the first date found."""
    if found is None:
        return False, False
    text = _minute(found[1])
    return text[:10] == expected[:10], text == expected


def _short(found: Found) -> str:
    if found is None:
        return "nothing"
    matched = " ".join(found[0].split())
    matched = matched if len(matched) <= 20 else matched[:19] + "…"
    return f"{_minute(found[1])} {matched!r}"


def _time_calls(call: Callable[[], object], rounds: int) -> list[float]:
    samples: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def _our_start(text: str, now: datetime) -> tuple[str, str]:
    """Our parser's (day, start) in local time, or why there is none."""
    try:
        parsed = parse_message(text, now=now.replace(tzinfo=AMSTERDAM))
    except Exception as error:  # the parser is being edited: report, do not stop
        return "error", f"{type(error).__name__}: {error}"
    day = "-" if parsed.day is None else parsed.day.isoformat()
    if parsed.starts_at is None:
        return day, "-"
    return day, _minute(parsed.starts_at.astimezone(AMSTERDAM).replace(tzinfo=None))


def _rate(count: int, total: int) -> str:
    return f"{count:>3}/{total} {100 * count / max(total, 1):3.0f}%"


def main() -> None:
    """Print dateparser's accuracy and speed on the corpus, ours next to it, and the phrases."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per dateparser call")
    parser.add_argument("--our-rounds", type=int, default=100, help="timed rounds for ours")
    args = parser.parse_args()
    try:
        import dateparser
        from dateparser.search import search_dates
    except ImportError:
        print("dateparser is not installed: run `.venv/bin/pip install dateparser` first.")
        return

    cases = [
        Case(str(case.id), str(case.text), _local(case.now), str(case.start))
        for case in CASES
        if getattr(case, "start", None)
    ]
    variants = _variants(dateparser, search_dates)
    print(
        f"dateparser {dateparser.__version__} on Python {platform.python_version()}; "
        f"{len(cases)} of {len(CASES)} corpus messages have an expected start"
    )
    print(
        f"settings: languages={LANGUAGES}, PREFER_DATES_FROM=future, DATE_ORDER=DMY, "
        "RELATIVE_BASE=the case's now (naive local), RETURN_AS_TIMEZONE_AWARE=False"
    )

    # Warm-up pass: loads dateparser's language data and compiles its patterns; its
    # answers are the ones scored (dateparser is deterministic for a given base).
    found = {v.name: [v.find(c.text, c.now) for c in cases] for v in variants}
    ours = [_our_start(c.text, c.now) for c in cases]

    rows: list[tuple[str, int, int, list[float]]] = []
    for variant in variants:
        scores = [_score(hit, c.start) for hit, c in zip(found[variant.name], cases, strict=True)]
        samples: list[float] = []
        for case in cases:
            samples += _time_calls(lambda c=case, v=variant: v.find(c.text, c.now), args.rounds)
        rows.append((variant.name, sum(d for d, _ in scores), sum(b for _, b in scores), samples))
    our_samples: list[float] = []
    for case, (day, _) in zip(cases, ours, strict=True):
        if day == "error":  # printed below the table
            continue
        aware = case.now.replace(tzinfo=AMSTERDAM)
        our_samples += _time_calls(
            lambda c=case, a=aware: parse_message(c.text, now=a), args.our_rounds
        )
    # The cheapest call there is: dateparser.parse on one short keyed value, no search.
    values = [
        (_RANGE_END.sub(r"\1", value, count=1), case.now)
        for case in cases
        if (value := _keyed_value(case.text)) is not None
    ]
    parse_samples: list[float] = []
    for value, now in values:
        settings = _settings(now)
        parse_samples += _time_calls(
            lambda v=value, s=settings: dateparser.parse(v, languages=LANGUAGES, settings=s),
            args.rounds,
        )
    our_day = sum(day == c.start[:10] for (day, _), c in zip(ours, cases, strict=True))
    our_both = sum(start == c.start for (_, start), c in zip(ours, cases, strict=True))
    rows.append(("our parse_message (whole message)", our_day, our_both, our_samples))

    print()
    print(f"{'':42} {'day':>12} {'day+time':>12} {'p50 ms':>8} {'p99 ms':>8}")
    for name, day, both, samples in rows:
        print(
            f"{name:42} {_rate(day, len(cases)):>12} {_rate(both, len(cases)):>12} "
            f"{_percentile(samples, 0.50):8.3f} {_percentile(samples, 0.99):8.3f}"
        )
    print(
        f"{'dateparser.parse(one keyed value) only':42} {'timing only,':>12} "
        f"{f'{len(values)} values':>12} {_percentile(parse_samples, 0.50):8.3f} "
        f"{_percentile(parse_samples, 0.99):8.3f}"
    )
    print(
        f"timed: {args.rounds} rounds per dateparser call, {args.our_rounds} for ours; "
        f"goal p99 <= {GOAL_P99_MS} ms per message for the whole parse"
    )

    for case, (day, why) in zip(cases, ours, strict=True):
        if day == "error":
            print(f"our parser failed on {case.id}: {why}")

    print()
    print("Cases dateparser gets wrong (day or start time); ok = right, same = as before:")
    labels = ["split", "ngram", "parse", "cut"]
    for index, case in enumerate(cases):
        hits = [found[variant.name][index] for variant in variants]
        if all(_score(hit, case.start)[1] for hit in hits):
            continue
        parts: list[str] = []
        for position, (label, hit) in enumerate(zip(labels, hits, strict=True)):
            if _score(hit, case.start)[1]:
                parts.append(f"{label} ok")
            elif position and hit == hits[position - 1]:
                parts.append(f"{label} same")
            else:
                parts.append(f"{label} {_short(hit)}")
        ours_note = "" if ours[index][1] == case.start else f"; ours {ours[index][1]}"
        print(f"  {case.id} (want {case.start}{ours_note})")
        print(f"    {' · '.join(parts)}")

    print()
    now = _local(PHRASE_NOW)
    print(f"Contract phrases by themselves, now {PHRASE_NOW} (Wednesday):")
    for phrase, expected in PHRASES:
        split = search_dates(phrase, languages=LANGUAGES, settings=_settings(now))
        ngram = search_dates(phrase, languages=LANGUAGES, settings=_settings(now), strategy="ngram")
        parsed = dateparser.parse(phrase, languages=LANGUAGES, settings=_settings(now))
        print(f"  {phrase!r}: we read {expected}")
        for label, result in (("split", split), ("ngram", ngram)):
            hits = ", ".join(f"{t!r}→{_minute(d)}" for t, d in result or []) or "nothing"
            print(f"    search {label:5} {hits}")
        print(f"    parse        {_minute(parsed) if parsed else 'nothing'}")
    # p99 on a shared machine mostly measures the neighbours: print how busy it was.
    print()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
