"""What decides or locates, checked against the signed ledger (ARCHITECTURE invariant 6).

A real installation on SQLite and PostgreSQL: reports taken through intake and the real
stages (redact, render, seal, archive), one rejected, one disposed of; users, tokens and
portal links made, revoked and disabled through :class:`AccessStore`; a legal hold. Then
each edit a security tester made with nothing but the database file, as raw SQL: each must
be named by :func:`check_stored_state` (what ``quitus audit verify`` reports), with the ids,
steps and sequence numbers it concerns, and nothing must be named before it nor after the
edit is undone.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, insert, text
from sqlalchemy.pool import NullPool

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from policies.loading import PolicySet
from reports.intake import CaptureOutcome, Intake, Submission, subject_terms
from reports.pdf import create_company_ca
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from retention.clock import FixedClock
from retention.holds import HoldService
from retention.subjects import erase_subject
from storage.access_store import AccessStore, Role
from storage.blob_kinds import BlobKind
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.erasure import ShredRequest, shred_reports
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger
from storage.models import Base, LedgerHeadRecord
from storage.report_store import ReceiptKind, ReportStore
from storage.state_integrity import check_stored_state
from storage.states import ReportState
from storage.subject_index import reindex_phones
from workflows.stages import Pipeline


@dataclass(frozen=True)
class Life:
    """A populated installation and the ids its tests tamper with."""

    store: ReportStore
    archived: str
    other_archived: str
    rejected: str
    erased: str
    restricted: str
    seq: dict[tuple[str, str], int]
    """(report or object id, step) → the sequence number of its latest entry of that step."""
    validated_seq: dict[str, int]
    """Report id → the ``validate`` entry that accepted it (and recorded its number)."""
    admin: str
    disabled_user: str
    auditor: str
    live_token: str
    revoked_token: str
    live_link: str
    revoked_link: str
    hold: str
    personal: tuple[str, ...]
    """Names and e-mail addresses the reports hold."""


def _entries(store: ReportStore) -> Iterator[dict[str, Any]]:
    with store.database.engine.connect() as connection:
        for (entry,) in connection.execute(text("SELECT entry FROM ledger_entries ORDER BY seq")):
            yield decode_entry(entry)


def _latest_seqs(store: ReportStore) -> dict[tuple[str, str], int]:
    seqs: dict[tuple[str, str], int] = {}
    for entry in _entries(store):
        details = entry.get("details") or {}
        for subject in (entry.get("report"), details.get("token"), details.get("link"), details.get("user")):
            if isinstance(subject, str):
                seqs[(subject, entry["step"])] = entry["seq"]
    return seqs


def _empty_postgres(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(insert(LedgerHeadRecord).values(id=1, size=0))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def life(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Life]:
    root = tmp_path_factory.mktemp("state-integrity")
    if request.param == "sqlite":
        database = Database(f"sqlite:///{root / 'quitus.db'}")
        database.upgrade()
    else:
        database = request.getfixturevalue("_postgres_database")
        _empty_postgres(database)
    create_key_files(root / "keys")
    keys = load_key_material(root / "keys")
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", keys)
    keystore.ensure_schema()
    ledger = Ledger(database, load_signer("quitus.test", read_key_file(root / "keys" / "ledger.key")))
    store = ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger, actor="test")
    catalog = TemplateCatalog.load()
    samples = generate_samples(catalog, 12, seed=21, photo_size=(96, 64))
    valid = [s for s in samples if s.expected == "valid"][:6]
    invalid = [s for s in samples if s.expected == "invalid"][:2]
    intake = Intake(store, catalog)

    def ingest(payload: dict[str, Any]) -> CaptureOutcome:
        return intake.ingest(Submission(json.dumps(payload).encode(), "json"))

    ids = [ingest(s.payload).report.id for s in valid[:4]]
    # A report whose content file was lost: its redaction fails, it stays validated.
    failing = ingest(valid[5].payload).report
    assert failing.content_blob_id is not None
    (root / "blobs" / failing.id / failing.content_blob_id).unlink()
    rejected, to_correct = (ingest(s.payload).report for s in invalid)
    assert to_correct.submission_id is not None
    # A corrected resubmission (same submission_id) revives a rejected report; new bytes under an
    # accepted report's submission_id are kept as a new, rejected report.
    correction = copy.deepcopy(valid[4].payload) | {"submission_id": to_correct.submission_id}
    assert ingest(correction).receipt == ReceiptKind.CORRECTION
    conflicting = copy.deepcopy(valid[0].payload)
    conflicting["client"]["name"] += " (bis)"
    conflict = ingest(conflicting)
    assert conflict.receipt == ReceiptKind.CONFLICT and conflict.report.state == ReportState.REJECTED
    # Someone else's submission_id: kept as the sender's own rejected report.
    foreign = Intake(store.for_submitter("tech-009"), catalog).ingest(
        Submission(json.dumps(valid[1].payload).encode(), "json")
    )
    assert foreign.receipt == ReceiptKind.CONFLICT and foreign.report.state == ReportState.REJECTED
    create_company_ca(root / "seal", "Thermi'Clim Services")
    engine = PiiEngine(load_vocabulary(catalog))
    pipeline = Pipeline(
        store, catalog, root / "seal", redactor_factory=lambda: ReportRedactor(engine, style="placeholder")
    )
    pipeline.run_pending(batch_size=10)
    archived, other_archived, erased, restricted = ids
    assert {store.get(i).state for i in [*ids, to_correct.id]} == {ReportState.ARCHIVED}
    assert store.get(rejected.id).state == ReportState.REJECTED
    assert store.get(failing.id).state == ReportState.VALIDATED
    assert [e["outcome"] for e in _entries(store) if e.get("report") == failing.id][-1] == "failed"
    shred_reports(store, [ShredRequest(erased, reason="retention", step=LedgerStep.DISPOSE)])
    hold = HoldService(store).place(
        reason="Litige en cours", scope_kind="reports", scope={"report_ids": [restricted]}
    )
    [outcome] = erase_subject(store, PolicySet([]), [restricted], clock=FixedClock(dt.date(2040, 1, 1)))
    assert outcome.result == "restricted"

    access = AccessStore(store)
    admin = access.add_user("admin-1", Role.ADMIN, actor="cli")
    disabled_user = access.add_user("tech-042", Role.TECHNICIAN, actor="admin-1")
    auditor = access.add_user("audit-1", Role.AUDITOR, actor="admin-1")
    access.create_token("admin-1", actor="cli")
    live_token, _ = access.create_token("audit-1", actor="admin-1")
    revoked_token, _ = access.create_token("audit-1", actor="admin-1")
    access.revoke_token(revoked_token, actor="admin-1")
    access.create_token("tech-042", actor="admin-1")
    access.disable_user("tech-042", actor="admin-1")
    live_link = access.create_portal_link(archived, actor="admin-1", valid_for=dt.timedelta(days=30))
    revoked_link = access.delivery_portal_link(
        other_archived, actor="job:delivery", valid_for=dt.timedelta(days=30), channel="email"
    )
    access.revoke_portal_link(revoked_link.token, actor="admin-1")
    yield Life(
        store=store,
        archived=archived,
        other_archived=other_archived,
        rejected=rejected.id,
        erased=erased,
        restricted=restricted,
        seq=_latest_seqs(store),
        validated_seq={
            e["report"]: e["seq"]
            for e in reversed(list(_entries(store)))
            if e["step"] == "validate" and e["outcome"] == "validated"
        },
        admin=admin,
        disabled_user=disabled_user,
        auditor=auditor,
        live_token=live_token,
        revoked_token=revoked_token,
        live_link=live_link.token.partition(".")[0],
        revoked_link=revoked_link.token.partition(".")[0],
        hold=hold.id,
        personal=tuple(
            value
            for s in (*valid, *invalid)
            for value in (s.payload["client"]["name"], s.payload["client"].get("email"))
            if isinstance(value, str)
        ),
    )
    keystore.dispose()
    if request.param == "sqlite":
        database.dispose()


# -- the attacker's tools: raw SQL, undone after each test ---------------------------------------


@contextmanager
def attacker(store: ReportStore) -> Iterator[Connection]:
    """A connection as ``sqlite3`` or ``psql`` gives a database administrator: no foreign key
    enforced, the ledger's append-only triggers out of the way."""
    database = store.database
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
        return
    engine = create_engine(database.url, poolclass=NullPool)  # not quitus's: foreign keys are off
    try:
        with engine.begin() as connection:
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _ in triggers:
                connection.execute(text(f"DROP TRIGGER {name}"))
            yield connection
            for _, statement in triggers:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _bound(store: ReportStore, values: dict[str, Any]) -> dict[str, Any]:
    """Datetimes as each backend stores them (SQLite: UTC text without a zone, as SQLAlchemy writes)."""
    if store.database.dialect != "sqlite":
        # A JSON column read back as a list is written back as its JSON text.
        return {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in values.items()}
    return {
        k: v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, dt.datetime) else v
        for k, v in values.items()
    }


