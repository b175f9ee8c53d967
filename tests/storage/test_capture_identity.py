"""Capture identity and serialized corrections, on SQLite and PostgreSQL (issue 14).

A correction is accepted only from the sender of the original; anyone else's bytes under
that submission_id are kept as their own rejected report, and the answer names nothing.
Corrections of one report sent at once are serialized: exactly one is a correction.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import SUBMISSION_ID_TAKEN, ReceiptKind, ReportStore
from storage.states import ReportState

REJECTION = [{"path": "", "code": "invalid_json", "message": "m"}]


def _rejected(store: ReportStore, submission_id: str = "sub-1") -> str:
    receipt = store.receive(b"v1 of tech-a", source="json", submission_id=submission_id)
    store.save_capture(receipt.report_id, content=None, issues=REJECTION)
    assert store.get(receipt.report_id).state == ReportState.REJECTED
    return receipt.report_id


@pytest.mark.parametrize("original_state", [ReportState.REJECTED, ReportState.VALIDATED])
@pytest.mark.parametrize("same_bytes", [False, True])
def test_another_senders_bytes_under_a_used_submission_id_are_their_own_rejected_report(
    store: ReportStore, original_state: ReportState, same_bytes: bool
) -> None:
    tech_a, tech_b = store.for_submitter("tech-a"), store.for_submitter("tech-b")
    original = tech_a.receive(b"v1 of tech-a", source="json", submission_id="sub-1").report_id
    if original_state == ReportState.REJECTED:
        tech_a.save_capture(original, content=None, issues=REJECTION)
    else:
        tech_a.transition(original, ReportState.VALIDATED)
    before = tech_a.get(original)

    raw = b"v1 of tech-a" if same_bytes else b"tech-b's takeover"
    receipt = tech_b.receive(raw, source="json", submission_id="sub-1")

    # The same answer whatever the original's state and bytes: a conflict naming nothing.
    assert receipt.kind == ReceiptKind.CONFLICT
    assert receipt.conflicting_report_id is None
    assert receipt.report_id != original
    kept = store.get(receipt.report_id)
    assert kept.state == ReportState.REJECTED
    assert kept.issues == [SUBMISSION_ID_TAKEN]
    assert original not in str(kept.issues)
    # tech-a's report is untouched, and tech-b is not among who sent it.
    after = store.get(original)
    assert (after.state, after.revision, after.issues) == (before.state, before.revision, before.issues)
    assert len(store.submissions(original)) == 1
    actors = {
        decode_entry(e.entry)["actor"]
        for e in store.ledger.entries_for_report(original)
        if decode_entry(e.entry)["step"] == LedgerStep.RECEIVE
    }
    assert actors == {"tech-a"}
    # The kept report is tech-b's: a retry is a duplicate of it.
    again = tech_b.receive(raw, source="json", submission_id="sub-1")
    assert (again.kind, again.report_id) == (ReceiptKind.DUPLICATE, receipt.report_id)


def test_the_sender_still_corrects_their_own_rejected_report(store: ReportStore) -> None:
    tech_a = store.for_submitter("tech-a")
    original = _rejected(tech_a)
    receipt = tech_a.receive(b"v2 of tech-a", source="json", submission_id="sub-1")
    assert (receipt.kind, receipt.report_id) == (ReceiptKind.CORRECTION, original)
    assert store.get(original).revision == 2


def test_the_operator_store_corrects_any_report(store: ReportStore) -> None:
    original = _rejected(store.for_submitter("tech-a"))
    receipt = store.receive(b"v2 from the back office", source="json", submission_id="sub-1")
    assert (receipt.kind, receipt.report_id) == (ReceiptKind.CORRECTION, original)


def test_another_senders_conflict_is_not_returned_as_a_duplicate(store: ReportStore) -> None:
    tech_a = store.for_submitter("tech-a")
    original = tech_a.receive(b"v1", source="json", submission_id="sub-1").report_id
    tech_a.transition(original, ReportState.VALIDATED)
    a_conflict = tech_a.receive(b"v2", source="json", submission_id="sub-1")
    assert a_conflict.kind == ReceiptKind.CONFLICT
    b_conflict = store.for_submitter("tech-b").receive(b"v2", source="json", submission_id="sub-1")
    assert b_conflict.kind == ReceiptKind.CONFLICT
    assert b_conflict.report_id != a_conflict.report_id


@pytest.mark.parametrize("submitter", ["tech-a", None])
def test_concurrent_corrections_of_one_rejected_report_acknowledge_exactly_one(
    store: ReportStore, submitter: str | None
) -> None:
    sender = store.for_submitter(submitter) if submitter else store
    original = _rejected(sender)
    start = threading.Barrier(8)

    def correct(n: int) -> tuple[ReceiptKind, str]:
        start.wait()
        receipt = sender.receive(f"correction {n}".encode(), source="json", submission_id="sub-1")
        return receipt.kind, receipt.report_id

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(correct, range(8)))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds.count(ReceiptKind.CORRECTION) == 1, outcomes
    assert kinds.count(ReceiptKind.CONFLICT) == 7, outcomes
    report = store.get(original)
    assert (report.state, report.revision) == (ReportState.CAPTURED, 2)
    # The acknowledged correction is the one kept: the report's latest submission.
    assert [s.outcome for s in store.submissions(original)] == ["captured", "captured"]
    conflicts = {report_id for kind, report_id in outcomes if kind == ReceiptKind.CONFLICT}
    assert len(conflicts) == 7 and original not in conflicts
