"""Test fixtures: a database built from the migrations, the app, an HTTP client, tokens.

SQLite (the default): the migrations run once into a template file, and every test gets
its own copy. PostgreSQL (KLUSMAKELAAR_TEST_DATABASE_URL set): the migrations run once,
and every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.config import Settings
from app.main import create_app
from app.migrate import upgrade_to_head
from app.models import Base

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
POSTGRES_URL = os.environ.get("KLUSMAKELAAR_TEST_DATABASE_URL")


def _normalise(url: str) -> str:
    return (
        "postgresql+psycopg://" + url.removeprefix("postgresql://")
        if url.startswith("postgresql://")
        else url
    )


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the migration head: a SQLite template file, or the PostgreSQL URL."""
    if POSTGRES_URL:
        url = _normalise(POSTGRES_URL)
        upgrade_to_head(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database for one test."""
    if POSTGRES_URL:
        yield migrated_template
        engine = create_engine(migrated_template)
        # instance_secrets is made by a migration, not by tests: it stays.
        tables = ", ".join(
            f'"{table.name}"'
            for table in Base.metadata.sorted_tables
            if table.name != "instance_secrets"
        )
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for one test: its own database and a known admin token."""
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        public_base_url="https://klusmakelaar.test",
        whatsapp_app_secret="test-whatsapp-secret",
        whatsapp_verify_token="test-verify-token",
        waha_hmac_key="test-waha-key",
        registration_rate="1000/minute",
        # No deliveries in the background of tests about other things (the webhook
        # tests turn it on).
        dispatcher=False,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The application on the test's database."""
    application = create_app(settings)
    yield application
    application.state.database.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (httpx through the ASGI interface)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin() -> dict[str, str]:
    """Headers of the bootstrap admin."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