@contextmanager
def edited(store: ReportStore, table: str, where: dict[str, Any], **values: Any) -> Iterator[None]:
    """``UPDATE table SET values WHERE where``, as someone with the database file types it;
    the old values are put back afterwards."""
    condition = " AND ".join(f"{k} = :w_{k}" for k in where)
    keys = {f"w_{k}": v for k, v in where.items()}
    with attacker(store) as connection:
        old = connection.execute(
            text(f"SELECT {', '.join(values)} FROM {table} WHERE {condition}"), keys
        ).one()
        assignments = ", ".join(f"{k} = :v_{k}" for k in values)
        connection.execute(
            text(f"UPDATE {table} SET {assignments} WHERE {condition}"),
            {**keys, **_bound(store, {f"v_{k}": v for k, v in values.items()})},
        )
    try:
        yield
    finally:
        with attacker(store) as connection:
            connection.execute(
                text(f"UPDATE {table} SET {assignments} WHERE {condition}"),
                {**keys, **_bound(store, {f"v_{k}": v for k, v in zip(values, old, strict=True)})},
            )


@contextmanager
def inserted(store: ReportStore, table: str, row: dict[str, Any]) -> Iterator[None]:
    """A row added by hand (no ledger entry), removed afterwards."""
    row = _bound(store, row)
    with attacker(store) as connection:
        connection.execute(
            text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(f':{k}' for k in row)})"), row
        )
    try:
        yield
    finally:
        with attacker(store) as connection:
            connection.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row["id"]})


