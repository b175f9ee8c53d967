"""Shared fixtures: a fresh quitus installation on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports.intake import Intake
from reports.templates import TemplateCatalog
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import KeyMaterial, create_key_files, load_key_material
from storage.models import Base
from storage.report_store import ReportStore

POSTGRES_ADMIN_URL = os.environ.get(
    "QUITUS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test process (dropped at the end)."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"quitus_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure here means "no server"
        pytest.fail(f"PostgreSQL is required for the storage tests ({POSTGRES_ADMIN_URL}): {exc}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in tmp_path, or the shared PostgreSQL one emptied."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'quitus.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    db = request.getfixturevalue("_postgres_database")
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    yield db


@pytest.fixture
def keys(tmp_path: Path) -> KeyMaterial:
    create_key_files(tmp_path / "keys")
    return load_key_material(tmp_path / "keys")


@pytest.fixture
def store(database: Database, keys: KeyMaterial, tmp_path: Path) -> ReportStore:
    return ReportStore(database, keys, BlobStore(LocalBlobBackend(tmp_path / "blobs")))


@pytest.fixture(scope="session")
def catalog() -> TemplateCatalog:
    return TemplateCatalog.load()


@pytest.fixture
def intake(store: ReportStore, catalog: TemplateCatalog) -> Intake:
    return Intake(store, catalog)
