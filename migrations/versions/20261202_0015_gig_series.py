"""Gig series: a recurring gig (an RRULE and the gig each occurrence is made from); each
occurrence is an ordinary gig with its series, its day, and the fields changed alone.

`ix_gigs_series_day` is unique: one occurrence per series and day, so processes that
extend a series at once insert each occurrence once (INSERT ... ON CONFLICT DO NOTHING).
Columns are added in place (no table copy on SQLite: migration 0007's triggers stay).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gig_series",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("rrule", sa.String(500), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("made_until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_gig_series_organization_id_organizations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_gig_series"),
    )
    # No foreign key: SQLite adds none in place, nor drops such a column again.
    op.add_column("gigs", sa.Column("series_id", sa.String(40), nullable=True))
    op.add_column("gigs", sa.Column("series_day", sa.Date(), nullable=True))
    op.add_column("gigs", sa.Column("series_detached", sa.JSON(), nullable=True))
    op.create_index("ix_gigs_series_day", "gigs", ["series_id", "series_day"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_gigs_series_day", table_name="gigs")
    op.drop_column("gigs", "series_detached")
    op.drop_column("gigs", "series_day")
    op.drop_column("gigs", "series_id")
    op.drop_table("gig_series")