@contextmanager
def deleted(store: ReportStore, table: str, row_id: str) -> Iterator[None]:
    """A row deleted by hand, put back afterwards."""
    with attacker(store) as connection:
        result = connection.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
        row = {
            k: json.dumps(v) if isinstance(v, dict | list) else v  # a JSON column, as PostgreSQL returns it
            for k, v in zip(result.keys(), result.one(), strict=True)
        }
        connection.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
    try:
        yield
    finally:
        with attacker(store) as connection:
            connection.execute(
                text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(f':{k}' for k in row)})"),
                row,
            )


def blob_of(store: ReportStore, report_id: str, kind: BlobKind) -> str:
    blob_id = store.latest_blob(report_id, kind)
    assert blob_id is not None
    return blob_id


def submission_blob(store: ReportStore, report_id: str) -> str:
    return store.submissions(report_id)[-1].raw_blob_id


@pytest.fixture
def clean(life: Life) -> Life:
    """Nothing is named before the edit (nor after the previous test undid its own)."""
    assert check_stored_state(life.store) == []
    return life


def entry(seq: int) -> re.Pattern[str]:
    """How a problem names a ledger entry (``entry 2`` is not ``entry 23``)."""
    return re.compile(rf"\bentry {seq}\b")


def named(problems: list[str], *fragments: object) -> str:
    """The first problem that names every fragment (ids, steps, entries)."""

    def says(problem: str, fragment: object) -> bool:
        return (
            bool(fragment.search(problem)) if isinstance(fragment, re.Pattern) else str(fragment) in problem
        )

    matching = [p for p in problems if all(says(p, f) for f in fragments)]
    assert matching, f"no problem names {fragments}: {problems}"
    return matching[0]


# -- report states --------------------------------------------------------------------------------

Tamper = Callable[[Life], Any]
Expect = Callable[[Life], tuple[object, ...]]

