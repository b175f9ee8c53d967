"""The disposal gate decides on what the ledger recorded, not on rows an intruder edited.

A person with write access to the database alone (no key folder) edits the plain columns
a disposal decides on — a report's intervention date, client kind or tags, its archival
date, a recorded event's date, the subject index that keeps a person's hold on it — or
forges a ledger entry to match. Each edit would make a report due today, or lift a hold.
The gate must refuse to dispose of such a report (rule ``tampered``), name what differs,
and destroy nothing; the same report untouched is disposed of (the check can fail).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from retention.clock import FixedClock
from retention.executor import run_retention
from retention.gate import DisposalGate
from retention.holds import HoldService
from storage.event_store import EventStore
from storage.ledger.events import LedgerEvent, decode_entry, encode_entry
from storage.ledger.steps import LedgerStep
from storage.models import (
    LedgerEntryRecord,
    LedgerHeadRecord,
    ReportEventRecord,
    ReportRecord,
    SubjectIndexRecord,
)
from storage.report_facts import FACTS_DETAIL, facts_digest
from storage.report_store import ReportStore
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal
from storage.states import ReportState
from tests.retention.conftest import MakeReport, loaded

TODAY = dt.date(2026, 12, 2)


def _policy(
    pid: str, duration: str, action: str, trigger: dict[str, str], **scope: list[str]
) -> LoadedPolicy:
    model = Policy.model_validate(
        {
            "id": pid,
            "title": pid,
            "legal_basis": {"text": "t", "references": ["r"], "obligation": False},
            "scope": scope,
            "trigger": trigger,
            "duration": duration,
            "action": action,
        }
    )
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "v1", "")


POLICIES = PolicySet(
    [
        loaded("anon-particuliers", "P3Y", "anonymize", client_kinds=["particulier"]),
        loaded("del-pros", "P2Y", "delete", client_kinds=["professionnel"]),
        loaded("keep-factures", "P10Y", "delete", tags=["facturee"]),
    ]
)


def _edit(store: ReportStore, report_id: str, **values: object) -> None:
    with store.database.session() as session:
        session.execute(update(ReportRecord).where(ReportRecord.id == report_id).values(**values))


def _dispose(store: ReportStore, policies: PolicySet, report_id: str, purpose: DisposalPurpose):  # type: ignore[no-untyped-def]
    return DisposalGate(store, policies, clock=FixedClock(TODAY)).dispose([report_id], purpose)


def _assert_refused_as_tampered(outcome, store: ReportStore, report_id: str, what: str) -> None:  # type: ignore[no-untyped-def]
    assert outcome.disposed == [], "an edited report was disposed of"
    [refusal] = outcome.refused
    assert refusal.rule == DisposalRefusal.TAMPERED
    assert what in refusal.message
    assert "quitus audit verify" in refusal.message
    assert store.get(report_id).state != ReportState.ERASED


Attack = Callable[[ReportStore, MakeReport], tuple[str, str]]
"""Makes a report not due today, edits it to look due; returns (report id, what the refusal names)."""


def _older_intervention(store: ReportStore, make_report: MakeReport) -> tuple[str, str]:
    report = make_report(kind="professionnel", day=dt.date(2025, 6, 1))  # due 2027-06-01
    _edit(store, report, intervention_date=dt.date(2015, 6, 1))
    return report, "retention facts"


def _client_kind(store: ReportStore, make_report: MakeReport) -> tuple[str, str]:
    report = make_report(kind="particulier", day=dt.date(2024, 6, 1))  # anonymized 2027-06-01
    _edit(store, report, client_kind="professionnel")  # deleted from 2026-06-01
    return report, "retention facts"


def _tag_removed(store: ReportStore, make_report: MakeReport) -> tuple[str, str]:
    report = make_report(kind="professionnel", day=dt.date(2023, 6, 1), tags=("facturee",))  # kept to 2033
    _edit(store, report, tags=[])
    return report, "retention facts"


ATTACKS: dict[str, Attack] = {
    "intervention_date": _older_intervention,
    "client_kind": _client_kind,
    "tags": _tag_removed,
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_edited_facts_are_refused_and_nothing_is_destroyed(
    store: ReportStore, make_report: MakeReport, attack: str
) -> None:
    report, what = ATTACKS[attack](store, make_report)
    outcome = _dispose(store, POLICIES, report, DisposalPurpose.RETENTION)
    _assert_refused_as_tampered(outcome, store, report, what)


def test_the_nightly_run_refuses_an_edited_report_loudly_and_disposes_of_the_others(
    store: ReportStore, make_report: MakeReport
) -> None:
    honest = make_report(kind="professionnel", day=dt.date(2022, 6, 1))  # due 2024-06-01
    edited, _ = _older_intervention(store, make_report)
    summary = run_retention(store, POLICIES, clock=FixedClock(TODAY))
    assert store.get(honest).state == ReportState.ERASED
    assert store.get(edited).state != ReportState.ERASED
    assert list(summary.tampered) == [edited]
    assert "retention facts" in summary.tampered[edited]


def test_an_untouched_report_due_today_is_disposed_of(store: ReportStore, make_report: MakeReport) -> None:
    report = make_report(kind="professionnel", day=dt.date(2022, 6, 1))
    outcome = _dispose(store, POLICIES, report, DisposalPurpose.RETENTION)
    assert outcome.deleted == [report]


def test_a_forged_capture_entry_that_matches_the_edit_is_not_believed(
    store: ReportStore, make_report: MakeReport
) -> None:
    """The intruder appends a capture entry recording the digest of the edited facts (no MAC key)."""
    report = make_report(kind="professionnel", day=dt.date(2025, 6, 1))
    _edit(store, report, intervention_date=dt.date(2015, 6, 1))
    with store.database.session() as session:
        [last] = session.execute(
            select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
            .where(LedgerEntryRecord.report_id == report, LedgerEntryRecord.step == LedgerStep.CAPTURE)
            .order_by(LedgerEntryRecord.seq.desc())
            .limit(1)
        ).all()
        captured = decode_entry(last.entry)
        details = dict(captured["details"])
        details[FACTS_DETAIL] = facts_digest(
            template_id="climatisation.mise_en_service",
            client_kind="professionnel",
            intervention_date="2015-06-01",
            outcome="completed",
            tags=[],
            site_country="FR",
        )
        size = int(session.scalar(select(func.max(LedgerEntryRecord.seq)))) + 1
        forged = encode_entry(
            size,
            dt.datetime.now(dt.UTC),
            LedgerEvent(
                step=LedgerStep.CAPTURE, actor="test", outcome="captured", report_id=report, details=details
            ),
        )
        session.execute(
            insert(LedgerEntryRecord).values(
                seq=size,
                report_id=report,
                step=LedgerStep.CAPTURE.value,
                recorded_at=dt.datetime.now(dt.UTC),
                entry=forged.decode("ascii"),
                mac=None,
            )
        )
        session.execute(update(LedgerHeadRecord).values(size=size + 1))
    outcome = _dispose(store, POLICIES, report, DisposalPurpose.RETENTION)
    _assert_refused_as_tampered(outcome, store, report, "not written by quitus")


def test_an_edited_event_date_is_refused(store: ReportStore, make_report: MakeReport) -> None:
    policies = PolicySet([_policy("contrat", "P1Y", "delete", {"kind": "event", "event": "contract_end"})])
    report = make_report(kind="professionnel", day=dt.date(2025, 1, 10))
    EventStore(store).record(report, "contract_end", dt.date(2026, 6, 1))  # due 2027-06-01
    with store.database.session() as session:
        session.execute(
            update(ReportEventRecord)
            .where(ReportEventRecord.report_id == report)
            .values(occurred_on=dt.date(2025, 2, 1))
        )
    outcome = _dispose(store, policies, report, DisposalPurpose.RETENTION)
    _assert_refused_as_tampered(outcome, store, report, "event contract_end")


def test_an_edited_archival_date_is_refused(store: ReportStore, make_report: MakeReport) -> None:
    policies = PolicySet([_policy("archive", "P1Y", "delete", {"kind": "archival_date"})])
    report = make_report(kind="professionnel", day=dt.date(2025, 1, 10))
    for state in (ReportState.REDACTED, ReportState.RENDERED, ReportState.SIGNED):
        store.transition(report, state)
    store.mark_archived(report)  # now: due in a year
    _edit(store, report, archived_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    outcome = _dispose(store, policies, report, DisposalPurpose.RETENTION)
    _assert_refused_as_tampered(outcome, store, report, "archived_at")


def test_deleted_subject_rows_do_not_lift_a_hold_placed_on_the_person(
    store: ReportStore, make_report: MakeReport
) -> None:
    report = make_report(kind="particulier", day=dt.date(2025, 6, 1), email="jeanne.roux@example.fr")
    HoldService(store).place_on_subject(
        reason="litige prud'hommes", terms=[("email", "jeanne.roux@example.fr")]
    )
    with store.database.session() as session:
        session.execute(delete(SubjectIndexRecord).where(SubjectIndexRecord.report_id == report))
    outcome = _dispose(store, POLICIES, report, DisposalPurpose.ERASURE_REQUEST)
    _assert_refused_as_tampered(outcome, store, report, "subject index")


def test_refusals_name_no_personal_data(store: ReportStore, make_report: MakeReport) -> None:
    report = make_report(kind="particulier", day=dt.date(2025, 6, 1), email="jeanne.roux@example.fr")
    _edit(store, report, client_kind="professionnel")
    outcome = _dispose(store, POLICIES, report, DisposalPurpose.RETENTION)
    text = json.dumps([r.message for r in outcome.refused])
    assert "jeanne" not in text.lower() and "roux" not in text.lower()


def test_a_report_erased_by_a_concurrent_run_is_already_erased_not_tampered(
    store: ReportStore, make_report: MakeReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two retention runs at once (a manual run while the nightly one works): the second read
    the facts of a report the first then erased. That report is "already erased", never
    "tampered" — a false TAMPERING FOUND would send the operator after an intruder."""
    due = make_report(kind="professionnel", day=dt.date(2022, 6, 1))  # due 2024-06-01
    import retention.gate as gate_module

    real_check = gate_module.decision_tampering

    def first_run_erases_in_between(report_store: ReportStore, ids: list[str]) -> dict[str, list[str]]:
        monkeypatch.setattr(gate_module, "decision_tampering", real_check)
        first = _dispose(store, POLICIES, due, DisposalPurpose.RETENTION)
        assert first.disposed == [due]
        return real_check(report_store, ids)

    monkeypatch.setattr(gate_module, "decision_tampering", first_run_erases_in_between)
    second = _dispose(store, POLICIES, due, DisposalPurpose.RETENTION)
    assert second.refused == [], f"refused as {[r.rule for r in second.refused]}"
    assert second.already_erased == [due]
    assert second.disposed == []
    assert store.get(due).state == ReportState.ERASED


