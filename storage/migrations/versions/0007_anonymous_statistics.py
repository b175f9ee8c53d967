"""Statistical records: anonymous, not pseudonymous.

A record no longer names its report: a random id replaces ``report_id``, the write time
goes (it matched the disposal certificate's in the ledger), and the record is nothing but
its quasi-identifiers, one column each, ``*`` where a value is not kept
(``retention.statistics``). On SQLite the table has no rowid, so the storage order does
not follow the order of writing.

The records written before kept exact equipment, readings and parts beside a group
checked over (template, client kind, area, period) only: they single reports out. Of
each, this keeps what the coarsest level keeps — template, client kind, equipment
category and year — and deletes those whose year was suppressed and the groups of fewer
than 5 records. Downgrading keeps the records, with their random ids as ``report_id``:
the link to the reports is gone for good.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SUPPRESSED = "*"
K = 5
"""retention.statistics.DEFAULT_K when this was written."""
CHUNK = 5_000

CLASS_COLUMNS = (
    ("template_id", 130),
    ("client_kind", 16),
    ("equipment_category", 64),
    ("period", 7),
    ("outcome", 16),
    ("brand", 200),
    ("model", 200),
    ("installed_decade", 8),
    ("duration", 16),
    ("area", 8),
    ("parts_used", 4),
    ("checklist_anomalies", 4),
)

old_records = sa.table(
    "statistical_records",
    sa.column("report_id", sa.String),
    sa.column("template_id", sa.String),
    sa.column("client_kind", sa.String),
    sa.column("area", sa.String),
    sa.column("period", sa.String),
    sa.column("data", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
new_records = sa.table(
    "statistical_records",
    sa.column("id", sa.String),
    *(sa.column(name, sa.String) for name, _length in CLASS_COLUMNS),
)


def upgrade() -> None:
    bind = op.get_bind()
    classes: Counter[tuple[str, str, str, str]] = Counter()
    query = sa.select(
        old_records.c.template_id, old_records.c.client_kind, old_records.c.period, old_records.c.data
    )
    for template_id, client_kind, period, data in bind.execute(query.execution_options(yield_per=CHUNK)):
        if not period:
            continue
        equipment = data.get("equipment") if isinstance(data, dict) else None
        category = equipment.get("category") if isinstance(equipment, dict) else None
        if not category and template_id:
            category = template_id.split(".", 1)[0]
        classes[
            (template_id or SUPPRESSED, client_kind or SUPPRESSED, category or SUPPRESSED, period[:4])
        ] += 1
    op.drop_table("statistical_records")
    _create_new_table()
    coarse = {name: SUPPRESSED for name, _length in CLASS_COLUMNS}
    for (template_id, client_kind, category, year), size in classes.items():
        if size < K:
            continue
        values = coarse | {
            "template_id": template_id,
            "client_kind": client_kind,
            "equipment_category": category,
            "period": year,
        }
        for rows in _chunked(size):
            op.bulk_insert(
                new_records, [{"id": "stat-" + secrets.token_hex(8), **values} for _ in range(rows)]
            )


def downgrade() -> None:
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    kept = []
    for row in bind.execute(sa.select(new_records)).mappings():
        data = {name: row[name] for name, _length in CLASS_COLUMNS if row[name] != SUPPRESSED}
        kept.append(
            {
                "report_id": row["id"],
                "template_id": data.get("template_id"),
                "client_kind": data.get("client_kind"),
                "area": data.get("area"),
                "period": data.get("period"),
                "data": data,
                "created_at": now,
            }
        )
    op.drop_table("statistical_records")
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
    for start in range(0, len(kept), CHUNK):
        op.bulk_insert(old_records, kept[start : start + CHUNK])


def _create_new_table() -> None:
    op.create_table(
        "statistical_records",
        sa.Column("id", sa.String(24), primary_key=True),
        *(sa.Column(name, sa.String(length), nullable=False) for name, length in CLASS_COLUMNS),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_statistical_records_class", "statistical_records", [n for n, _length in CLASS_COLUMNS]
    )


def _chunked(size: int) -> Iterator[int]:
    while size > 0:
        yield min(size, CHUNK)
        size -= CHUNK
