"""Reports: what they count, kept ready (`report_lines`), and which gigs' lines are out
of date (`report_dirty`, kept by triggers).

A report over a million sign-ups spent most of its time joining sign-ups, members and
gigs and telling the same person apart per row. `report_lines` holds a line per person
of each confirmed sign-up of a held gig, with the gig's keys, the sign-up's figures and,
per partition a report can count people in, where the person's previous line started
(`app.models.report_line`). A report then reads each line once.

Triggers add a gig to `report_dirty` when its row, a sign-up of it, or a sign-up's
members change, in the changing transaction, whatever statement made the change. A
report first makes the lines of those gigs again (`app.services.report_lines`). Every
existing gig is marked here, so the first report after this upgrade makes every line.

The mark is an upsert that updates a row already there (`marks + 1`): it locks the row,
so a refresh that takes the gig waits until the marking transaction is over and then
reads what it wrote.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINS = ("all", "org", "area", "category", "association", "org_area", "org_category",
          "org_association")  # fmt: skip
_MARK = (
    "INSERT INTO report_dirty (gig_id, marks) VALUES ({gig}, 1) "
    "ON CONFLICT (gig_id) DO UPDATE SET marks = report_dirty.marks + 1"
)
#: What a gig's trigger watches: what decides whether and how its sign-ups are counted.
_GIG_COLUMNS = "status, starts_at, area, category, organization_id"
_SIGNUP_COLUMNS = "gig_id, volunteer_id, association_id, size, status, attended, hours"


def upgrade() -> None:
    instant = sa.DateTime(timezone=True)
    op.create_table(
        "report_lines",
        sa.Column("signup_id", sa.String(40), nullable=False),
        sa.Column("member", sa.String(40), nullable=False),
        sa.Column("gig_id", sa.String(40), nullable=False),
        sa.Column("starts_at", instant, nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("area", sa.String(100), nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("association_id", sa.String(40), nullable=True),
        sa.Column("person", sa.String(40), nullable=True),
        sa.Column("came", sa.Integer(), nullable=False),
        sa.Column("signups", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("named", sa.Integer(), nullable=False),
        sa.Column("gig_first", sa.Integer(), nullable=False),
        sa.Column("first_came", instant, nullable=True),
        *[
            sa.Column(f"prev_{chain}{came}", instant, nullable=True)
            for chain in CHAINS
            for came in ("", "_came")
        ],
        sa.PrimaryKeyConstraint("signup_id", "member", name="pk_report_lines"),
    )
    op.create_index("ix_report_lines_starts_at", "report_lines", ["starts_at"])
    op.create_index("ix_report_lines_gig_id", "report_lines", ["gig_id"])
    op.create_index("ix_report_lines_person", "report_lines", ["person"])
    op.create_table(
        "report_dirty",
        sa.Column("gig_id", sa.String(40), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("gig_id", name="pk_report_dirty"),
    )
    op.create_table(
        "report_refresh",
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name="pk_report_refresh"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    op.execute("INSERT INTO report_dirty (gig_id, marks) SELECT id, 1 FROM gigs")


def _postgresql_triggers() -> None:
    member_gig = "(SELECT gig_id FROM signups WHERE id = {row}.signup_id)"
    bodies = {
        "report_mark_gig": "IF TG_OP = 'DELETE' THEN {old}; ELSE {new}; END IF;".format(
            old=_MARK.format(gig="OLD.id"), new=_MARK.format(gig="NEW.id")
        ),
        "report_mark_signup": (
            "IF TG_OP <> 'INSERT' THEN {old}; END IF; "
            "IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.gig_id <> OLD.gig_id) "
            "THEN {new}; END IF;"
        ).format(old=_MARK.format(gig="OLD.gig_id"), new=_MARK.format(gig="NEW.gig_id")),
        # A member row deleted with its sign-up has no sign-up left: that one marked it.
        "report_mark_member": (
            "IF TG_OP <> 'INSERT' AND {old_gig} IS NOT NULL THEN {old}; END IF; "
            "IF TG_OP <> 'DELETE' THEN {new}; END IF;"
        ).format(
            old_gig=member_gig.format(row="OLD"),
            old=_MARK.format(gig=member_gig.format(row="OLD")),
            new=_MARK.format(gig=member_gig.format(row="NEW")),
        ),
    }
    for name, body in bodies.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )
    op.execute(
        f"CREATE TRIGGER gigs_report_mark AFTER UPDATE OF {_GIG_COLUMNS} OR DELETE ON gigs "
        "FOR EACH ROW EXECUTE FUNCTION report_mark_gig()"
    )
    op.execute(
        f"CREATE TRIGGER signups_report_mark AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_SIGNUP_COLUMNS} ON signups FOR EACH ROW EXECUTE FUNCTION report_mark_signup()"
    )
    op.execute(
        "CREATE TRIGGER signup_members_report_mark AFTER INSERT OR DELETE OR UPDATE "
        "ON signup_members FOR EACH ROW EXECUTE FUNCTION report_mark_member()"
    )


def _sqlite_triggers() -> None:
    member_gig = "(SELECT gig_id FROM signups WHERE id = {row}.signup_id)"
    # An upsert's INSERT ... VALUES needs no WHERE in a trigger; the WHEN clauses skip
    # what has no gig (a member row deleted with its sign-up).
    triggers = {
        "gigs_report_mark_update": (f"AFTER UPDATE OF {_GIG_COLUMNS} ON gigs", "", "NEW.id"),
        "gigs_report_mark_delete": ("AFTER DELETE ON gigs", "", "OLD.id"),
        "signups_report_mark_insert": ("AFTER INSERT ON signups", "", "NEW.gig_id"),
        "signups_report_mark_update_old": (
            f"AFTER UPDATE OF {_SIGNUP_COLUMNS} ON signups", "", "OLD.gig_id"),
        "signups_report_mark_update_new": (
            f"AFTER UPDATE OF {_SIGNUP_COLUMNS} ON signups",
            "WHEN NEW.gig_id <> OLD.gig_id", "NEW.gig_id"),
        "signups_report_mark_delete": ("AFTER DELETE ON signups", "", "OLD.gig_id"),
        "signup_members_report_mark_insert": (
            "AFTER INSERT ON signup_members", "", member_gig.format(row="NEW")),
        "signup_members_report_mark_update_old": (
            "AFTER UPDATE ON signup_members",
            f"WHEN {member_gig.format(row='OLD')} IS NOT NULL", member_gig.format(row="OLD")),
        "signup_members_report_mark_update_new": (
            "AFTER UPDATE ON signup_members", "", member_gig.format(row="NEW")),
        "signup_members_report_mark_delete": (
            "AFTER DELETE ON signup_members",
            f"WHEN {member_gig.format(row='OLD')} IS NOT NULL", member_gig.format(row="OLD")),
    }  # fmt: skip
    for name, (event, when, gig) in triggers.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH ROW {when} BEGIN {_MARK.format(gig=gig)}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER signup_members_report_mark ON signup_members")
        op.execute("DROP TRIGGER signups_report_mark ON signups")
        op.execute("DROP TRIGGER gigs_report_mark ON gigs")
        for name in ("report_mark_member", "report_mark_signup", "report_mark_gig"):
            op.execute(f"DROP FUNCTION {name}()")
    else:
        triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :like"
        rows = op.get_bind().execute(sa.text(triggers), {"like": "%report_mark%"})
        for (name,) in rows.all():
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("report_refresh")
    op.drop_table("report_dirty")
    op.drop_index("ix_report_lines_person", table_name="report_lines")
    op.drop_index("ix_report_lines_gig_id", table_name="report_lines")
    op.drop_index("ix_report_lines_starts_at", table_name="report_lines")
    op.drop_table("report_lines")