def test_the_plan_and_explain_say_a_tampered_report_will_be_refused(
    store: ReportStore, make_report: MakeReport
) -> None:
    """The plan and `policies explain` decide on the same rows as the gate: an edited report is
    shown as tampered (not executable), never as simply due."""
    from retention.explain import explain_retention
    from retention.planner import plan_dispositions

    honest = make_report(kind="professionnel", day=dt.date(2022, 6, 1))  # due 2024-06-01
    edited, what = _older_intervention(store, make_report)
    plan = {p.report_id: p for p in plan_dispositions(store, POLICIES, HoldService(store).active(), TODAY)}
    assert plan[honest].executable and plan[honest].tampered == ()
    assert not plan[edited].executable
    assert any(what in problem for problem in plan[edited].tampered)
    explanation = explain_retention(store, POLICIES, edited)
    assert explanation is not None and any(what in problem for problem in explanation.tampered)
    untouched = explain_retention(store, POLICIES, honest)
    assert untouched is not None and untouched.tampered == ()


def test_a_moved_received_date_of_an_undated_report_is_refused_as_tampering(store: ReportStore) -> None:
    """A submission that could not be read has no intervention date: its retention clock is
    ``created_at``. Moved back with the database alone, it would make the report due years
    early — the gate refuses it, and `audit verify`'s row checks name it."""
    from storage.state_integrity import check_stored_state

    policies = PolicySet([loaded("rejets", "P1Y", "delete")])
    receipt = store.receive(b"{not json", source="json", submission_id=None)
    store.save_capture(receipt.report_id, content=None, issues=[{"code": "invalid_json", "message": "x"}])
    assert store.get(receipt.report_id).state == ReportState.REJECTED
    _edit(store, receipt.report_id, created_at=dt.datetime(2015, 1, 1, 12, tzinfo=dt.UTC))
    outcome = _dispose(store, policies, receipt.report_id, DisposalPurpose.RETENTION)
    _assert_refused_as_tampered(outcome, store, receipt.report_id, "created_at")
    problems = [p for p in check_stored_state(store) if "created_at" in str(p)]
    assert problems, "audit verify did not name the moved created_at"


