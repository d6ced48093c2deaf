"""The `klusmakelaar` command and start-up validation of the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.main import create_app


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_configuration_exits_with_one_line_and_non_zero(tmp_path: Path) -> None:
    result = _run(
        "migrate",
        env={"KLUSMAKELAAR_PORT": "not-a-port", "KLUSMAKELAAR_DATABASE_URL": "sqlite:///x.db"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "KLUSMAKELAAR_PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_weak_admin_token_is_refused() -> None:
    result = _run("migrate", env={"KLUSMAKELAAR_ADMIN_TOKEN": "short"})
    assert result.returncode == 2
    assert "KLUSMAKELAAR_ADMIN_TOKEN" in result.stderr


def test_migrate_then_create_key_prints_a_working_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KLUSMAKELAAR_DATABASE_URL", url)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 0
        assert main(["create-key", "--role", "admin", "--name", "ops"]) == 0
        token = capsys.readouterr().out.strip()
    finally:
        get_settings.cache_clear()
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/api/v1/api-keys", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["items"][0]["name"] == "ops"
