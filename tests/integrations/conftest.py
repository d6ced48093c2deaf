"""The standard app, with the integrations router included if `create_app` does not yet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.routers import integrations

BRIDGE_PATH = "/api/v1/integrations/bridge/messages"


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The application on the test's database, with the WhatsApp and bridge endpoints."""
    application = create_app(settings)
    if not any(getattr(route, "path", None) == BRIDGE_PATH for route in application.routes):
        application.include_router(integrations.router)
    yield application
    application.state.database.dispose()
