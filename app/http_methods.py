"""HEAD wherever GET is answered (RFC 9110 §9.3.2), written once for every route."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """Answers a HEAD request as the same request with GET would be answered, without
    the body: the same status and headers (Content-Length, ETag, Content-Type), and a 304
    for a matching If-None-Match wherever GET gives one.

    FastAPI's routes answer only the methods they declare, and declaring HEAD on them
    would add a HEAD operation for each to the OpenAPI document. Routing the request as
    GET instead covers every route (API, operations, calendars, docs, static files) and
    leaves the schema alone; a path without GET stays 405. The method is GET only while
    routing and handling: the layers outside (access log, metrics, caching headers) see
    HEAD. The body is dropped here rather than left to the server, so that no ASGI server
    ever sends one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # The scope itself, not a copy: the router records the matched route in it, which
        # the access log and the metrics read afterwards.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_without_body)
        finally:
            scope["method"] = "HEAD"
