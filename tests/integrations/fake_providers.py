"""Local stand-ins for the message providers, over real HTTP and SMTP on 127.0.0.1.

`providing()` serves both the WhatsApp Cloud API (`POST /{phone_number_id}/messages`) and
WAHA (`POST /api/sendText`). Like a provider that honours idempotency keys, it sends a
message once per `Idempotency-Key`: a retry of an attempt whose answer got lost is
answered with the first message's id and sends nothing. `plan` says how the next
attempts go: "ok", "500" or "400" (nothing sent), or "slow" (sent, but answered after `slow`
seconds, when the caller has given up).

`mailbox()` is an SMTP server (aiosmtpd) that keeps what it receives.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.integrations.receiver import free_port


@dataclass
class Attempt:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeProvider:
    """What the provider got and sent."""

    url: str
    plan: list[str] = field(default_factory=list)
    slow: float = 3.0
    attempts: list[Attempt] = field(default_factory=list)
    #: What went out, once per key: key -> (the provider's id, the request).
    sent: dict[str, tuple[str, Attempt]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def texts(self) -> list[Attempt]:
        """The messages that went out, in order."""
        with self.lock:
            return [attempt for _, attempt in self.sent.values()]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Attempt]:
        """At least ``count`` messages sent, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.texts()) >= count:
                return self.texts()
            time.sleep(0.02)
        raise AssertionError(f"{len(self.texts())} of {count} messages sent in {timeout} s")


@contextmanager
def providing(*, plan: list[str] | None = None, slow: float = 3.0) -> Iterator[FakeProvider]:
    """A fake Cloud API and WAHA server, listening until the block ends."""
    port = free_port()
    provider = FakeProvider(f"http://127.0.0.1:{port}", list(plan or []), slow)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
            attempt = Attempt(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            key = attempt.headers.get("idempotency-key", "")
            with provider.lock:
                provider.attempts.append(attempt)
                behaviour = provider.plan.pop(0) if provider.plan else "ok"
                if behaviour not in ("500", "400") and key not in provider.sent:
                    provider.sent[key] = (f"wamid.{len(provider.sent) + 1}", attempt)
                provider_id = provider.sent[key][0] if key in provider.sent else ""
            if behaviour in ("500", "400"):
                self._answer(int(behaviour), {"error": {"message": "not this time"}})
                return
            if behaviour == "slow":
                time.sleep(provider.slow)
            if self.path.endswith("/messages"):
                self._answer(200, {"messaging_product": "whatsapp",
                                   "messages": [{"id": provider_id}]})  # fmt: skip
            else:
                self._answer(201, {"id": provider_id})

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:
                pass  # the caller gave up waiting

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the SMTP server received."""

    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.mails)} of {count} mails in {timeout} s")


@contextmanager
def mailbox() -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 until the block ends."""
    box = Mailbox(free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=policy.default)
            with box.lock:
                box.mails.append(mail)  # type: ignore[arg-type]
                box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
