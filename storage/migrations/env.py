"""Alembic environment: runs on the connection handed over by storage.database."""

from __future__ import annotations

from alembic import context

import storage.access_store
import storage.delivery_store
import storage.equipment
import storage.visits  # noqa: F401 - their tables are on the same metadata
from storage.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
