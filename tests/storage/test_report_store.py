"""The report repository on SQLite and PostgreSQL: idempotency, encryption, state machine."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.errors import BlobError, InvalidTransitionError, KeyStoreError, WrongKeyError
from storage.keys import create_key_files, load_key_material
from storage.keystore import DataKeyStore
from storage.report_store import ReceiptKind, ReportStore, new_report_id
from storage.states import ReportState

SECRET = "Mme Héloïse Dupuis-Secret 06 12 34 56 78"


def test_new_submission_creates_a_captured_report(store: ReportStore) -> None:
    receipt = store.receive(SECRET.encode(), source="json", submission_id="sub-1")
    assert receipt.kind == ReceiptKind.NEW
    report = store.get(receipt.report_id)
    assert report.state == ReportState.CAPTURED
    assert report.submission_id == "sub-1"
    assert [s.outcome for s in store.submissions(receipt.report_id)] == ["captured"]


def test_same_bytes_again_is_the_same_report(store: ReportStore) -> None:
    first = store.receive(b"payload", source="json", submission_id="sub-1")
    again = store.receive(b"payload", source="json", submission_id="sub-1")
    assert again == type(again)(ReceiptKind.DUPLICATE, first.report_id)
    assert len(store.submissions(first.report_id)) == 1
    assert len(store.list_reports()) == 1


def test_unreadable_bytes_without_id_are_not_duplicated(store: ReportStore) -> None:
    first = store.receive(b"{broken", source="json", submission_id=None)
    again = store.receive(b"{broken", source="json", submission_id=None)
    assert again.kind == ReceiptKind.DUPLICATE
    assert again.report_id == first.report_id


def test_new_bytes_for_a_rejected_report_are_a_correction(store: ReportStore) -> None:
    first = store.receive(b"v1", source="json", submission_id="sub-1")
    store.save_capture(first.report_id, content=None, issues=[{"path": "", "code": "x", "message": "m"}])
    assert store.get(first.report_id).state == ReportState.REJECTED
    corrected = store.receive(b"v2", source="json", submission_id="sub-1")
    assert corrected == type(corrected)(ReceiptKind.CORRECTION, first.report_id)
    report = store.get(first.report_id)
    assert (report.state, report.revision, report.issues) == (ReportState.CAPTURED, 2, [])
    assert len(store.submissions(first.report_id)) == 2


def test_new_bytes_for_an_accepted_report_are_kept_as_a_conflict(store: ReportStore) -> None:
    first = store.receive(b"v1", source="json", submission_id="sub-1")
    store.transition(first.report_id, ReportState.VALIDATED)
    conflict = store.receive(b"v2", source="json", submission_id="sub-1")
    assert conflict.kind == ReceiptKind.CONFLICT
    assert conflict.conflicting_report_id == first.report_id
    assert conflict.report_id != first.report_id
    assert store.get(conflict.report_id).submission_id is None
    assert store.get(first.report_id).state == ReportState.VALIDATED
    # the conflicting bytes are kept, readable by an authorized reader
    raw_blob = store.submissions(conflict.report_id)[0].raw_blob_id
    assert store.read_blob(conflict.report_id, raw_blob) == b"v2"


def test_blobs_are_encrypted_at_rest(store: ReportStore, tmp_path: Path) -> None:
    receipt = store.receive(SECRET.encode(), source="json", submission_id="sub-1")
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert b"Dupuis" not in path.read_bytes()
    raw_blob = store.submissions(receipt.report_id)[0].raw_blob_id
    assert store.read_blob(receipt.report_id, raw_blob) == SECRET.encode()


def test_a_modified_blob_is_refused(store: ReportStore, tmp_path: Path) -> None:
    receipt = store.receive(SECRET.encode(), source="json", submission_id="sub-1")
    blob_id = store.submissions(receipt.report_id)[0].raw_blob_id
    path = tmp_path / "blobs" / receipt.report_id / blob_id
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(BlobError, match="integrity"):
        store.read_blob(receipt.report_id, blob_id)
    path.write_bytes(bytes(data[:10]))
    with pytest.raises(BlobError, match="truncated"):
        store.read_blob(receipt.report_id, blob_id)
    path.unlink()
    with pytest.raises(BlobError, match="missing"):
        store.read_blob(receipt.report_id, blob_id)


def test_a_blob_moved_to_another_report_does_not_decrypt(store: ReportStore, tmp_path: Path) -> None:
    one = store.receive(b"one", source="json", submission_id="a")
    two = store.receive(b"two", source="json", submission_id="b")
    blob_one = store.submissions(one.report_id)[0].raw_blob_id
    blob_two = store.submissions(two.report_id)[0].raw_blob_id
    root = tmp_path / "blobs"
    (root / two.report_id / blob_two).write_bytes((root / one.report_id / blob_one).read_bytes())
    with pytest.raises(BlobError):
        store.read_blob(two.report_id, blob_two)


def test_wrong_key_encryption_key_is_named(store: ReportStore, tmp_path: Path) -> None:
    receipt = store.receive(b"x", source="json", submission_id="a")
    create_key_files(tmp_path / "other-keys")
    other_keys = load_key_material(tmp_path / "other-keys")
    other = DataKeyStore(f"sqlite:///{tmp_path / 'keys' / 'datakeys.db'}", other_keys)
    with pytest.raises(WrongKeyError, match=r"key-encryption key .* not available"):
        other.get(receipt.report_id)
    other.dispose()


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (ReportState.CAPTURED, ReportState.VALIDATED, True),
        (ReportState.CAPTURED, ReportState.REJECTED, True),
        (ReportState.CAPTURED, ReportState.SIGNED, False),
        (ReportState.VALIDATED, ReportState.CAPTURED, False),
        (ReportState.VALIDATED, ReportState.REDACTED, True),
    ],
)
def test_state_machine(store: ReportStore, start: ReportState, target: ReportState, allowed: bool) -> None:
    report_id = store.receive(b"x", source="json", submission_id="a").report_id
    if start != ReportState.CAPTURED:
        store.transition(report_id, start)
    if allowed:
        assert store.transition(report_id, target).state == target
    else:
        with pytest.raises(InvalidTransitionError, match=f"from {start.value} to {target.value}"):
            store.transition(report_id, target)


def test_expected_state_guards_a_step_done_twice(store: ReportStore) -> None:
    report_id = store.receive(b"x", source="json", submission_id="a").report_id
    store.transition(report_id, ReportState.VALIDATED, expected=ReportState.CAPTURED)
    with pytest.raises(InvalidTransitionError, match="expected captured"):
        store.transition(report_id, ReportState.REJECTED, expected=ReportState.CAPTURED)


def test_key_files_are_private_and_never_overwritten(tmp_path: Path) -> None:
    created = create_key_files(tmp_path / "k")
    assert {p.name for p in created} == {"kek.key", "index.key", "ledger.key", "fingerprints.json"}
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = (tmp_path / "k" / "kek.key").read_bytes()
    assert create_key_files(tmp_path / "k") == []
    assert (tmp_path / "k" / "kek.key").read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not base64!!", "not base64"),
        ("c2hvcnQ=", "expected 32"),
    ],
)
def test_malformed_key_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    create_key_files(tmp_path / "k")
    (tmp_path / "k" / "kek.key").write_text(content)
    with pytest.raises(KeyStoreError, match=message):
        load_key_material(tmp_path / "k")


def test_missing_keys_say_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="quitus init"):
        load_key_material(tmp_path / "nowhere")


def test_report_ids_are_unique_and_well_formed() -> None:
    ids = [new_report_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("RI-") and len(i) == 29 for i in ids)
