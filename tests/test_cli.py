"""The `klusmakelaar` command and start-up validation of the settings."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN_TOKEN
from tests.factories import ADMIN


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


ROOT = Path(__file__).resolve().parents[1]
#: The console script `pip install -e .` put next to the interpreter, as `make run` starts it.
CONSOLE_SCRIPT = Path(sys.executable).parent / "klusmakelaar"


def _startup_message(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *,
    argv0: str,
    env: dict[str, str],
) -> str:
    """What `serve` prints before it hands over to uvicorn (which is not started here)."""
    monkeypatch.setattr("uvicorn.run", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(sys, "argv", [argv0, "serve"])
    monkeypatch.setenv("KLUSMAKELAAR_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    for name in ("ADMIN_TOKEN", "HOST", "PORT", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(f"KLUSMAKELAAR_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["serve"]) == 0
    finally:
        get_settings.cache_clear()
    return capsys.readouterr().err


@pytest.mark.parametrize("argv0", [str(CONSOLE_SCRIPT), str(ROOT / "app" / "cli.py")])
def test_without_an_admin_token_serve_names_a_command_that_runs(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv0: str,
) -> None:
    # `klusmakelaar` is not on PATH: the venv is not activated (as with `make run`).
    path_without_venv = os.pathsep.join(["/usr/bin", "/bin"])
    monkeypatch.chdir(ROOT)
    message = _startup_message(
        monkeypatch,
        capsys,
        tmp_path,
        argv0=argv0,
        env={"PATH": path_without_venv, "KLUSMAKELAAR_PORT": "8081"},
    )
    assert "http://127.0.0.1:8081" in message
    assert "KLUSMAKELAAR_ADMIN_TOKEN" in message
    command = message.split("`")[-2]
    assert command.endswith(" create-key --role admin --name me")
    assert main(["migrate"]) == 0

    created = subprocess.run(
        shlex.split(command),
        cwd=ROOT,
        env={**os.environ, "PATH": path_without_venv},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "created admin key" in created.stderr
    assert created.stdout.strip()


def test_with_an_admin_token_serve_says_nothing_about_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token = "a-configured-admin-token-0123456789"
    message = _startup_message(
        monkeypatch,
        capsys,
        tmp_path,
        argv0=str(CONSOLE_SCRIPT),
        env={"KLUSMAKELAAR_ADMIN_TOKEN": token, "KLUSMAKELAAR_HOST": "0.0.0.0"},  # noqa: S104
    )
    assert message.strip() == (
        "Klusmakelaar on http://127.0.0.1:8000 — docs at http://127.0.0.1:8000/docs."
    )
    assert token not in message


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", "8000", "http://127.0.0.1:8000"),
        ("127.0.0.1", "8080", "http://127.0.0.1:8080"),
        ("0.0.0.0", "8080", "http://127.0.0.1:8080"),  # noqa: S104
        ("::", "9000", "http://localhost:9000"),
        ("::1", "8000", "http://[::1]:8000"),
        ("klusmakelaar.internal", "80", "http://klusmakelaar.internal"),
    ],
)
def test_public_base_url_follows_host_and_port(
    monkeypatch: pytest.MonkeyPatch, host: str, port: str, expected: str
) -> None:
    monkeypatch.delenv("KLUSMAKELAAR_PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("KLUSMAKELAAR_HOST", host)
    monkeypatch.setenv("KLUSMAKELAAR_PORT", port)
    assert Settings().public_base_url == expected


def test_an_explicit_public_base_url_wins_without_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KLUSMAKELAAR_PORT", "8080")
    monkeypatch.setenv("KLUSMAKELAAR_PUBLIC_BASE_URL", "https://klusmakelaar.example.org/")
    assert Settings().public_base_url == "https://klusmakelaar.example.org"


def test_links_handed_out_follow_the_port(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.delenv("KLUSMAKELAAR_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("KLUSMAKELAAR_HOST", raising=False)
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, port=8080)
    with TestClient(create_app(settings)) as client:
        created = client.post(
            "/api/v1/associations", json={"name": "Vereniging Poort"}, headers=ADMIN
        )
    assert created.status_code == 201, created.text
    assert created.json()["calendar_url"].startswith("http://127.0.0.1:8080/api/v1/")
