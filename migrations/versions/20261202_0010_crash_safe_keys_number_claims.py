"""Idempotency claims carry a token (only the claiming request records its outcome);
WhatsApp numbers asked for by an organisation key wait for the number's own answer.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("idempotency_records", sa.Column("claim", sa.String(32), nullable=True))
    op.create_table(
        "whatsapp_number_claims",
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "number"),
    )
    op.create_index(
        "ix_whatsapp_number_claims_number", "whatsapp_number_claims", ["number"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_whatsapp_number_claims_number", table_name="whatsapp_number_claims")
    op.drop_table("whatsapp_number_claims")
    op.drop_column("idempotency_records", "claim")
