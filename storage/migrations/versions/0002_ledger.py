"""Audit ledger (append-only, enforced by triggers), blind index, erased reports.

Data keys move out of this database into the separate key store (storage.keystore):
a backup of the data must not hold what decrypts it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_entries", "ledger_nodes", "ledger_checkpoints")


def upgrade() -> None:
    op.drop_table("data_keys")
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.create_table(
        "subject_index",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
    )
    op.create_index("ix_subject_index_lookup", "subject_index", ["kind", "digest"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("report_id", sa.String(40)),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
    )
    op.create_index("ix_ledger_entries_report_id", "ledger_entries", ["report_id"])
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO ledger_head (id, size) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only: {action} on {table} refused'); END"
            )
    op.execute(
        "CREATE TRIGGER ledger_head_only_grows BEFORE UPDATE ON ledger_head WHEN NEW.size < OLD.size "
        "BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only: its size cannot decrease'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head "
        "BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only: DELETE on ledger_head refused'); END"
    )


def _postgresql_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION quitus_ledger_append_only() RETURNS trigger AS $$
        BEGIN
            -- nested: PL/pgSQL does not promise to short-circuit AND
            IF TG_TABLE_NAME = 'ledger_head' AND TG_OP = 'UPDATE' THEN
                IF NEW.size >= OLD.size THEN
                    RETURN NEW;
                END IF;
            END IF;
            RAISE EXCEPTION 'the audit ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in (*APPEND_ONLY, "ledger_head"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION quitus_ledger_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION quitus_ledger_append_only()"
        )


def downgrade() -> None:
    raise RuntimeError("the audit ledger cannot be downgraded away: restore a backup instead")
