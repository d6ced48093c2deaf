"""Requirements: a gig's minimum age, VOG and driving licence; a volunteer's birth date;
attestations that an organisation saw a VOG or licence (never the document).

Columns are added in place (no table copy on SQLite), so migration 0007's row-version
triggers stay as they are.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("gigs", sa.Column("min_age", sa.Integer(), nullable=True))
    op.add_column(
        "gigs",
        sa.Column("requires_vog", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "gigs",
        sa.Column(
            "requires_driving_licence", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column("volunteers", sa.Column("birth_date", sa.Date(), nullable=True))
    op.create_table(
        "attestations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("volunteer_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("seen_on", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name="fk_attestations_volunteer_id_volunteers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_attestations_organization_id_organizations",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attestations"),
    )
    op.create_index("ix_attestations_volunteer_kind", "attestations", ["volunteer_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_attestations_volunteer_kind", table_name="attestations")
    op.drop_table("attestations")
    # SQLite (3.35+) drops a column in place when nothing indexes it.
    op.drop_column("volunteers", "birth_date")
    op.drop_column("gigs", "requires_driving_licence")
    op.drop_column("gigs", "requires_vog")
    op.drop_column("gigs", "min_age")