STATE_EDITS: list[Any] = [
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.erased}, state="archived", erased_at=None),
        lambda life: (life.erased, "archived", "dispose", entry(life.seq[(life.erased, "dispose")])),
        id="erased-made-to-look-archived",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.archived}, state="rejected"),
        lambda life: (life.archived, "rejected", "archive", entry(life.seq[(life.archived, "archive")])),
        id="archived-made-to-look-rejected",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.archived}, state="erased"),
        lambda life: (life.archived, "erased", "no shred or dispose entry"),
        id="live-report-hidden-as-erased",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.rejected}, state="validated"),
        lambda life: (
            life.rejected,
            "validated",
            "rejected",
            "validate",
            entry(life.seq[(life.rejected, "validate")]),
        ),
        id="rejected-made-to-look-validated",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.other_archived}, archived_at=None),
        lambda life: (life.other_archived, "archived_at", entry(life.seq[(life.other_archived, "archive")])),
        id="retention-clock-removed",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "reports",
            {"id": life.other_archived},
            archived_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
        ),
        lambda life: (life.other_archived, "archived_at", entry(life.seq[(life.other_archived, "archive")])),
        id="retention-clock-moved-back",
    ),
    pytest.param(
        lambda life: edited(
            life.store, "reports", {"id": life.restricted}, restricted_at=None, restriction_reason=None
        ),
        lambda life: (life.restricted, "restrict", entry(life.seq[(life.restricted, "restrict")])),
        id="restriction-lifted",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.archived}, number="RI-2026-999999"),
        lambda life: (
            life.archived,
            "RI-2026-999999",
            life.store.get(life.archived).number,
            entry(life.validated_seq[life.archived]),
        ),
        id="number-changed",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.erased}, number="RI-2026-999998"),
        lambda life: (life.erased, "RI-2026-999998", entry(life.validated_seq[life.erased])),
        id="erased-report-renumbered",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.other_archived}, number=None),
        lambda life: (life.other_archived, "number is empty", entry(life.validated_seq[life.other_archived])),
        id="number-removed",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.rejected}, number="RI-2026-999997"),
        lambda life: (life.rejected, "RI-2026-999997", "no validate entry accepted it"),
        id="rejected-report-numbered",
    ),
]


@pytest.mark.parametrize(("tamper", "expect"), STATE_EDITS)
def test_an_edited_state_is_named(clean: Life, tamper: Tamper, expect: Expect) -> None:
    with tamper(clean):
        named(check_stored_state(clean.store), *expect(clean))


def test_an_edited_step_column_does_not_hide_the_disposal(clean: Life) -> None:
    """The dispose entry's ``step`` and ``report_id`` columns (which no hash covers) say it is a
    read of nothing: it is still found by what it says, and the report is still erased."""
    seq = clean.seq[(clean.erased, "dispose")]
    with (
        edited(clean.store, "ledger_entries", {"seq": seq}, step="read", report_id=None),
        edited(clean.store, "reports", {"id": clean.erased}, state="archived", erased_at=None),
    ):
        problems = check_stored_state(clean.store)
        named(problems, clean.erased, "archived", "dispose", entry(seq))


def test_a_report_row_that_no_entry_records_is_named(clean: Life) -> None:
    now = dt.datetime.now(dt.UTC)
    row = {
        "id": "RI-01FORGEDFORGEDFORGEDFORGE",
        "state": "archived",
        "source": "json",
        "issues": "[]",
        "revision": 1,
        "tags": "[]",
        "created_at": now,
        "updated_at": now,
        "archived_at": now,
    }
    with inserted(clean.store, "reports", row):
        named(check_stored_state(clean.store), row["id"], "no ledger entry")


def test_a_deleted_report_row_is_named(clean: Life) -> None:
    with deleted(clean.store, "reports", clean.rejected):
        problems = check_stored_state(clean.store)
    named(problems, clean.rejected, "row was deleted")
    named(problems, clean.rejected, "has no row in reports")  # its blobs


# -- tombstones -----------------------------------------------------------------------------------


def test_an_erased_report_pointing_at_its_content_again_is_named(clean: Life) -> None:
    with attacker(clean.store) as connection:
        old = connection.execute(
            text("SELECT id FROM blobs WHERE report_id = :r AND kind = 'report'"), {"r": clean.erased}
        ).scalar_one()
    with edited(clean.store, "reports", {"id": clean.erased}, content_blob_id=old):
        named(check_stored_state(clean.store), clean.erased, "tombstone", "content_blob_id")


def test_an_erased_report_with_a_data_key_again_is_named(clean: Life) -> None:
    """A disposal certificate says the key was destroyed: a key store that holds one lies."""
    keys = clean.store.keystore.engine
    with keys.begin() as connection:
        wrapped, kek_id = connection.execute(
            text("SELECT wrapped_key, kek_id FROM data_keys WHERE report_id = :r"), {"r": clean.archived}
        ).one()
        connection.execute(
            text(
                "UPDATE data_keys SET wrapped_key = :w, kek_id = :k, destroyed_at = NULL WHERE report_id = :r"
            ),
            {"w": wrapped, "k": kek_id, "r": clean.erased},
        )
    try:
        named(
            check_stored_state(clean.store),
            clean.erased,
            "data key",
            entry(clean.seq[(clean.erased, "dispose")]),
        )
    finally:
        with keys.begin() as connection:
            connection.execute(
                text("UPDATE data_keys SET wrapped_key = NULL, kek_id = NULL WHERE report_id = :r"),
                {"r": clean.erased},
            )


