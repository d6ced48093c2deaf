"""Programmatic Alembic: upgrade to head, and whether a database is at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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


def is_at_head(engine: Engine, head: str | None) -> bool:
    """Whether the database behind ``engine`` has every migration applied."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return head is not None and tuple(current) == (head,)
