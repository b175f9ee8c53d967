"""The equipment register (``equipment``) and each unit's interventions (``equipment_interventions``).

A unit is known by a keyed digest of its brand, model and serial number, never by their text;
who owns it and where it is stay in its reports (``storage.equipment``).

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
        sa.Column("unit_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("installed_year", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
