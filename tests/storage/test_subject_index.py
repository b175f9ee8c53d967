"""Re-indexing phones to E.164 (index version 2), and migration 0009, on SQLite and PostgreSQL.

An index written by version 1 holds phones as French national digits: a request by
``+33 (0)6 12 34 56 78`` missed a report captured with ``06 12 34 56 78``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.engine import make_url

from storage.blind_index import INDEX_VERSION, legacy_phone_digest, subject_digest, subject_digests
from storage.database import MIGRATIONS_DIR
from storage.erasure import ShredRequest, shred_reports
from storage.errors import SubjectIndexOutdatedError
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LegalHoldRecord, SubjectIndexMetaRecord, SubjectIndexRecord, utcnow
from storage.report_store import ReportStore
from storage.subject_index import index_version, reindex_phones
from tests.conftest import POSTGRES_ADMIN_URL
from tests.storage.test_statistics_migration import migrate

WRITINGS = ["+33 (0)6 12 34 56 78", "06 12 34 56 78", "0612345678", "+33612345678"]


def phones_of(content: bytes) -> Iterable[str]:
    phone = json.loads(content)["client"].get("phone")
    return [phone] if phone else []


def indexed_as_version_1(store: ReportStore, submission_id: str, phone: str, email: str) -> str:
    """A report as version 1 indexed it: its phone as national digits."""
    report_id = store.receive(b"{}", source="json", submission_id=submission_id).report_id
    legacy = legacy_phone_digest(store.keys.index_key, phone)
    assert legacy is not None
    store.save_capture(
        report_id,
        content=json.dumps({"client": {"phone": phone, "email": email}}).encode(),
        subjects=[("phone", legacy), *subject_digests(store.keys.index_key, [("email", email)])],
    )
    return report_id


def set_version(store: ReportStore, version: int) -> None:
    with store.database.session() as session:
        session.execute(delete(SubjectIndexMetaRecord))
        session.add(SubjectIndexMetaRecord(id=1, version=version, updated_at=utcnow()))


def phone_rows(store: ReportStore, report_id: str) -> set[str]:
    with store.database.session() as session:
        return set(
            session.scalars(
                select(SubjectIndexRecord.digest).where(
                    SubjectIndexRecord.report_id == report_id, SubjectIndexRecord.kind == "phone"
                )
            )
        )


def by_phone(store: ReportStore, phone: str) -> list[str]:
    return store.find_by_subject(subject_digests(store.keys.index_key, [("phone", phone)]))


def test_an_old_index_refuses_a_lookup_by_phone_until_it_is_reindexed(store: ReportStore) -> None:
    # "+33 (0)6…": version 1 made it 00612345678, a digest of its own
    report = indexed_as_version_1(store, "s-1", "+33 (0)6 12 34 56 78", "jeanne@exemple.fr")
    other = indexed_as_version_1(store, "s-2", "07 00 00 00 01", "paul@exemple.fr")
    set_version(store, 1)

    with pytest.raises(SubjectIndexOutdatedError, match="quitus subject reindex"):
        by_phone(store, "06 12 34 56 78")
    # e-mails and names did not change: they are still found
    assert store.find_by_subject(subject_digests(store.keys.index_key, [("email", "jeanne@exemple.fr")])) == [
        report
    ]

    outcome = reindex_phones(store, phones_of)

    assert (outcome.reports, outcome.changed, outcome.version) == (2, 2, INDEX_VERSION)
    with store.database.session() as session:
        assert index_version(session) == INDEX_VERSION
    for writing in WRITINGS:
        assert by_phone(store, writing) == [report], writing
    assert by_phone(store, "+33 7 00 00 00 01") == [other]
    assert phone_rows(store, report) == {subject_digest(store.keys.index_key, "phone", WRITINGS[0])}
    stored = store.ledger.last_entry(LedgerStep.SUBJECT_REINDEX)
    assert stored is not None
    entry = decode_entry(stored.entry)
    assert entry["details"] == {"index_version": 2, "reports": 2, "changed": 2, "unreadable": 0}
    assert "612345678" not in json.dumps(entry)

    again = reindex_phones(store, phones_of)
    assert (again.reports, again.changed) == (2, 0)


def test_a_hold_placed_by_phone_before_the_reindex_keeps_its_reports(store: ReportStore) -> None:
    report = indexed_as_version_1(store, "s-1", "06 12 34 56 78", "jeanne@exemple.fr")
    legacy = legacy_phone_digest(store.keys.index_key, "06 12 34 56 78")
    with store.database.session() as session:
        session.add(
            LegalHoldRecord(
                id="hold-old",
                reason="RG-2025-1",
                scope_kind="subject",
                scope={"digests": [["phone", legacy]]},
                placed_by="test",
                placed_at=utcnow(),
            )
        )
    set_version(store, 1)

    outcome = reindex_phones(store, phones_of)

    assert outcome.holds_by_old_phone == ("hold-old",)
    # the hold's own digest still locates the report, and a request in E.164 finds it too
    assert legacy in phone_rows(store, report)
    assert by_phone(store, "+33 6 12 34 56 78") == [report]


def test_the_reindex_skips_erased_reports_and_names_unreadable_ones(store: ReportStore) -> None:
    erased = indexed_as_version_1(store, "s-1", "06 12 34 56 78", "a@exemple.fr")
    broken = indexed_as_version_1(store, "s-2", "06 98 76 54 32", "b@exemple.fr")
    shred_reports(store, [ShredRequest(erased, reason="subject_request")])
    set_version(store, 1)

    def strict(content: bytes) -> Iterable[str]:
        if b"b@exemple.fr" in content:
            raise ValueError("not a report")
        return phones_of(content)

    outcome = reindex_phones(store, strict)

    assert outcome.reports == 0 and outcome.unreadable == (broken,)
    assert phone_rows(store, erased) == set()  # an erased report is never indexed again
    assert phone_rows(store, broken) == {legacy_phone_digest(store.keys.index_key, "06 98 76 54 32")}


# -- migration 0009 ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the shared one is already at the newest revision)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"quitus_migration_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(POSTGRES_ADMIN_URL).set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def meta_version(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT version FROM subject_index_meta WHERE id = 1")).scalar_one()
        )


@pytest.mark.parametrize(("phones", "version"), [(True, 1), (False, 2)])
def test_migration_0009_says_an_index_with_phones_is_of_version_1(
    engine: Engine, phones: bool, version: int
) -> None:
    assert MIGRATIONS_DIR.is_dir()
    migrate(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reports (id, state, source, issues, revision, tags, created_at, updated_at) "
                "VALUES ('RI-1', 'validated', 'json', '[]', 1, '[]', :now, :now)"
            ),
            {"now": utcnow()},
        )
        kind = "phone" if phones else "email"
        connection.execute(
            text("INSERT INTO subject_index (report_id, kind, digest) VALUES ('RI-1', :kind, :digest)"),
            {"kind": kind, "digest": "a" * 64},
        )
    migrate(engine, "0009")
    assert meta_version(engine) == version
    migrate(engine, "0008", down=True)
    migrate(engine, "head")
    assert meta_version(engine) == version
