"""Inbound chat messages (WhatsApp Cloud API, WAHA, bridges): unique per channel and
message id, with the gig and the reply each became.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 00:05:50.204160
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gig_id", sa.String(length=40), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "channel IN ('whatsapp', 'waha', 'bridge')", name=op.f("ck_inbound_messages_channel")
        ),
        sa.ForeignKeyConstraint(
            ["gig_id"],
            ["gigs.id"],
            name=op.f("fk_inbound_messages_gig_id_gigs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbound_messages_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint(
            "channel", "message_id", name=op.f("uq_inbound_messages_channel_message_id")
        ),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_messages_gig_id"), ["gig_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index("ix_inbound_messages_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_status_id")
        batch_op.drop_index(batch_op.f("ix_inbound_messages_organization_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_messages_gig_id"))

    op.drop_table("inbound_messages")
