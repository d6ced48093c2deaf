"""What handlers and dependencies get from the application: its database, settings and
caches, each made once in `create_app` and reached only through these aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.db import Database

if TYPE_CHECKING:
    from app.services.caches import Caches


def get_database(request: Request) -> Database:
    """The process's database (`app.state.database`)."""
    database: Database = request.app.state.database
    return database


def get_app_settings(request: Request) -> Settings:
    """The application's settings (`app.state.settings`)."""
    settings: Settings = request.app.state.settings
    return settings


def get_caches(request: Request) -> Caches:
    """The application's caches (`app.state.caches`, see `app.services.caches`)."""
    caches: Caches = request.app.state.caches
    return caches


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CachesDep = Annotated["Caches", Depends(get_caches)]
