"""Blind index version: phones in E.164 from version 2.

The digests are keyed HMACs of normalized values, and the values are only in the
encrypted report content: SQL cannot recompute them. This records which normalization
the stored digests follow — version 1 when the index already holds phone digests, else
the current 2 — and ``quitus init`` (or ``quitus subject reindex``) re-indexes a version 1
index (``storage.subject_index.reindex_phones``). Until then a subject lookup is refused
rather than missing reports.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "subject_index_meta",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    phones = op.get_bind().execute(sa.text("SELECT 1 FROM subject_index WHERE kind = 'phone' LIMIT 1"))
    version = 1 if phones.first() is not None else 2
    op.bulk_insert(meta, [{"id": 1, "version": version, "updated_at": dt.datetime.now(dt.UTC)}])


def downgrade() -> None:
    # Version 1 code reads the digests it wrote; E.164 ones it cannot find: `quitus init` of
    # that version does not re-index, so a downgraded index misses phones written since.
    op.drop_table("subject_index_meta")
