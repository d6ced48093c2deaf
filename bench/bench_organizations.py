"""GET /api/v1/organizations?limit=50 (200 organisations) against GET /healthz.

Usage: .venv/bin/python bench/bench_organizations.py [--database-url URL] [--seconds N]
Default database: a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.migrate import upgrade_to_head
from app.schemas.organization import OrganizationCreate
from app.services import organizations
from bench.http_load import print_table, run_wrk, running_server, seed_session


def seed(database_url: str, count: int) -> None:
    """Migrate and insert ``count`` organisations."""
    upgrade_to_head(database_url)
    with seed_session(database_url) as session, session.begin():
        for index in range(count):
            organizations.create(
                session=session,
                organization_in=OrganizationCreate(
                    name=f"Organisatie {index}",
                    email=f"info{index}@org.example",
                    description="Vrijwilligerswerk in Groningen. " * 4,
                    whatsapp_numbers=[f"+316{10000000 + index}"],
                ),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        seed(url, 200)
        with running_server(url) as base:
            run_wrk(base, "/healthz", seconds=2)  # warm-up
            baseline = run_wrk(base, "/healthz", seconds=args.seconds)
            listing = run_wrk(base, "/api/v1/organizations?limit=50", seconds=args.seconds)
        print(f"database: {url.split(':')[0]}, 32 connections, {args.seconds} s per run")
        print_table([listing], baseline)


if __name__ == "__main__":
    main()
