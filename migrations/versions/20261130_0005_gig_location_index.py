"""A GiST index on each gig's point, for `near` on PostgreSQL (SQLite: nothing).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_gigs_location", "gigs", [sa.text("point(lon, lat)")], postgresql_using="gist"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_gigs_location", table_name="gigs", postgresql_using="gist")
