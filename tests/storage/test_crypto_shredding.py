"""Invariant 2: destroying a report's data key erases its data everywhere, backups included."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.blobs import BlobStore, LocalBlobBackend
from storage.erasure import ShredRequest, shred_reports
from storage.errors import KeyDestroyedError, WrongKeyError
from storage.key_rotation import rotate_kek
from storage.keys import KeyMaterial, load_key_material
from storage.keystore import DataKeyStore, KeyRecord
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.verify import verify_ledger
from storage.proofs import export_report_proof
from storage.report_store import BlobToStore, ReportStore
from storage.states import ReportState

SECRET = "Mme Héloïse Dupuis-Secret, 06 12 34 56 78".encode()


def captured(store: ReportStore, submission_id: str = "sub-1") -> str:
    report_id = store.receive(SECRET, source="json", submission_id=submission_id).report_id
    store.save_capture(
        report_id,
        content=b'{"client": "Dupuis-Secret"}',
        blobs=[BlobToStore("photo", b"\xff\xd8 photo of the hallway")],
        subjects=[("name", "d" * 64)],
    )
    return report_id


def decrypt_backup(backup: Path, keystore: DataKeyStore, report_id: str) -> list[bytes]:
    """What an attacker with a backup of the data and today's keys can read."""
    key = keystore.get(report_id)
    store = BlobStore(LocalBlobBackend(backup))
    out = []
    for path in sorted((backup / report_id).iterdir()):
        for kind in ("submission", "report", "photo"):
            try:
                out.append(store.get(key, kind, path.name))
                break
            except Exception:  # noqa: BLE001 - wrong kind guess: try the next
                continue
    return out


def test_a_backup_taken_before_shredding_reveals_nothing_after(
    store: ReportStore, keystore: DataKeyStore, tmp_path: Path
) -> None:
    report_id = captured(store)
    backup = tmp_path / "backup-of-quitus-home"
    shutil.copytree(tmp_path / "blobs", backup / "blobs")
    if store.database.dialect == "sqlite":
        shutil.copy(tmp_path / "quitus.db", backup / "quitus.db")
    # control: before shredding, that backup plus the keys is readable
    assert SECRET in decrypt_backup(backup / "blobs", keystore, report_id)

    assert bool(shred_reports(store, [ShredRequest(report_id, reason="subject_request")])) is True

    with pytest.raises(KeyDestroyedError, match="erased"):
        decrypt_backup(backup / "blobs", keystore, report_id)
    fresh = DataKeyStore(keystore.url, keystore.keys)  # no in-memory cache
    with pytest.raises(KeyDestroyedError):
        fresh.get(report_id)
    fresh.dispose()
    assert not (tmp_path / "blobs" / report_id).exists()


def test_the_destroyed_key_does_not_linger_in_the_key_store_file(
    store: ReportStore, keystore: DataKeyStore, tmp_path: Path
) -> None:
    report_id = captured(store)
    with keystore.engine.connect() as connection:
        wrapped = connection.execute(
            select(KeyRecord.wrapped_key).where(KeyRecord.report_id == report_id)
        ).scalar_one()
    keystore_file = tmp_path / "keys" / "datakeys.db"
    assert wrapped in keystore_file.read_bytes()
    bool(shred_reports(store, [ShredRequest(report_id, reason="retention")]))
    for path in (tmp_path / "keys").glob("datakeys.db*"):
        assert wrapped not in path.read_bytes()


@pytest.fixture
def postgres_keystore(postgres_url: str, keys: KeyMaterial) -> Iterator[DataKeyStore]:
    """A key store on PostgreSQL (a table of the test database, made anew)."""
    keystore = DataKeyStore(postgres_url, keys)
    KeyRecord.__table__.drop(keystore.engine, checkfirst=True)
    keystore.ensure_schema()
    yield keystore
    KeyRecord.__table__.drop(keystore.engine, checkfirst=True)
    keystore.dispose()


