"""A real HTTP receiver for webhook deliveries, on 127.0.0.1, in a thread of the test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as it arrived."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What a receiver got, and how it answers: ``statuses`` in turn (then 200), after
    ``delay`` seconds."""

    url: str
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def ids(self) -> list[str]:
        """The `webhook-id` of every request, in arrival order."""
        with self.lock:
            return [request.headers["webhook-id"] for request in self.received]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """At least ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"got {len(self.received)} of {count} requests in {timeout} s")


def free_port() -> int:
    """A port nobody listens on (for now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def receiving(
    port: int | None = None, *, statuses: list[int] | None = None, delay: float = 0.0
) -> Iterator[Receiver]:
    """A receiver listening until the block ends."""
    port = port or free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}/hooks", list(statuses or []), delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
            time.sleep(receiver.delay)
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            with receiver.lock:
                receiver.answered += 1

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # (5 by default: connections beyond it wait a second)
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait until ``check()`` holds (up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")
