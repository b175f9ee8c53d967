"""When each job last ran (``job_runs``) and how far the Prefect events were emitted (``event_cursor``).

The cursor starts at the ledger's current size: events are emitted for what is recorded
after the upgrade (a new installation's ledger is empty: from its first entry).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(32), primary_key=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(160), nullable=True),
        sa.Column("last_counts", sa.JSON(), nullable=True),
        sa.Column("overdue_reported_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "event_cursor",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("emitted_to", sa.BigInteger(), nullable=False),
    )
    # Events are emitted for what is recorded from now on: an existing ledger's history is not replayed.
    op.execute("INSERT INTO event_cursor (id, emitted_to) SELECT 1, size FROM ledger_head WHERE id = 1")


def downgrade() -> None:
    op.drop_table("event_cursor")
    op.drop_table("job_runs")
