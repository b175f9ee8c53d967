"""Reports, submissions, data keys and blobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("submission_id", sa.String(128), unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(130)),
        sa.Column("client_kind", sa.String(16)),
        sa.Column("intervention_date", sa.Date()),
        sa.Column("outcome", sa.String(16)),
        sa.Column("content_blob_id", sa.String(40)),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reports_state", "reports", ["state"])
    op.create_index("ix_reports_intervention_date", "reports", ["intervention_date"])
    op.create_index("ix_reports_updated_at", "reports", ["updated_at"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("raw_blob_id", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_submissions_report_id", "submissions", ["report_id"])
    op.create_index("ix_submissions_fingerprint", "submissions", ["fingerprint"])
    op.create_table(
        "data_keys",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary()),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_blobs_report_id", "blobs", ["report_id"])


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_table("data_keys")
    op.drop_table("submissions")
    op.drop_table("reports")
