"""Batch claims: a worker leases the reports it is about to process.

Several Prefect workers share one PostgreSQL database; each claims a batch with
``FOR UPDATE SKIP LOCKED`` and marks it with its lease, so batches are disjoint and a
dead worker's lease expires.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("claim_expires_at")
        batch.drop_column("claimed_by")
