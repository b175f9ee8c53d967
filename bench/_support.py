"""What the benchmarks share: PostgreSQL scratch databases, recreated and dropped.

A scratch database is dropped without asking: its name must contain ``bench``, so that
a URL mistyped on the command line cannot name a database that matters.
"""

from __future__ import annotations

import argparse

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

__all__ = ["recreate_postgres", "require_scratch_url"]


def require_scratch_url(parser: argparse.ArgumentParser, url: str) -> None:
    """Stop with a usage error unless ``url`` names a database that may be dropped."""
    if "bench" not in (make_url(url).database or ""):
        parser.error("--postgres-url must name a scratch database with 'bench' in its name: it is dropped")


def recreate_postgres(url: str, *, create: bool) -> None:
    """Drop the database ``url`` names (sessions still on it are ended), then create it if asked."""
    target = make_url(url)
    if "bench" not in (target.database or ""):
        raise ValueError("only a scratch database with 'bench' in its name is dropped")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            if create:
                connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    finally:
        admin.dispose()
