"""The equipment register (``equipment``) and each unit's interventions (``equipment_interventions``).

Technical data only: who owns a unit and where it is stay in its reports (``storage.equipment``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "equipment",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("brand", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("serial_number", sa.String(200), nullable=False),
        sa.Column("installed_year", sa.Integer(), nullable=True),
        sa.Column("category_key", sa.String(64), nullable=False),
        sa.Column("brand_key", sa.String(200), nullable=False),
        sa.Column("model_key", sa.String(200), nullable=False),
        sa.Column("serial_key", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("category_key", "brand_key", "model_key", "serial_key", name="uq_equipment"),
    )
    op.create_table(
        "equipment_interventions",
        sa.Column("report_id", sa.String(40), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("equipment_id", sa.String(24), sa.ForeignKey("equipment.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("template_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_equipment_interventions_equipment_id", "equipment_interventions", ["equipment_id"])


def downgrade() -> None:
    op.drop_table("equipment_interventions")
    op.drop_table("equipment")
