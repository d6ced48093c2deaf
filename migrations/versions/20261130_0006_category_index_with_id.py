"""The category listing's index ends with the id, the tie-break of its order: a page is
read from the index in order, without a sort.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_gigs_status_category_starts_at"


def upgrade() -> None:
    op.drop_index(NAME, table_name="gigs")
    op.create_index(NAME, "gigs", ["status", "category", "starts_at", "id"])
    _restore_statistics()


def downgrade() -> None:
    op.drop_index(NAME, table_name="gigs")
    op.create_index(NAME, "gigs", ["status", "category", "starts_at"])
    _restore_statistics()


def _restore_statistics() -> None:
    """SQLite: an analysed database loses the old index's statistics with it and has none
    for the new one, and the planner then prefers the new index for every list (a sort
    of all open gigs). Analyse the table again, where it had been analysed before."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL keeps statistics per column, not per index
    analysed = bind.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).first()
    if analysed and bind.execute(sa.text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'gigs'")).first():
        op.execute("ANALYZE gigs")