# -- blob pointers --------------------------------------------------------------------------------

POINTER_EDITS: list[Any] = [
    pytest.param(
        lambda life: edited(
            life.store,
            "reports",
            {"id": life.archived},
            content_blob_id=blob_of(life.store, life.archived, BlobKind.REDACTED_REPORT),
        ),
        lambda life: (
            life.archived,
            "content_blob_id",
            blob_of(life.store, life.archived, BlobKind.REDACTED_REPORT),
            "capture",
            entry(life.seq[(life.archived, "capture")]),
        ),
        id="content-points-at-the-redacted-report",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "reports",
            {"id": life.archived},
            content_blob_id=submission_blob(life.store, life.archived),
        ),
        lambda life: (
            life.archived,
            "content_blob_id",
            submission_blob(life.store, life.archived),
            "capture",
        ),
        id="content-points-at-the-raw-submission",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "reports",
            {"id": life.archived},
            content_blob_id=blob_of(life.store, life.other_archived, BlobKind.REPORT),
        ),
        lambda life: (
            life.archived,
            "content_blob_id",
            blob_of(life.store, life.other_archived, BlobKind.REPORT),
        ),
        id="content-points-at-another-reports-content",
    ),
    pytest.param(
        lambda life: edited(life.store, "reports", {"id": life.archived}, content_blob_id=None),
        lambda life: (life.archived, "content_blob_id", entry(life.seq[(life.archived, "capture")])),
        id="content-pointer-removed",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "blobs",
            {"id": blob_of(life.store, life.archived, BlobKind.REDACTED_REPORT)},
            kind="report",
        ),
        lambda life: (
            blob_of(life.store, life.archived, BlobKind.REDACTED_REPORT),
            life.archived,
            "kind report",
            "redact",
            entry(life.seq[(life.archived, "redact")]),
        ),
        id="redacted-blob-relabelled-as-content",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "blobs",
            {"id": blob_of(life.store, life.archived, BlobKind.PDF_FULL)},
            created_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
            kind="pdf_draft_full",
        ),
        lambda life: (
            blob_of(life.store, life.archived, BlobKind.PDF_FULL),
            life.archived,
            "kind pdf_draft_full",
            "seal",
            entry(life.seq[(life.archived, "seal")]),
        ),
        id="sealed-pdf-relabelled-as-draft",
    ),
    pytest.param(
        lambda life: edited(
            life.store,
            "blobs",
            {"id": blob_of(life.store, life.archived, BlobKind.PDF_REDACTED)},
            report_id=life.other_archived,
        ),
        lambda life: (
            blob_of(life.store, life.archived, BlobKind.PDF_REDACTED),
            life.archived,
            "seal",
            entry(life.seq[(life.archived, "seal")]),
            "moved to another report",
        ),
        id="sealed-pdf-moved-to-another-report",
    ),
    pytest.param(
        lambda life: deleted(life.store, "blobs", blob_of(life.store, life.archived, BlobKind.PDF_FULL)),
        lambda life: (life.archived, "seal", entry(life.seq[(life.archived, "seal")]), "deleted"),
        id="sealed-pdf-row-deleted",
    ),
    pytest.param(
        lambda life: inserted(
            life.store,
            "blobs",
            {
                "id": "bforgedforgedforgedforged",
                "report_id": life.archived,
                "kind": "pdf_full",
                "ciphertext_sha256": "0" * 64,
                "size": 10,
                "media_type": "application/pdf",
                "created_at": dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
            },
        ),
        lambda life: ("bforgedforgedforgedforged", life.archived, "no ledger entry"),
        id="newer-sealed-pdf-added-by-hand",
    ),
]


@pytest.mark.parametrize(("tamper", "expect"), POINTER_EDITS)
def test_an_edited_blob_pointer_is_named(clean: Life, tamper: Tamper, expect: Expect) -> None:
    expected = expect(clean)  # before the edit: blob_of reads the table the edit changes
    with tamper(clean):
        named(check_stored_state(clean.store), *expected)


