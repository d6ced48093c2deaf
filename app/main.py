"""create_app(): settings, lifespan, middleware, routers and error handlers; nothing else."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.config import Settings, get_settings
from app.cors import install_cors
from app.db import Database
from app.errors import install_error_handlers
from app.http_methods import HeadMiddleware
from app.idempotency import IdempotencyMiddleware
from app.idempotency_store import IdempotencyStore
from app.integrations.channels import Channels
from app.logging_setup import configure_logging
from app.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.migrate import head_revision
from app.openapi import install_openapi
from app.routers import (
    api_keys,
    associations,
    attestations,
    calendars,
    check_in,
    events,
    gig_series,
    gigs,
    integrations,
    matching,
    messages,
    operations,
    organizations,
    reports,
    signups,
    volunteers,
)
from app.routers.operations import SWAGGER_ASSETS
from app.services.caches import Caches
from app.services.dispatcher import Dispatcher, DispatchMetrics
from app.web import check_in_page, pages, signup_pages

logger = logging.getLogger("klusmakelaar")

DESCRIPTION = """\
Klusmakelaar brokers short, flexible volunteer tasks ("gigs") in Groningen.

Errors are RFC 9457 `application/problem+json`. Lists use keyset cursors
(`limit` 1–200, `cursor` = the previous page's `next_cursor`). Every `POST` honours
`Idempotency-Key`. Authenticate with `Authorization: Bearer <token>`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application for ``settings`` (by default, from the environment)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    database = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
    )

    metrics_registry = CollectorRegistry()
    metrics = DispatchMetrics(metrics_registry)
    database.listen(metrics.written)
    channels = Channels.from_settings(settings)
    dispatcher = Dispatcher(
        database,
        allow_insecure=settings.webhook_allow_insecure,
        retention=timedelta(days=settings.event_retention_days),
        metrics=metrics,
        channels=channels,
        public_base_url=settings.public_base_url,
        reminder_hours=settings.reminder_moments,
        quiet_hours=settings.quiet_window,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await check_connection_budget(database, settings)
        delivering = None
        if settings.dispatcher:
            database.listen(dispatcher.wake)
            delivering = asyncio.get_running_loop().create_task(dispatcher.run())
        # What exists once the app is built lives as long as the process: out of the
        # garbage collector's full passes, which otherwise walk it (~180,000 objects,
        # ~100 ms) whenever enough short-lived request objects reached the oldest
        # generation: every second or so under load, seen as p99 stalls.
        gc.freeze()
        yield
        gc.unfreeze()
        if delivering is not None:
            database.unlisten(dispatcher.wake)
            await dispatcher.stop()
            await delivering
        await database.close()

    app = FastAPI(
        title="Klusmakelaar API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry hook looks up the global providers (and the
        # environment) on every request: ~5 % of a sign-up's CPU. The service exports
        # Prometheus metrics (`/metrics`) and logs with request ids instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.head_revision = head_revision()
    app.state.idempotency = IdempotencyStore(database)
    app.state.caches = Caches.create(settings)
    app.state.metrics_registry = metrics_registry
    app.state.dispatcher = dispatcher
    app.state.channels = channels

    for module in (
        operations,
        # The hot paths first: routes are matched in order. A gig's page is what a link
        # shared in a group opens; calendar clients poll.
        pages,
        calendars,
        gigs,
        signups,
        check_in,
        gig_series,
        organizations,
        api_keys,
        volunteers,
        attestations,
        associations,
        matching,
        integrations,
        events,
        messages,
        reports,
        signup_pages,
        check_in_page,
    ):
        app.include_router(module.router)
    # The polled reads first, ahead of every FastAPI route (`app.hot_routes`).
    app.router.routes[0:0] = [*gigs.hot_routes, *calendars.hot_routes, *reports.hot_routes]
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")

    install_error_handlers(app)
    install_openapi(app)
    # Outermost last: the request id wraps the rest, the body limit wraps idempotency,
    # and HEAD is routed as GET innermost (the log and metrics still say HEAD).
    app.add_middleware(HeadMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, registry=app.state.metrics_registry)
    if settings.trusted_proxies:  # the client address for everything inside
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_cors(app, settings.allowed_origins)  # around everything, 500s included
    return app


class TooManyConnections(RuntimeError):
    """The workers' pools together could open more connections than the database allows."""


async def check_connection_budget(database: Database, settings: Settings) -> None:
    """Refuse to start when workers x pool size exceeds PostgreSQL's connection limit."""
    budget = await database.connection_budget()
    # Each worker: its pool, and one connection that reads the data version.
    wanted = settings.workers * (settings.db_pool_size + 1)
    if budget is not None and wanted > budget:
        raise TooManyConnections(
            f"{settings.workers} workers x (KLUSMAKELAAR_DB_POOL_SIZE={settings.db_pool_size} "
            f"+ 1) = {wanted} connections, but the database allows {budget}: lower the pool size "
            "or the workers, or raise PostgreSQL's max_connections"
        )