def row_versions_holding(keystore: DataKeyStore, wrapped_keys: list[bytes]) -> int:
    """How many of ``wrapped_keys`` a row version of the key table, live or dead, still holds."""
    with keystore.engine.begin() as connection:
        if (
            connection.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pageinspect'"))
            is None
        ):
            pytest.skip("needs PostgreSQL's pageinspect extension to read row versions")
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        pages = connection.scalar(
            text("SELECT pg_relation_size('data_keys') / current_setting('block_size')::int")
        )
        versions = [
            bytes(data)
            for page in range(pages or 0)
            for data in connection.scalars(
                text(
                    "SELECT t_data FROM heap_page_items(get_raw_page('data_keys', :page))"
                    " WHERE t_data IS NOT NULL"
                ),
                {"page": page},
            )
        ]
    return sum(1 for wrapped in wrapped_keys if any(wrapped in version for version in versions))


def test_on_postgresql_a_scrub_prunes_the_row_versions_of_destroyed_keys(
    postgres_keystore: DataKeyStore,
) -> None:
    report_ids = [f"RI-scrub-{n:02d}" for n in range(30)]
    for report_id in report_ids:
        postgres_keystore.create(report_id)
    destroyed = report_ids[::3]
    with postgres_keystore.engine.connect() as connection:
        wrapped = list(
            connection.scalars(select(KeyRecord.wrapped_key).where(KeyRecord.report_id.in_(destroyed)))
        )
    assert postgres_keystore.destroy_many(destroyed, scrub=False) == set(destroyed)
    assert row_versions_holding(postgres_keystore, wrapped) == len(wrapped)  # MVCC kept the old versions
    postgres_keystore.scrub()
    assert row_versions_holding(postgres_keystore, wrapped) == 0
    assert postgres_keystore.usage() == {None: 10, postgres_keystore.keys.kek_id: 20}


def test_a_report_asked_twice_in_one_call_is_erased_and_certified_once(store: ReportStore) -> None:
    report_id = captured(store)
    request = ShredRequest(report_id, reason="subject_request")
    assert shred_reports(store, [request, request]) == [report_id]
    steps = [decode_entry(e.entry)["step"] for e in store.ledger.entries_for_report(report_id)]
    assert steps == ["receive", "capture", "shred"]
    assert shred_reports(store, [request]) == []


def test_shredding_is_recorded_repeatable_and_leaves_a_tombstone(store: ReportStore) -> None:
    report_id = captured(store)
    assert store.find_by_subject([("name", "d" * 64)]) == [report_id]
    assert bool(shred_reports(store, [ShredRequest(report_id, reason="retention")])) is True
    assert bool(shred_reports(store, [ShredRequest(report_id, reason="retention")])) is False
    tombstone = store.get(report_id)
    assert tombstone.state == ReportState.ERASED
    assert tombstone.content_blob_id is None
    assert store.find_by_subject([("name", "d" * 64)]) == []
    steps = [decode_entry(e.entry)["step"] for e in store.ledger.entries_for_report(report_id)]
    assert steps == ["receive", "capture", "shred"]
    with pytest.raises(KeyDestroyedError):
        store.read_blob(report_id, store.submissions(report_id)[0].raw_blob_id)


def test_the_ledger_still_verifies_after_erasure(store: ReportStore, tmp_path: Path) -> None:
    kept, erased = captured(store, "a"), captured(store, "b")
    bool(shred_reports(store, [ShredRequest(erased, reason="retention")]))
    store.ledger.checkpoint()
    result = verify_ledger(store.ledger, store.ledger.signer.verifier_key(), blob_root=tmp_path / "blobs")
    assert result.ok, result.problems
    assert store.get(kept).state == ReportState.CAPTURED


def test_a_proof_bundle_verifies_offline_and_an_erased_report_carries_its_certificate(
    store: ReportStore,
) -> None:
    report_id = captured(store)
    vkey = store.ledger.signer.verifier_key()
    bundle = export_report_proof(store, report_id, verifier_key=vkey)
    result = verify_bundle(bundle, key=vkey)
    assert result.ok, result.problems
    assert result.entries == 3  # receive, capture, proof.export
    bool(shred_reports(store, [ShredRequest(report_id, reason="retention")]))
    erased = export_report_proof(store, report_id, verifier_key=vkey)
    archive = zipfile.ZipFile(BytesIO(erased))
    steps = [
        decode_entry(archive.read(n))["step"] for n in sorted(archive.namelist()) if n.startswith("entries/")
    ]
    assert steps[-2:] == [LedgerStep.SHRED, LedgerStep.PROOF_EXPORT]  # the certificate is retention's
    assert verify_bundle(erased, key=vkey).ok
    assert b"Dupuis" not in erased


