"""Certificates of disposition: the canonical JSON of each disposal and its sealed PDF.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposition_certificates",
        sa.Column("report_id", sa.String(40), primary_key=True),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_disposition_certificates_disposed_at", "disposition_certificates", ["disposed_at"])
    op.create_index("ix_disposition_certificates_issued_at", "disposition_certificates", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_disposition_certificates_issued_at", "disposition_certificates")
    op.drop_index("ix_disposition_certificates_disposed_at", "disposition_certificates")
    op.drop_table("disposition_certificates")
