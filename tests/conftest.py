"""Shared fixtures: a fresh quitus installation on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports.intake import Intake
from reports.templates import TemplateCatalog
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import KeyMaterial, create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.store import Ledger
from storage.models import Base, LedgerHeadRecord
from storage.report_store import ReportStore

# Each intake worker process (QUITUS_INTAKE_PROCESSES, default: the CPU count) loads its own PII
# model, a few seconds each: the suite's many small runs take the one-process path (what a run
# of a few reports does anyway). The tests of the parallel stages — tests/workflows/test_parallel.py,
# the SIGKILL tests in tests/integration (test_flow_crash.py, test_clean_processes.py) and the
# intake bench — ask for their worker processes themselves.
os.environ.setdefault("QUITUS_INTAKE_PROCESSES", "1")

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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once per test process, copied for each test.

    Running every migration costs ~0.15 s; a copy of the migrated file costs a millisecond and
    gives the same database (the copy is taken after the engine is disposed, so nothing is left
    in a journal).
    """
    path = tmp_path_factory.mktemp("sqlite-template") / "quitus.db"
    template = Database(f"sqlite:///{path}")
    template.upgrade()
    template.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in tmp_path, or the shared PostgreSQL one emptied."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), tmp_path / "quitus.db")
        db = Database(f"sqlite:///{tmp_path / 'quitus.db'}")
        yield db
        db.dispose()
        return
    db = request.getfixturevalue("_postgres_database")
    with db.engine.begin() as connection:
        # The ledger's triggers refuse deletes; a superuser's replica role bypasses them.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(LedgerHeadRecord.__table__.insert().values(id=1, size=0))
    yield db


@pytest.fixture
def keys(tmp_path: Path) -> KeyMaterial:
    create_key_files(tmp_path / "keys")
    return load_key_material(tmp_path / "keys")


@pytest.fixture
def keystore(keys: KeyMaterial, tmp_path: Path) -> Iterator[DataKeyStore]:
    keystore = DataKeyStore(f"sqlite:///{tmp_path / 'keys' / 'datakeys.db'}", keys)
    keystore.ensure_schema()
    yield keystore
    keystore.dispose()


@pytest.fixture
def ledger(database: Database, keys: KeyMaterial, tmp_path: Path) -> Ledger:
    return Ledger(database, load_signer("quitus.test", read_key_file(tmp_path / "keys" / "ledger.key")))


@pytest.fixture
def store(database: Database, keystore: DataKeyStore, ledger: Ledger, tmp_path: Path) -> ReportStore:
    return ReportStore(
        database, keystore, BlobStore(LocalBlobBackend(tmp_path / "blobs")), ledger, actor="test"
    )


@pytest.fixture(scope="session")
def catalog() -> TemplateCatalog:
    return TemplateCatalog.load()


@pytest.fixture
def intake(store: ReportStore, catalog: TemplateCatalog) -> Intake:
    return Intake(store, catalog)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start with the long tests, so that the two xdist workers do not end on one of them.

    Slow-marked and integration tests (browser, crashes, workers) first, then those of modules
    that run ``quitus`` as a real process (a second or more each), then the rest; the order
    inside each group is kept. Every worker collects the same items and sorts them the same
    way, as xdist requires.
    """

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") is not None or "integration" in item.path.parts:
            return 0
        module = getattr(item, "module", None)
        return 1 if module is not None and hasattr(module, "run_quitus") else 2

    items.sort(key=weight)
