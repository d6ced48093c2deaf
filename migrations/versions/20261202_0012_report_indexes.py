"""Reports: an index that holds what the reports read of each sign-up, by gig.

The impact and public reports (`app.services.reports_query`) read the confirmed sign-ups
of a period's gigs, and for returning volunteers those who took part in earlier gigs.
With the sign-up's figures in the index (status, attendance, id, volunteer, association,
size, hours), both are read from the index alone, gig by gig, instead of from the whole
table: a month's report reads that month's sign-ups, not every sign-up there is.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_signups_gig_report"
COLUMNS = ["gig_id", "status", "attended", "id", "volunteer_id", "association_id", "size", "hours"]


def upgrade() -> None:
    op.create_index(NAME, "signups", COLUMNS)
    _restore_statistics()


def downgrade() -> None:
    op.drop_index(NAME, table_name="signups")
    _restore_statistics()


def _restore_statistics() -> None:
    """SQLite: an analysed database has no statistics for a new index, and its planner may
    then prefer it where the older one serves better (a gig's sign-ups in queue order).
    Analyse the table again, where it had been analysed before (as migration 0006 does)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL keeps statistics per column, not per index
    analysed = bind.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).first()
    if (
        analysed
        and bind.execute(sa.text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'signups'")).first()
    ):
        op.execute("ANALYZE signups")
