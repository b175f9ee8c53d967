"""Delivery of the sealed PDF by e-mail, and follow-up requests of unfinished interventions.

Neither table holds personal data: no address, no server reply (which may quote one),
only ids, states, codes, dates and a hash of the Message-ID.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        # The primary key is the unique constraint that makes a report e-mailed at most once.
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error_code", sa.String(48)),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("message_id_hash", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('email')", name="ck_deliveries_channel"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="ck_deliveries_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_deliveries_attempts"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "followups",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("preferred_date", sa.Date()),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'scheduled', 'closed')", name="ck_followups_status"),
    )
    op.create_index("ix_followups_status", "followups", ["status"])


def downgrade() -> None:
    op.drop_table("followups")
    op.drop_table("deliveries")
