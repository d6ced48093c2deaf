"""The `klusmakelaar` command: serve, migrate, create-key, demo-data."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from app.config import Settings, get_settings, local_url

T = TypeVar("T")


def _settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"KLUSMAKELAAR_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        )
        print(f"klusmakelaar: invalid configuration: {problems}", file=sys.stderr)
        raise SystemExit(2) from None


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from app.db import Database
    from app.main import TooManyConnections, check_connection_budget
    from app.server import uvicorn_options

    database = Database(settings.database_url, pool_size=1)
    try:
        asyncio.run(_closing(database, check_connection_budget(database, settings)))
    except TooManyConnections as error:
        print(f"klusmakelaar: {error}", file=sys.stderr)
        return 2
    if settings.demo_data:
        _demo_data(settings, _args)

    print(startup_message(settings), file=sys.stderr)
    uvicorn.run("app.main:create_app", **uvicorn_options(settings))
    return 0


def startup_message(settings: Settings) -> str:
    """What `serve` says first: where to go, and how to get an admin key if there is none."""
    address = local_url(settings.host, settings.port)
    message = f"Klusmakelaar on {address} — docs at {address}/docs."
    if settings.admin_token is None:
        message += (
            " No admin token: set KLUSMAKELAAR_ADMIN_TOKEN (24+ characters: `openssl rand "
            f"-hex 32`) or run `{command_name()} create-key --role admin --name me`."
        )
    return message


def command_name() -> str:
    """This command as it can be typed here: `klusmakelaar` when that name on PATH is this
    command, else its path (`.venv/bin/klusmakelaar`), else `python -m app.cli`."""
    script = Path(sys.argv[0])
    if script.name != "klusmakelaar":  # run as `python -m app.cli`: the script of its venv
        script = Path(sys.executable).parent / "klusmakelaar"
    if not script.is_file():
        return f"{shlex.quote(sys.executable)} -m app.cli"
    on_path = shutil.which("klusmakelaar")
    if on_path is not None and Path(on_path).resolve() == script.resolve():
        return "klusmakelaar"
    if script.is_absolute() and script.is_relative_to(Path.cwd()):
        script = script.relative_to(Path.cwd())
    typed = str(script)
    return shlex.quote(typed if os.sep in typed else f".{os.sep}{typed}")


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from app.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)
    print("database migrated to the head revision", file=sys.stderr)
    return 0


def _create_key(settings: Settings, args: argparse.Namespace) -> int:
    from app.db import Database
    from app.errors import AppError
    from app.schemas.api_key import ApiKeyCreate
    from app.services import api_keys

    database = Database(settings.database_url, pool_size=1)
    try:
        key_in = ApiKeyCreate(
            name=args.name,
            role=args.role,
            organization_id=args.organization,
            association_id=args.association,
        )
        key, token = asyncio.run(_closing(database, api_keys.create(database, key_in=key_in)))
    except (AppError, ValidationError) as error:
        print(f"klusmakelaar: {error}", file=sys.stderr)
        return 2
    print(f"created {key.role} key {key.id}; the token is shown only this once:", file=sys.stderr)
    print(token)
    return 0


def _demo_data(settings: Settings, _args: argparse.Namespace) -> int:
    from app.db import Database
    from app.services.demo_data import load_demo_data

    database = Database(settings.database_url, pool_size=1)
    loaded = asyncio.run(_closing(database, load_demo_data(database)))
    print(
        "demo data loaded" if loaded else "the database is not empty: demo data not loaded",
        file=sys.stderr,
    )
    return 0


async def _closing(database: Any, work: Awaitable[T]) -> T:
    """``work``, then the database's connections closed (one command, one event loop)."""
    try:
        return await work
    finally:
        await database.close()


def _dispatch(settings: Settings, _args: argparse.Namespace) -> int:
    """Deliver webhooks and messages in this process until interrupted (as the app's
    processes do)."""
    import signal
    from datetime import timedelta

    from app.db import Database
    from app.integrations.channels import Channels
    from app.services.dispatcher import Dispatcher, DispatchMetrics

    database = Database(settings.database_url, pool_size=4)
    dispatcher = Dispatcher(
        database,
        allow_insecure=settings.webhook_allow_insecure,
        retention=timedelta(days=settings.event_retention_days),
        metrics=DispatchMetrics(None),
        channels=Channels.from_settings(settings),
        public_base_url=settings.public_base_url,
        reminder_hours=settings.reminder_moments,
        quiet_hours=settings.quiet_window,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, lambda: loop.create_task(dispatcher.stop()))
        print("delivering webhooks and messages; stop with Ctrl-C", file=sys.stderr)
        await _closing(database, dispatcher.run())

    asyncio.run(run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="klusmakelaar", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API (KLUSMAKELAAR_HOST, _PORT, _WORKERS)")
    commands.add_parser("migrate", help="apply the database migrations")
    key = commands.add_parser("create-key", help="issue an API key and print its token once")
    key.add_argument(
        "--role", required=True, choices=["admin", "organization", "association", "integration"]
    )
    key.add_argument("--name", required=True)
    bound = key.add_mutually_exclusive_group()
    bound.add_argument("--organization", metavar="ID")
    bound.add_argument("--association", metavar="ID")
    commands.add_parser("demo-data", help="load the demo data set into an empty database")
    commands.add_parser(
        "dispatch",
        help="deliver webhooks (also done by `serve` unless KLUSMAKELAAR_DISPATCHER=false)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `klusmakelaar` command."""
    args = build_parser().parse_args(argv)
    settings = _settings_or_exit()
    handlers = {
        "serve": _serve,
        "migrate": _migrate,
        "create-key": _create_key,
        "demo-data": _demo_data,
        "dispatch": _dispatch,
    }
    return handlers[args.command](settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
