"""The app in processes of its own, as `make run` starts it: for tests that kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.integrations.receiver import free_port

ROOT = Path(__file__).resolve().parents[1]


class AppProcess:
    """`uvicorn app.main:create_app` in a process of its own, as `make run` starts it."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        env = {
            **os.environ,
            "KLUSMAKELAAR_DATABASE_URL": database_url,
            "KLUSMAKELAAR_ADMIN_TOKEN": ADMIN_TOKEN,
            "KLUSMAKELAAR_WEBHOOK_ALLOW_INSECURE": "true",
            "KLUSMAKELAAR_DB_POOL_SIZE": "4",
            "KLUSMAKELAAR_LOG_LEVEL": "WARNING",
        }
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"the app did not start: {self.log.read()!r}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not become ready in 30 s")
            time.sleep(0.1)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = httpx.post(self.base + path, json=body, headers=headers, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def kill(self) -> None:
        """`kill -9`: no shutdown, no finishing what is in flight."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.seek(0)
        self.output = self.log.read().decode(errors="replace")
        self.log.close()


@contextmanager
def app_process(database_url: str) -> Iterator[AppProcess]:
    """An app process for the block; it must log no error (a failing dispatcher round
    would only show there)."""
    process = AppProcess(database_url)
    try:
        yield process
    finally:
        process.stop()
    assert "Traceback" not in process.output, process.output[-3000:]


def organisation_key(app: AppProcess, name: str = "Buurthuis De Wijert") -> dict[str, str]:
    """A new organisation in ``app`` and the headers of its own key."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    org = app.post("/organizations", {"name": name}, admin)
    key = app.post("/api-keys", {"name": "org", "role": "organization",
                                 "organization_id": org["id"]}, admin)  # fmt: skip
    return {"Authorization": f"Bearer {key['token']}"}