@pytest.mark.parametrize(
    ("member", "change", "expected"),
    [
        ("entries/000000000001.json", lambda b: b.replace(b"captured", b"rejected"), "modified"),
        ("proofs.txt", lambda b: b.replace(b".json 1 ", b".json 0 "), "modified"),
        ("checkpoint.txt", lambda b: b.replace(b"\n3\n", b"\n2\n"), "modified"),
    ],
)
def test_a_bundle_edited_by_hand_is_refused(store: ReportStore, member: str, change, expected: str) -> None:
    report_id = captured(store)
    vkey = store.ledger.signer.verifier_key()
    original = zipfile.ZipFile(BytesIO(export_report_proof(store, report_id, verifier_key=vkey)))
    edited = BytesIO()
    with zipfile.ZipFile(edited, "w") as out:
        for name in original.namelist():
            data = original.read(name)
            out.writestr(name, change(data) if name == member else data)
    result = verify_bundle(edited.getvalue(), key=vkey)
    assert not result.ok
    assert any(member in p and expected in p for p in result.problems), result.problems


def test_a_bundle_signed_by_another_key_is_refused(store: ReportStore, tmp_path: Path) -> None:
    report_id = captured(store)
    bundle = export_report_proof(store, report_id, verifier_key=store.ledger.signer.verifier_key())
    from storage.ledger.checkpoint import generate_signing_key, load_signer

    stranger = load_signer(store.ledger.signer.name, generate_signing_key()[0]).verifier_key()
    result = verify_bundle(bundle, key=stranger)
    assert not result.ok


def test_kek_rotation_rewraps_keys_without_touching_blobs(
    store: ReportStore, keystore: DataKeyStore, keys: KeyMaterial, tmp_path: Path
) -> None:
    report_ids = [captured(store, f"s{n}") for n in range(3)]
    before = {p: p.read_bytes() for p in (tmp_path / "blobs").rglob("*") if p.is_file()}
    result = rotate_kek(tmp_path / "keys", keystore.url, store.ledger, actor="test")
    assert result.rewrapped == 3
    assert result.old_kek_id == keys.kek_id != result.new_kek_id
    after = {p: p.read_bytes() for p in (tmp_path / "blobs").rglob("*") if p.is_file()}
    assert after == before
    reloaded = load_key_material(tmp_path / "keys")
    assert reloaded.kek_id == result.new_kek_id
    rotated = DataKeyStore(keystore.url, reloaded)
    assert rotated.usage() == {result.new_kek_id: 3}
    rotated.dispose()
    # only the retired key can still open them: without it (and without the new key) nothing works
    result.retired_file.unlink()
    fresh_store = ReportStore(
        store.database,
        DataKeyStore(keystore.url, load_key_material(tmp_path / "keys")),
        store.blobs,
        store.ledger,
    )
    for report_id in report_ids:
        assert fresh_store.read_blob(report_id, store.submissions(report_id)[0].raw_blob_id) == SECRET


def test_a_wrong_kek_is_a_clear_error_and_changes_nothing(
    store: ReportStore, keystore: DataKeyStore, tmp_path: Path
) -> None:
    report_id = captured(store)
    from storage.keys import LocalKek

    wrong = KeyMaterial(kek=LocalKek(b"\x01" * 32), index_key=keystore.keys.index_key)
    usage = keystore.usage()
    stranger = DataKeyStore(keystore.url, wrong)
    with pytest.raises(WrongKeyError, match="not available"):
        stranger.get(report_id)
    with pytest.raises(WrongKeyError):
        stranger.rewrap(LocalKek(b"\x02" * 32))
    stranger.dispose()
    assert keystore.usage() == usage