# -- users, tokens, portal links ------------------------------------------------------------------

ACCESS_EDITS: list[Any] = [
    pytest.param(
        lambda life: edited(life.store, "api_tokens", {"id": life.revoked_token}, revoked_at=None),
        lambda life: (
            life.revoked_token,
            "token.revoke",
            entry(life.seq[(life.revoked_token, "token.revoke")]),
        ),
        id="token-un-revoked",
    ),
    pytest.param(
        lambda life: edited(life.store, "api_tokens", {"id": life.live_token}, user_id=life.admin),
        lambda life: (
            life.live_token,
            life.admin,
            "token.create",
            entry(life.seq[(life.live_token, "token.create")]),
        ),
        id="token-moved-to-the-admin",
    ),
    pytest.param(
        lambda life: edited(life.store, "api_tokens", {"id": life.live_token}, token_hash="a" * 64),
        lambda life: (
            life.live_token,
            "hash",
            "token.create",
            entry(life.seq[(life.live_token, "token.create")]),
        ),
        id="token-hash-replaced-by-the-attackers",
    ),
    pytest.param(
        lambda life: inserted(
            life.store,
            "api_tokens",
            {
                "id": "tok_forged",
                "user_id": life.admin,
                "token_hash": "f" * 64,
                "created_at": dt.datetime.now(dt.UTC),
            },
        ),
        lambda life: ("tok_forged", "no token.create entry"),
        id="token-added-by-hand",
    ),
    pytest.param(
        lambda life: edited(life.store, "portal_links", {"id": life.revoked_link}, revoked_at=None),
        lambda life: (
            life.revoked_link,
            "portal.revoke",
            entry(life.seq[(life.revoked_link, "portal.revoke")]),
        ),
        id="portal-link-un-revoked",
    ),
    pytest.param(
        lambda life: edited(
            life.store, "portal_links", {"id": life.live_link}, report_id=life.other_archived
        ),
        lambda life: (
            life.live_link,
            life.other_archived,
            "portal.link",
            entry(life.seq[(life.live_link, "portal.link")]),
        ),
        id="portal-link-shows-another-report",
    ),
    pytest.param(
        lambda life: inserted(
            life.store,
            "portal_links",
            {
                "id": "forged-link",
                "report_id": life.archived,
                "created_by": "admin-1",
                "created_at": dt.datetime.now(dt.UTC),
                "expires_at": dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
                "opened_count": 0,
            },
        ),
        lambda life: ("forged-link", "no portal.link entry"),
        id="portal-link-added-by-hand",
    ),
    pytest.param(
        lambda life: edited(life.store, "users", {"id": life.disabled_user}, disabled_at=None),
        lambda life: (
            life.disabled_user,
            "user.disable",
            entry(life.seq[(life.disabled_user, "user.disable")]),
        ),
        id="user-re-enabled",
    ),
    pytest.param(
        lambda life: edited(life.store, "users", {"id": life.auditor}, role="admin"),
        lambda life: (life.auditor, "admin", "user.add", entry(life.seq[(life.auditor, "user.add")])),
        id="auditor-made-admin",
    ),
    pytest.param(
        lambda life: inserted(
            life.store,
            "users",
            {"id": "usr_forged", "handle": "root-2", "role": "admin", "created_at": dt.datetime.now(dt.UTC)},
        ),
        lambda life: ("usr_forged", "no user.add entry"),
        id="user-added-by-hand",
    ),
]


@pytest.mark.parametrize(("tamper", "expect"), ACCESS_EDITS)
def test_an_edited_access_row_is_named(clean: Life, tamper: Tamper, expect: Expect) -> None:
    with tamper(clean):
        named(check_stored_state(clean.store), *expect(clean))


def test_an_edited_step_column_does_not_hide_a_revocation(clean: Life) -> None:
    seq = clean.seq[(clean.revoked_token, "token.revoke")]
    with (
        edited(clean.store, "ledger_entries", {"seq": seq}, step="read"),
        edited(clean.store, "api_tokens", {"id": clean.revoked_token}, revoked_at=None),
    ):
        named(check_stored_state(clean.store), clean.revoked_token, "token.revoke", entry(seq))


# -- one function for the caller ------------------------------------------------------------------


def test_the_retention_tables_are_checked_too(clean: Life) -> None:
    with deleted(clean.store, "legal_holds", clean.hold):
        named(check_stored_state(clean.store), f"legal hold {clean.hold}", "row was deleted")


