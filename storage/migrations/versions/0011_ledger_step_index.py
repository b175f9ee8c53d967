"""An index on the ledger's step column: the register of disposed items, the certificates,
the retention and access checks select entries by step instead of reading the whole ledger.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_step", "ledger_entries", ["step"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_step", "ledger_entries")
