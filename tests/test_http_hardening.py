"""The HTTP edge: forwarded headers, secrets in logs, security headers, malformed bodies,
a lost database, oversized headers and slow clients at shutdown.

Several tests call `klusmakelaar serve` as a real process, as `make run` and Docker run
it; they share one (its start-up takes seconds), the shutdown test has its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL
from tests.factories import ADMIN
from tests.live_server import serve

_VERIFY_TOKEN = "verify-" + uuid.uuid4().hex
#: Per day: a window that does not end halfway through a test.
_RATE = "3/day"


@dataclass
class ServerProcess:
    """A `klusmakelaar serve` process and where its log goes."""

    base: str
    process: subprocess.Popen[bytes]
    log_path: Path
    database_url: str = ""

    def log(self) -> str:
        """What the process wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server_process(database_url: str, tmp_path: Path, **env: str) -> Iterator[ServerProcess]:
    """`klusmakelaar serve` on a free port; stopped (SIGTERM) at the end."""
    port = _free_port()
    environment = {
        **os.environ,
        "KLUSMAKELAAR_DATABASE_URL": database_url,
        "KLUSMAKELAAR_HOST": "127.0.0.1",
        "KLUSMAKELAAR_PORT": str(port),
        "KLUSMAKELAAR_WORKERS": "1",
        "KLUSMAKELAAR_ADMIN_TOKEN": ADMIN_TOKEN,
        "KLUSMAKELAAR_DISPATCHER": "false",
        "KLUSMAKELAAR_DEMO_DATA": "false",
        "KLUSMAKELAAR_DB_POOL_SIZE": "4",
        "KLUSMAKELAAR_WHATSAPP_VERIFY_TOKEN": _VERIFY_TOKEN,
        **{f"KLUSMAKELAAR_{name.upper()}": value for name, value in env.items()},
    }
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess(base, process, log_path, database_url)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: ServerProcess) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"serve exited: {server.log()}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"serve did not start: {server.log()}")


