"""Check-in: when a volunteer checked in on the spot, and out again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("signups", sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("signups", sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("signups", "checked_out_at")
    op.drop_column("signups", "checked_in_at")
