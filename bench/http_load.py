"""Shared harness for HTTP benchmarks: a real uvicorn server and wrk as the load generator.

The server is pinned to CPU 0 and wrk (compiled, one thread) to CPU 1, so the load
generator never starves the server on a 2-core machine. Every figure is reported next
to `/healthz` on the same server in the same run: ratios hold on a noisy machine.
Needs `wrk` (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"


@dataclass(frozen=True)
class LoadResult:
    """Throughput and latency of one wrk run."""

    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


@contextmanager
def running_server(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    factory: str = "app.main:create_app",
) -> Iterator[str]:
    """A uvicorn server of ``factory`` on a free port for ``database_url``; yields its URL.

    ``env`` adds settings (e.g. a webhook secret) to the server's environment.
    """
    port = _free_port()
    env = {
        **os.environ,
        "KLUSMAKELAAR_DATABASE_URL": database_url,
        "KLUSMAKELAAR_ADMIN_TOKEN": ADMIN_TOKEN,
        "KLUSMAKELAAR_LOG_LEVEL": "WARNING",
        "KLUSMAKELAAR_REGISTRATION_RATE": "1000000/second",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    cpus = "0" if workers == 1 else ",".join(str(cpu) for cpu in range(os.cpu_count() or 1))
    pinned = ["taskset", "-c", cpus, *command] if shutil.which("taskset") else command
    process = subprocess.Popen(pinned, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)?", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, None: 1000.0}[unit]


def run_wrk(
    base: str,
    path: str,
    *,
    seconds: int = 10,
    connections: int = 32,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Load ``path`` with wrk (one thread, pinned to CPU 1) and parse its report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        _pinned(1, [*command, base + path]), capture_output=True, text=True, check=True
    ).stdout
    if "Latency Distribution" not in output:
        raise RuntimeError(f"wrk gave no latency distribution:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _to_ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _to_ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return LoadResult(path, rate, p50, p99, int(errors.group(1)) if errors else 0)


def print_table(results: list[LoadResult], baseline: LoadResult) -> None:
    """Each result with its rate as a ratio to the baseline (`/healthz`)."""
    print(f"{'path':<60} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x healthz':>10} {'non-2xx':>8}")
    for result in [baseline, *results]:
        ratio = result.requests_per_second / baseline.requests_per_second
        print(
            f"{result.path:<60} {result.requests_per_second:>9.0f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {ratio:>10.2f} {result.non_2xx:>8}"
        )


@contextmanager
def scratch_postgres(server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server`` for one run; dropped afterwards."""
    import psycopg

    name = f"klusmakelaar_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclass(frozen=True)
class Job:
    """One request of a scripted load: method, path, headers and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class ScriptedResult:
    """What a scripted load did: its wall time, each request's latency and status."""

    seconds: float
    latencies: list[float]
    statuses: dict[int, int]


def run_script(base: str, jobs: list[Job], *, connections: int = 32) -> ScriptedResult:
    """Send every job exactly once over ``connections`` keep-alive connections.

    For loads where each request differs (a different token, a different gig) and each
    must be sent once, which wrk cannot script with an exact count. Requests are
    preformatted bytes and responses are read by Content-Length on plain asyncio
    streams: a few tens of microseconds per request, so the client is not what is
    measured (httpx spent about 1 ms of CPU per request, more than the server).
    """
    import asyncio

    host, port = base.removeprefix("http://").split(":")
    payloads = []
    for job in jobs:
        head = [f"{job.method} {job.path} HTTP/1.1", f"Host: {host}:{port}"]
        head += [f"{name}: {value}" for name, value in job.headers.items()]
        head.append(f"Content-Length: {len(job.body)}")
        payloads.append(("\r\n".join(head) + "\r\n\r\n").encode() + job.body)

    async def load() -> ScriptedResult:
        queue = iter(payloads)
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        async def connection() -> None:
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                for payload in queue:
                    started = time.perf_counter()
                    writer.write(payload)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                    await reader.readexactly(int(length.group(1)) if length else 0)
                    latencies.append(time.perf_counter() - started)
                    statuses[status] = statuses.get(status, 0) + 1
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(connections)))
        return ScriptedResult(time.perf_counter() - started, latencies, statuses)

    try:
        import uvloop

        return uvloop.run(load())
    except ImportError:  # pragma: no cover - uvloop is a dependency of the service
        return asyncio.run(load())


@contextmanager
def seed_session(database_url: str) -> Iterator[Any]:
    """A plain SQLAlchemy session for seeding and checking (the engine Alembic migrates
    with; the service itself goes through `app.db.Database`)."""
    from sqlalchemy.orm import Session

    from app.db.connections import migration_engine

    engine = migration_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()
