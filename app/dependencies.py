"""What handlers and dependencies get from the application: its database, settings,
caches and message channels, each made once in `create_app` and reached only through these aliases.

The dependencies are `async` although they do no I/O: FastAPI runs a plain function
dependency in a worker thread, a hand-over that costs more than a sign-up's SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.config import Settings
from app.db import Database

if TYPE_CHECKING:
    from app.integrations.channels import Channels
    from app.services.caches import Caches


def database_of(connection: HTTPConnection) -> Database:
    """The process's database (`app.state.database`)."""
    database: Database = connection.app.state.database
    return database


def settings_of(connection: HTTPConnection) -> Settings:
    """The application's settings (`app.state.settings`)."""
    settings: Settings = connection.app.state.settings
    return settings


def caches_of(connection: HTTPConnection) -> Caches:
    """The application's caches (`app.state.caches`, see `app.services.caches`)."""
    caches: Caches = connection.app.state.caches
    return caches


async def get_database(request: HTTPConnection) -> Database:
    """Dependency: the process's database."""
    return database_of(request)


async def get_app_settings(request: HTTPConnection) -> Settings:
    """Dependency: the application's settings."""
    return settings_of(request)


async def get_caches(request: HTTPConnection) -> Caches:
    """Dependency: the application's caches."""
    return caches_of(request)


async def get_channels(request: HTTPConnection) -> Channels:
    """Dependency: the channels that carry messages to people (from the settings)."""
    channels: Channels = request.app.state.channels
    return channels


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CachesDep = Annotated["Caches", Depends(get_caches)]
ChannelsDep = Annotated["Channels", Depends(get_channels)]
