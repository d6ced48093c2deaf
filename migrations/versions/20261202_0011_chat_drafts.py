"""Chat drafts: a draft gig from a chat message waits for its sender's answer (7 days).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_drafts",
        sa.Column("gig_id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gig_id"], ["gigs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gig_id"),
    )
    op.create_index(
        "ix_chat_drafts_sender", "chat_drafts", ["sender", "channel", "created_at"], unique=False
    )
    op.create_index("ix_chat_drafts_expires_at", "chat_drafts", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_chat_drafts_expires_at", table_name="chat_drafts")
    op.drop_index("ix_chat_drafts_sender", table_name="chat_drafts")
    op.drop_table("chat_drafts")
