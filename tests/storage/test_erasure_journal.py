"""An erasure that dies after its commit leaves no file behind: the next one finishes it.

The deletion journal (``blobs/.pending-deletes/``) names the batch's reports before the
commit that erases them; a failure or a kill before the files are gone leaves it, and the
next :func:`shred_reports` call replays it. Here the failure is an exception raised in
place of the deletion (the SIGKILL case is tests/integration/test_flow_crash.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from storage.blobs import DELETION_JOURNALS, LocalBlobBackend
from storage.erasure import ShredRequest, finish_interrupted_deletions, shred_reports
from storage.ledger.verify import verify_ledger
from storage.report_store import BlobToStore, ReportStore
from storage.states import ReportState


class DiedDeletingError(Exception):
    """Stands for the kill between the commit and the file deletion."""


def captured(store: ReportStore, submission_id: str) -> str:
    report_id = store.receive(b"raw submission", source="json", submission_id=submission_id).report_id
    store.save_capture(report_id, content=b'{"client": "x"}', blobs=[BlobToStore("photo", b"photo")])
    return report_id


def files_of(tmp_path: Path, report_id: str) -> list[Path]:
    return sorted((tmp_path / "blobs" / report_id).glob("*"))


def journals(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "blobs" / DELETION_JOURNALS).glob("*"))


def requests(report_ids: Iterable[str]) -> list[ShredRequest]:
    return [ShredRequest(r, reason="retention") for r in report_ids]


def fail_deletions(monkeypatch: pytest.MonkeyPatch) -> None:
    def die(_backend: LocalBlobBackend, _report_ids: Iterable[str]) -> None:
        raise DiedDeletingError

    monkeypatch.setattr(LocalBlobBackend, "delete_reports", die)


def test_files_left_by_an_erasure_that_died_after_its_commit_are_deleted_by_the_next_call(
    store: ReportStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed = [captured(store, f"doomed-{n}") for n in range(3)]
    kept = captured(store, "kept")
    with monkeypatch.context() as patch:
        fail_deletions(patch)
        with pytest.raises(DiedDeletingError):
            shred_reports(store, requests(doomed))
    assert {store.get(r).state for r in doomed} == {ReportState.ERASED}  # the commit happened
    assert all(files_of(tmp_path, r) for r in doomed)  # the bug: the files outlived it
    [journal] = journals(tmp_path)
    assert sorted(journal.read_text().split()) == sorted(doomed)  # ids only

    store.ledger.checkpoint()
    verified = verify_ledger(store.ledger, store.ledger.signer.verifier_key(), blob_root=tmp_path / "blobs")
    assert verified.ok, verified.problems
    assert any("deletion journal" in w and "quitus retention run" in w for w in verified.warnings)
    assert any("left over from erasing" in w and "next erasure" in w for w in verified.warnings)

    # The next call, even one with nothing to erase (a retention batch without deletions).
    assert shred_reports(store, []) == []
    assert [r for r in doomed if files_of(tmp_path, r)] == []
    assert journals(tmp_path) == []
    assert files_of(tmp_path, kept)
    assert store.get(kept).state == ReportState.CAPTURED
    assert shred_reports(store, requests(doomed)) == []  # already erased, certified once

    verified = verify_ledger(store.ledger, store.ledger.signer.verifier_key(), blob_root=tmp_path / "blobs")
    assert verified.ok, verified.problems
    assert not [w for w in verified.warnings if "blobs" in w]


def test_a_journal_whose_erasure_never_committed_is_dropped_and_its_files_kept(
    store: ReportStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_ids = [captured(store, f"s{n}") for n in range(2)]

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise DiedDeletingError

    with monkeypatch.context() as patch:
        patch.setattr(store.ledger, "append", refuse)  # the transaction rolls back
        with pytest.raises(DiedDeletingError):
            shred_reports(store, requests(report_ids))
    assert {store.get(r).state for r in report_ids} == {ReportState.CAPTURED}
    assert len(journals(tmp_path)) == 1

    assert finish_interrupted_deletions(store) == 0
    assert journals(tmp_path) == []
    assert all(files_of(tmp_path, r) for r in report_ids)  # not erased: nothing of theirs is deleted
    # Erased again (their keys are already destroyed), with a journal of their own.
    assert shred_reports(store, requests(report_ids)) == report_ids
    assert [r for r in report_ids if files_of(tmp_path, r)] == []
    assert journals(tmp_path) == []


def test_a_journal_held_by_a_live_erasure_is_left_alone(
    store: ReportStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = captured(store, "s")
    with monkeypatch.context() as patch:
        fail_deletions(patch)
        with pytest.raises(DiedDeletingError):
            shred_reports(store, requests([report_id]))
    [left] = journals(tmp_path)
    # Another erasure's journal, still held: as if its process were between commit and deletion.
    with store.blobs.journal_deletions([report_id]) as live:
        assert finish_interrupted_deletions(store) == 1  # the dead one's only
        assert journals(tmp_path) == [live.path] != [left]
        assert not files_of(tmp_path, report_id)
        assert finish_interrupted_deletions(store) == 0
        assert journals(tmp_path) == [live.path]
    assert finish_interrupted_deletions(store) == 1  # released without being discarded: replayed
    assert journals(tmp_path) == []


def test_a_journal_cut_short_by_a_kill_is_replayed_safely(store: ReportStore, tmp_path: Path) -> None:
    erased, live = captured(store, "a"), captured(store, "b")
    shred_reports(store, requests([erased]))
    (tmp_path / "blobs" / erased).mkdir()
    (tmp_path / "blobs" / erased / "left").write_bytes(b"ciphertext")
    folder = tmp_path / "blobs" / DELETION_JOURNALS
    (folder / "cut").write_text(f"{erased}\n{live[:5]}")  # the kill hit while it was written
    (folder / "odd").write_text(f"../{live}\n.\n\n")
    assert finish_interrupted_deletions(store) == 1
    assert not (tmp_path / "blobs" / erased).exists()
    assert files_of(tmp_path, live)
    assert journals(tmp_path) == []
