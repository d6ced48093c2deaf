"""Messages to people, STOP per number or address, login codes, a volunteer's choice of
notifications, a sign-up's reconfirmation, and the event note that tells people a gig's
time or place changed.

The messages' cursor starts at the head of the event log: events from before this
migration make no messages (nobody is told today about last month's sign-ups).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("note", sa.String(20), nullable=True))
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("volunteer_id", sa.String(40), nullable=True),
        sa.Column("association_id", sa.String(40), nullable=True),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column("gig_id", sa.String(40), nullable=True),
        sa.Column("signup_id", sa.String(40), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(200), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_messages_key")),
    )
    op.create_index("ix_messages_status_next_attempt_at", "messages", ["status", "next_attempt_at"])
    op.create_index("ix_messages_volunteer_id", "messages", ["volunteer_id"])
    op.create_index("ix_messages_organization_id_id", "messages", ["organization_id", "id"])
    op.create_index("ix_messages_gig_id", "messages", ["gig_id"])
    op.create_table(
        "message_opt_outs",
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_message_opt_outs")),
    )
    op.create_table(
        "login_codes",
        sa.Column("volunteer_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"],
            name=op.f("fk_login_codes_volunteer_id_volunteers"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_login_codes")),
    )  # fmt: skip
    with op.batch_alter_table("signups") as batch:
        batch.add_column(sa.Column("reconfirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(sa.Column("notifications", sa.JSON(), nullable=True))
    op.execute(
        "INSERT INTO dispatch_cursor (name, after_txid, after_seq) "
        "SELECT 'messages', COALESCE(MAX(txid), 0), COALESCE(MAX(seq), 0) FROM events"
    )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of the table on SQLite
    # would drop the row-version triggers of migration 0007 with it.
    op.execute("DELETE FROM dispatch_cursor WHERE name = 'messages'")
    op.drop_column("volunteers", "notifications")
    op.drop_column("signups", "reconfirmed_at")
    op.drop_table("message_opt_outs")
    op.drop_table("login_codes")
    op.drop_table("messages")
    op.drop_column("events", "note")