def test_an_untouched_undated_report_follows_its_received_date(store: ReportStore) -> None:
    policies = PolicySet([loaded("rejets", "P1Y", "delete")])
    receipt = store.receive(b"{not json", source="json", submission_id=None)
    store.save_capture(receipt.report_id, content=None, issues=[{"code": "invalid_json", "message": "x"}])
    outcome = _dispose(store, policies, receipt.report_id, DisposalPurpose.RETENTION)
    assert outcome.refused and outcome.refused[0].rule != DisposalRefusal.TAMPERED  # received today: not due


def test_an_unreadable_report_is_refused_alone_and_the_others_are_disposed_of(
    store: ReportStore, make_report: MakeReport, tmp_path: Path
) -> None:
    """A content blob corrupted on disk (or its file lost) cannot be anonymized into the
    statistics: that report is refused as unreadable, named, kept for a person to look at —
    and every other due report is disposed of as usual (one bad file never stops the run)."""
    unreadable = make_report(kind="particulier", day=dt.date(2020, 6, 1))  # anonymized from 2023-06-01
    honest = make_report(kind="particulier", day=dt.date(2020, 7, 1))
    blob_id = store.get(unreadable).content_blob_id
    [path] = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file() and p.name == blob_id]
    path.write_bytes(path.read_bytes()[:-40] + bytes(40))
    summary = run_retention(store, POLICIES, clock=FixedClock(TODAY))
    assert store.get(honest).state == ReportState.ERASED
    assert store.get(unreadable).state != ReportState.ERASED
    assert list(summary.unreadable) == [unreadable], summary
    assert "quitus audit verify" in summary.unreadable[unreadable]