def test_no_personal_data_in_a_message(clean: Life) -> None:
    with (
        edited(clean.store, "reports", {"id": clean.erased}, state="archived"),
        edited(clean.store, "reports", {"id": clean.archived}, content_blob_id=None),
    ):
        problems = check_stored_state(clean.store)
    assert len(problems) >= 2
    said = " ".join(problems)
    assert clean.personal and not [value for value in clean.personal if value in said]


def test_writes_while_it_runs_are_not_taken_for_edits(clean: Life) -> None:
    """Users, tokens and reports written between the check's reading of the ledger and of the
    tables are quitus's own writes, not edits."""
    access = AccessStore(clean.store)
    running = threading.Event()
    written: list[str] = []

    def write() -> None:
        while running.is_set():
            handle = f"tech-{len(written):04d}"
            written.append(access.add_user(handle, Role.TECHNICIAN, actor="admin-1"))
            access.create_token(handle, actor="admin-1")

    writer = threading.Thread(target=write)
    running.set()
    writer.start()
    try:
        runs = [check_stored_state(clean.store) for _ in range(5)]
    finally:
        running.clear()
        writer.join()
    assert len(written) > 5  # the writer did write while the checks ran
    assert runs == [[]] * 5
    assert check_stored_state(clean.store) == []


def test_an_untampered_installation_has_nothing_to_report(life: Life) -> None:
    life.store.ledger.checkpoint()
    assert verify_ledger(life.store.ledger, life.store.ledger.signer.verifier_key()).ok
    assert check_stored_state(life.store) == []


# -- retention facts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("intervention_date", "2001-01-01"),  # due today instead of in ten years
        ("client_kind", "company"),
        ("template_id", "ramonage@1"),
        ("tags", '["no-retention"]'),
        ("site_country", "BE"),
    ],
)
def test_edited_retention_facts_are_named(clean: Life, column: str, value: str) -> None:
    """The facts that decide a report's policy and due date are those its capture entry hashed."""
    with edited(clean.store, "reports", {"id": clean.archived}, **{column: value}):
        named(check_stored_state(clean.store), clean.archived, "retention facts", "capture")


# -- the subject index ------------------------------------------------------------------------------


@contextmanager
def index_rows_deleted(store: ReportStore, report_id: str) -> Iterator[None]:
    """``DELETE FROM subject_index WHERE report_id = …``: the report is no longer found for its
    people, nor kept by a hold placed on one of them. Put back afterwards."""
    with attacker(store) as connection:
        rows = connection.execute(
            text("SELECT kind, digest FROM subject_index WHERE report_id = :r"), {"r": report_id}
        ).all()
        assert rows, f"report {report_id} has no subject index rows to delete"
        connection.execute(text("DELETE FROM subject_index WHERE report_id = :r"), {"r": report_id})
    try:
        yield
    finally:
        with attacker(store) as connection:
            connection.execute(
                text("INSERT INTO subject_index (report_id, kind, digest) VALUES (:r, :k, :d)"),
                [{"r": report_id, "k": kind, "d": digest} for kind, digest in rows],
            )


def test_deleted_subject_index_rows_are_named(clean: Life) -> None:
    with index_rows_deleted(clean.store, clean.archived):
        named(
            check_stored_state(clean.store),
            clean.archived,
            "subject index",
            "capture",
            entry(clean.seq[(clean.archived, "capture")]),
        )


def _phones_of(content: bytes) -> list[str]:
    """The phone numbers a report holds, as ``quitus subject reindex`` reads them."""
    report = InterventionReport.model_validate_json(content)
    return [value for kind, value in subject_terms(report) if kind == "phone"]


def test_a_reindexed_index_stays_clean_and_is_still_checked(clean: Life) -> None:
    """The re-index rewrites rows: it records each changed report's new digest in the ledger."""
    store = clean.store
    outcome = reindex_phones(store, lambda content: [*_phones_of(content), "+33 6 99 99 99 99"])
    try:
        assert outcome.changed > 0
        assert check_stored_state(store) == []
        with index_rows_deleted(store, clean.archived):
            named(check_stored_state(store), clean.archived, "subject index", "subject.reindex")
    finally:
        reindex_phones(store, _phones_of)  # the index as the capture wrote it, recorded again
    assert check_stored_state(store) == []
