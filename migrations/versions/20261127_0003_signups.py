"""Sign-ups and the volunteers named in group sign-ups; the gig's sign-up counter and
the capacity check constraint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:55:08.774184
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "signups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("gig_id", sa.String(length=40), nullable=False),
        sa.Column("volunteer_id", sa.String(length=40), nullable=True),
        sa.Column("association_id", sa.String(length=40), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("queue_number", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name=op.f("fk_signups_association_id_associations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["gig_id"], ["gigs.id"], name=op.f("fk_signups_gig_id_gigs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_signups_volunteer_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signups")),
    )
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signups_association_status", ["association_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_signups_gig_status_queue", ["gig_id", "status", "queue_number"], unique=False
        )
        batch_op.create_index(
            "ix_signups_volunteer_status", ["volunteer_id", "status"], unique=False
        )

    op.create_table(
        "signup_members",
        sa.Column("signup_id", sa.String(length=40), nullable=False),
        sa.Column("volunteer_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["signup_id"],
            ["signups.id"],
            name=op.f("fk_signup_members_signup_id_signups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_signup_members_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("signup_id", "volunteer_id", name=op.f("pk_signup_members")),
    )
    with op.batch_alter_table("signup_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signup_members_volunteer_id"), ["volunteer_id"], unique=False
        )

    with op.batch_alter_table("gigs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signup_counter", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint(
            op.f("ck_gigs_capacity"),
            "confirmed_people >= 0 AND confirmed_people <= capacity AND waitlist_count >= 0",
        )


def downgrade() -> None:

    with op.batch_alter_table("gigs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_gigs_capacity"), type_="check")
        batch_op.drop_column("signup_counter")

    with op.batch_alter_table("signup_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signup_members_volunteer_id"))

    op.drop_table("signup_members")
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_index("ix_signups_volunteer_status")
        batch_op.drop_index("ix_signups_gig_status_queue")
        batch_op.drop_index("ix_signups_association_status")

    op.drop_table("signups")
