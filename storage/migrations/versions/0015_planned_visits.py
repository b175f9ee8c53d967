"""Planned follow-up visits (``planned_visits``) and the back office's ``planner`` role.

A visit's row holds ids, its day, slot and technicians' identifiers; its plan (client,
site, what is carried over) is a blob of the report it continues (``storage.visits``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ROLES_BEFORE = "role IN ('technician', 'compliance', 'auditor', 'admin')"
_ROLES_AFTER = "role IN ('technician', 'compliance', 'auditor', 'admin', 'planner')"


def upgrade() -> None:
    op.create_table(
        "planned_visits",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("continues_report_id", sa.String(40), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("template_id", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("technicians", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_blob_id", sa.String(40), nullable=False),
        sa.Column("continued_by_report_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="ck_planned_visits_status"),
        sa.CheckConstraint("slot IN ('matin', 'apres_midi', 'journee')", name="ck_planned_visits_slot"),
    )
    op.create_index("ix_planned_visits_day", "planned_visits", ["day"])
    op.create_index("ix_planned_visits_continues_report_id", "planned_visits", ["continues_report_id"])
    _users_roles(_ROLES_AFTER)


def downgrade() -> None:
    _users_roles(_ROLES_BEFORE)
    op.drop_table("planned_visits")


def _users_roles(condition: str) -> None:
    # SQLite cannot alter a constraint: the batch copies the table (its CHECK constraints reflected).
    with op.batch_alter_table("users", recreate="auto") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", condition)
