"""Programmatic Alembic: upgrade to head, and whether a database is at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import DBAPIError

from app.db import Database

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, pointed at ``database_url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration that is not applied yet."""
    command.upgrade(alembic_config(database_url), "head")


def head_revision() -> str | None:
    """The newest revision in the migrations folder."""
    config = alembic_config("sqlite://")
    return ScriptDirectory.from_config(config).get_current_head()


_VERSIONS = Table("alembic_version", MetaData(), Column("version_num", String(32)))


async def is_at_head(database: Database, head: str | None) -> bool:
    """Whether the database has every migration applied (raises when it is unreachable)."""
    async with database.read() as tx:
        try:
            current = await tx.scalars(select(_VERSIONS.c.version_num))
        except DBAPIError as error:
            if "alembic_version" in str(error.orig):  # never migrated: no such table
                return False
            raise
    return head is not None and current == [head]