@pytest.fixture(scope="module")
def server(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One `klusmakelaar serve` process for the tests of this module that only call it."""
    tmp_path = tmp_path_factory.mktemp("served")
    url = migrated_template  # PostgreSQL: the database's URL
    if not POSTGRES_URL:
        shutil.copyfile(migrated_template, tmp_path / "served.db")
        url = f"sqlite:///{tmp_path / 'served.db'}"
    with server_process(url, tmp_path, registration_rate=_RATE) as served:
        yield served


def _forget_rate_limits(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rate_limit_counters"))
    engine.dispose()


def _registration(number: int) -> dict[str, object]:
    return {"name": f"Vrijwilliger {number}", "consent": True, "email": f"r{number}@example.org"}


def _register(base: str, number: int, forwarded_for: str) -> int:
    response = httpx.post(
        f"{base}/api/v1/volunteers",
        json=_registration(number),
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    return response.status_code


# --- Item 2: forwarded headers only from configured proxies ------------------------------


def test_forwarded_for_counts_only_from_configured_proxies(
    server: ServerProcess, settings: Settings
) -> None:
    # Nobody is trusted by default: a client cannot pick a new bucket per request.
    _forget_rate_limits(server.database_url)
    statuses = [_register(server.base, n, f"198.51.100.{n}") for n in range(5)]
    _forget_rate_limits(server.database_url)
    assert statuses == [201, 201, 201, 429, 429]
    # The tests' own live servers follow the same rule.
    app = create_app(settings.model_copy(update={"registration_rate": _RATE}))
    with serve(app) as base:
        statuses = [_register(base, 10 + n, f"198.51.100.{n}") for n in range(4)]
    app.state.database.dispose()
    assert statuses == [201, 201, 201, 429]
    # A configured proxy: each client it forwards has a bucket of its own.
    trusted = settings.model_copy(
        update={"registration_rate": _RATE, "forwarded_allow_ips": "127.0.0.1"}
    )
    app = create_app(trusted)
    with serve(app) as base:
        spread = [_register(base, 20 + n, f"203.0.113.{n}") for n in range(5)]
        one_client = [_register(base, 30 + n, "192.0.2.7") for n in range(4)]
    app.state.database.dispose()
    assert spread == [201] * 5
    assert one_client == [201, 201, 201, 429]


# --- Item 3: secret tokens never in the log ----------------------------------------------


def test_secret_tokens_never_reach_the_log(server: ServerProcess) -> None:
    calendar_token = "cal-" + uuid.uuid4().hex
    feed = httpx.get(
        f"{server.base}/api/v1/associations/asc_nope/calendar.ics",
        params={"token": calendar_token, "lang": "en"},
    )
    verified = httpx.get(
        f"{server.base}/api/v1/integrations/whatsapp/webhook",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": _VERIFY_TOKEN,
            "hub.challenge": "4242",
        },
    )
    refused = httpx.get(
        f"{server.base}/api/v1/integrations/whatsapp/webhook",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": calendar_token + "x",
            "hub.challenge": "1",
        },
    )
    time.sleep(0.2)  # the log lines are written after the response
    log = server.log()
    assert (feed.status_code, verified.status_code, refused.status_code) == (404, 200, 403)
    assert calendar_token not in log
    assert _VERIFY_TOKEN not in log
    feed_lines = [line for line in log.splitlines() if "calendar.ics" in line]
    assert len(feed_lines) == 1, log
    assert "/api/v1/associations/asc_nope/calendar.ics?token=***&lang=en" in feed_lines[0]
    webhook_lines = [line for line in log.splitlines() if "whatsapp/webhook" in line]
    assert len(webhook_lines) == 2, log
    assert all("hub.verify_token=***" in line for line in webhook_lines)
    assert "hub.challenge=4242" in webhook_lines[0]


# --- Item 8: security headers, malformed bodies, a lost database, limits -----------------


def test_nosniff_everywhere_and_personal_data_is_not_stored(client: TestClient) -> None:
    public = client.get("/api/v1/organizations")
    missing = client.get("/api/v1/nothing-here")
    keys = client.get("/api/v1/api-keys", headers=ADMIN)
    denied = client.get("/api/v1/api-keys", headers={"Authorization": "Bearer wrong"})
    registered = client.post(
        "/api/v1/volunteers", json=_registration(1), headers={"Idempotency-Key": "reg-1"}
    )
    replayed = client.post(
        "/api/v1/volunteers", json=_registration(1), headers={"Idempotency-Key": "reg-1"}
    )
    responses = [public, missing, keys, denied, registered, replayed]
    assert [response.status_code for response in responses] == [200, 404, 200, 401, 201, 201]
    assert all(response.headers["x-content-type-options"] == "nosniff" for response in responses)
    # Anonymous reads keep whatever caching their handler chose (none here).
    assert "cache-control" not in public.headers
    assert "cache-control" not in missing.headers
    for personal in (keys, denied, registered, replayed):
        assert personal.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "\xff\xfe", "kind": "initiative"}', id="not-utf8"),
        pytest.param(b'{"name": "Caf\xe9", "kind": "initiative"}', id="latin-1"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
        pytest.param(b'{"name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", id="nested-in-field"),
    ],
)
def test_a_body_that_is_not_utf8_json_is_malformed_json(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/organizations", content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "malformed-json"


@pytest.mark.skipif(not POSTGRES_URL, reason="terminating backends needs PostgreSQL")
def test_a_dropped_database_connection_is_503_with_retry_after(settings: Settings) -> None:
    # The server's connections carry a name of their own: only they are terminated.
    name = "hardening-" + uuid.uuid4().hex[:12]
    url = settings.database_url + ("&" if "?" in settings.database_url else "?")
    app = create_app(settings.model_copy(update={"database_url": f"{url}application_name={name}"}))
    killer = create_engine(settings.database_url)
    try:
        with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/api/v1/api-keys", headers=ADMIN).status_code == 200
            with killer.begin() as connection:
                terminated = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND application_name = :name"
                    ),
                    {"name": name},
                ).scalar_one()
            assert terminated >= 1
            answers = [http.get("/api/v1/api-keys", headers=ADMIN) for _ in range(8)]
    finally:
        killer.dispose()
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses
    assert statuses[-1] == 200  # the pool recovers
    for answer in answers:
        if answer.status_code == 503:
            assert answer.headers["content-type"] == "application/problem+json"
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.json()["type"] == "database-unavailable"


def test_a_huge_request_header_is_refused(server: ServerProcess) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        answer = _send_until_refused(connection, head, total=50 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    # The server is still there for everyone else.
    assert httpx.get(f"{server.base}/healthz").status_code == 200


def _send_until_refused(connection: socket.socket, head: bytes, *, total: int) -> bytes:
    """Send ``head`` and up to ``total`` bytes of header value; what the server answered."""
    chunk = b"a" * (256 * 1024)
    try:
        connection.sendall(head)
        for _ in range(total // len(chunk)):
            connection.sendall(chunk)
        connection.sendall(b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    received = b""
    try:
        while part := connection.recv(65536):
            received += part
            if b"\r\n\r\n" in received:
                break
    except (ConnectionResetError, TimeoutError):
        pass
    return received


def test_a_slow_client_does_not_hold_up_shutdown(database_url: str, tmp_path: Path) -> None:
    with server_process(database_url, tmp_path) as server:
        port = int(server.base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            # Half a request: the headers and the start of a body that never ends.
            slow.sendall(
                b"POST /api/v1/volunteers HTTP/1.1\r\nHost: localhost\r\n"
                b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": '
            )
            drip = threading.Event()

            def trickle() -> None:
                while not drip.wait(1):
                    try:
                        slow.sendall(b" ")
                    except OSError:
                        return

            dripping = threading.Thread(target=trickle, daemon=True)
            dripping.start()
            time.sleep(0.5)
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            finally:
                drip.set()
                dripping.join()
            took = time.monotonic() - started
    assert took < 7, f"shutdown took {took:.1f} s"
