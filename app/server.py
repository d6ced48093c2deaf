"""How `klusmakelaar serve` runs uvicorn: its limits, and a request head of bounded size."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import Settings

#: The request line and headers together; more is answered 431 and the connection closed.
MAX_HEAD_BYTES = 64 * 1024
#: After SIGTERM, requests still running get this long before they are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 5

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 36\r\n"
    b"connection: close\r\n\r\n"
    b"The request headers are too large.\r\n"
)


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over `MAX_HEAD_BYTES`.

    httptools itself keeps a header of any size in memory (uvicorn's h11 limit does not
    apply to it). Bytes received while a head is incomplete are counted; a chunk that
    also ends the previous message counts whole, which only errs on the side of refusing.
    """

    _head_bytes = 0
    _head_complete = False

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_complete or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self.logger.warning("Refused a request head over %d bytes.", MAX_HEAD_BYTES)
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._head_complete = False

    def on_headers_complete(self) -> None:
        self._head_complete = True
        super().on_headers_complete()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `uvicorn.run` for ``settings``.

    Forwarded headers are not uvicorn's business here: the app reads them itself, from
    `KLUSMAKELAAR_FORWARDED_ALLOW_IPS` only (`create_app`), however it is served.
    """
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        "http": HeadLimitedHttpToolsProtocol,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
