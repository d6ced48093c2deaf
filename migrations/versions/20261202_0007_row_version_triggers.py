"""The database keeps every row's `version` and `updated_at`: a trigger on each UPDATE.

ETags and the caches (rendered gigs, the matching pool) rely on "a row that changed has a
new version". Until now each statement had to remember it; a plain `UPDATE gigs SET ...`
that forgot left stale lists and pools behind. From here the database does it for every
UPDATE, whatever statement: `version` grows by one (unless the statement set it), and
`updated_at` becomes the current time (unless the statement set it). Sign-ups have no
version; their `updated_at` is kept the same way.

SQLite cannot change NEW in a trigger: an AFTER trigger updates the row once more
(SQLite's `recursive_triggers` is off, and the WHEN clause stops it anyway). Its RETURNING
shows the row as the statement left it, before the trigger: read the row again for its
new version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("gigs", "volunteers", "organizations", "associations")
STAMPED = ("signups",)
# 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, as SQLAlchemy stores datetimes in SQLite.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION stamp_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.version IS NOT DISTINCT FROM OLD.version THEN
                    NEW.version := OLD.version + 1;
                END IF;
                IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
                    NEW.updated_at := clock_timestamp();
                END IF;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            """
            CREATE FUNCTION stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
                    NEW.updated_at := clock_timestamp();
                END IF;
                RETURN NEW;
            END $$
            """
        )
        for table in VERSIONED:
            op.execute(
                f"CREATE TRIGGER {table}_row_version BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION stamp_row_version()"
            )
        for table in STAMPED:
            op.execute(
                f"CREATE TRIGGER {table}_row_version BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION stamp_updated_at()"
            )
        return
    for table in VERSIONED:
        op.execute(
            f"""
            CREATE TRIGGER {table}_row_version AFTER UPDATE ON {table}
            FOR EACH ROW WHEN NEW.version IS OLD.version
            BEGIN
                UPDATE {table} SET
                    version = OLD.version + 1,
                    updated_at = CASE WHEN NEW.updated_at IS OLD.updated_at
                                 THEN {_SQLITE_NOW} ELSE NEW.updated_at END
                WHERE id = NEW.id;
            END
            """  # noqa: S608 (the table names are the constants above)
        )
    for table in STAMPED:
        op.execute(
            f"""
            CREATE TRIGGER {table}_row_version AFTER UPDATE ON {table}
            FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
            BEGIN
                UPDATE {table} SET updated_at = {_SQLITE_NOW} WHERE id = NEW.id;
            END
            """  # noqa: S608 (the table names are the constants above)
        )


def downgrade() -> None:
    for table in (*VERSIONED, *STAMPED):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_row_version ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_row_version")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION stamp_row_version()")
        op.execute("DROP FUNCTION stamp_updated_at()")
