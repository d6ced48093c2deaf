"""Volunteers, student associations and members, gigs and their skills, rate limits,
instance secrets; association keys and the idempotency subject.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:36:55.488302
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "associations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contractus", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("preferred_categories", sa.JSON(), nullable=False),
        sa.Column("preferred_areas", sa.JSON(), nullable=False),
        sa.Column("calendar_token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_associations")),
        sa.UniqueConstraint("slug", name=op.f("uq_associations_slug")),
    )
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_limit_counters")),
    )
    op.create_table(
        "volunteers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=7), nullable=True),
        sa.Column("area", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("max_hours_per_month", sa.Float(), nullable=True),
        sa.Column("needs_guidance", sa.Boolean(), nullable=False),
        sa.Column("needs_accessible", sa.Boolean(), nullable=False),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_volunteers_access_token_hash")),
        sa.UniqueConstraint("email", name=op.f("uq_volunteers_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_volunteers_phone")),
    )
    op.create_table(
        "association_members",
        sa.Column("association_id", sa.String(length=40), nullable=False),
        sa.Column("volunteer_id", sa.String(length=40), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name=op.f("fk_association_members_association_id_associations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_association_members_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "association_id", "volunteer_id", name=op.f("pk_association_members")
        ),
    )
    with op.batch_alter_table("association_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_association_members_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "gigs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signup_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=7), nullable=True),
        sa.Column("area", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("group_size_min", sa.Integer(), nullable=True),
        sa.Column("group_size_max", sa.Integer(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("accessible", sa.Boolean(), nullable=False),
        sa.Column("guidance_available", sa.Boolean(), nullable=False),
        sa.Column("repeatable", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("confirmed_people", sa.Integer(), nullable=False),
        sa.Column("waitlist_count", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_gigs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gigs")),
    )
    with op.batch_alter_table("gigs", schema=None) as batch_op:
        batch_op.create_index("ix_gigs_area_status", ["area", "status"], unique=False)
        batch_op.create_index(
            "ix_gigs_organization_starts_at", ["organization_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_gigs_status_category_starts_at", ["status", "category", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_gigs_status_created_at", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_gigs_status_lat_lon", ["status", "lat", "lon"], unique=False)
        batch_op.create_index(
            "ix_gigs_status_starts_at", ["status", "starts_at", "id"], unique=False
        )

    op.create_table(
        "gig_skills",
        sa.Column("gig_id", sa.String(length=40), nullable=False),
        sa.Column("skill", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["gig_id"], ["gigs.id"], name=op.f("fk_gig_skills_gig_id_gigs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("gig_id", "skill", name=op.f("pk_gig_skills")),
    )
    with op.batch_alter_table("gig_skills", schema=None) as batch_op:
        batch_op.create_index("ix_gig_skills_skill_gig_id", ["skill", "gig_id"], unique=False)

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("association_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_api_keys_association_id"), ["association_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_association_id_associations"),
            "associations",
            ["association_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_subject"), ["subject"], unique=False
        )
    # The key calendar tokens are derived from: random per installation, made once here.
    secrets_table = sa.table("instance_secrets", sa.column("name"), sa.column("value"))
    op.bulk_insert(secrets_table, [{"name": "calendar", "value": secrets.token_hex(32)}])


def downgrade() -> None:

    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_subject"))
        batch_op.drop_column("subject")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_association_id_associations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_api_keys_association_id"))
        batch_op.drop_column("association_id")

    with op.batch_alter_table("gig_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_gig_skills_skill_gig_id")

    op.drop_table("gig_skills")
    with op.batch_alter_table("gigs", schema=None) as batch_op:
        batch_op.drop_index("ix_gigs_status_starts_at")
        batch_op.drop_index("ix_gigs_status_lat_lon")
        batch_op.drop_index("ix_gigs_status_created_at")
        batch_op.drop_index("ix_gigs_status_category_starts_at")
        batch_op.drop_index("ix_gigs_organization_starts_at")
        batch_op.drop_index("ix_gigs_area_status")

    op.drop_table("gigs")
    with op.batch_alter_table("association_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_association_members_volunteer_id"))

    op.drop_table("association_members")
    op.drop_table("volunteers")
    op.drop_table("rate_limit_counters")
    op.drop_table("instance_secrets")
    op.drop_table("associations")
