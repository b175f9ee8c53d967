"""Readable report numbers per year (``RI-2026-000123``) and the company's identity.

Backfill: every report already accepted (validated or further, or erased after it was
archived) gets a number in capture order (``created_at``, then id), in the year of its
capture (Europe/Paris); each year's counter starts after the last number given.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ACCEPTED = ("validated", "redacted", "rendered", "signed", "archived")


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("number", sa.String(16), nullable=True))
        batch.create_unique_constraint("uq_reports_number", ["number"])
    op.create_table(
        "report_number_counters",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "company_identity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("legal_form", sa.String(60), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("siret", sa.String(14), nullable=True),
        sa.Column("attestation", sa.String(60), nullable=True),
        sa.Column("logo_sha256", sa.String(64), nullable=True),
        sa.Column("logo_media_type", sa.String(16), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    reports = sa.table(
        "reports",
        sa.column("id", sa.String),
        sa.column("state", sa.String),
        sa.column("archived_at", sa.DateTime),
        sa.column("created_at", sa.DateTime),
        sa.column("number", sa.String),
    )
    counters = sa.table(
        "report_number_counters", sa.column("year", sa.Integer), sa.column("last", sa.Integer)
    )
    rows = connection.execute(
        sa.select(reports.c.id, reports.c.created_at)
        .where(
            sa.or_(
                reports.c.state.in_(_ACCEPTED),
                sa.and_(reports.c.state == "erased", reports.c.archived_at.is_not(None)),
            )
        )
        .order_by(reports.c.created_at, reports.c.id)
    ).all()
    paris = ZoneInfo("Europe/Paris")
    last: dict[int, int] = {}
    for report_id, created_at in rows:
        moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
        year = moment.astimezone(paris).year
        last[year] = last.get(year, 0) + 1
        connection.execute(
            sa.update(reports).where(reports.c.id == report_id).values(number=f"RI-{year}-{last[year]:06d}")
        )
    for year, value in sorted(last.items()):
        connection.execute(sa.insert(counters).values(year=year, last=value))


def downgrade() -> None:
    op.drop_table("company_identity")
    op.drop_table("report_number_counters")
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("uq_reports_number", type_="unique")
        batch.drop_column("number")
