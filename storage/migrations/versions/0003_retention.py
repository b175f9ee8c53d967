"""Retention: report facts for policies, events, legal holds, review queue, statistics.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("site_country", sa.String(2)))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("restricted_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("restriction_reason", sa.String(80)))
    op.create_table(
        "report_events",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(64)),
        sa.Column("released_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "review_queue",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("policy_ref", sa.String(120), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("extended_until", sa.Date()),
        sa.Column("override_policy", sa.String(80)),
    )
    op.create_index("ix_review_queue_status", "review_queue", ["status"])
    op.create_table(
        "statistical_records",
        sa.Column("report_id", sa.String(40), primary_key=True),
        sa.Column("template_id", sa.String(130)),
        sa.Column("client_kind", sa.String(16)),
        sa.Column("area", sa.String(8)),
        sa.Column("period", sa.String(7)),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_statistical_records_template_id", "statistical_records", ["template_id"])


def downgrade() -> None:
    op.drop_table("statistical_records")
    op.drop_table("review_queue")
    op.drop_table("legal_holds")
    op.drop_table("report_events")
    with op.batch_alter_table("reports") as batch:
        for column in ("restriction_reason", "restricted_at", "archived_at", "site_country", "tags"):
            batch.drop_column(column)
