"""Regression tests for what a compliance officer broke with ordinary commands (issue 12).

Each test is one finding; all go through the same functions the CLI, the API and the
flows call (the disposal gate, the effective decision)."""

from __future__ import annotations

import datetime as dt

import pytest

from policies.loading import PolicySet
from retention.clock import FixedClock
from retention.effective import effective_decision
from retention.errors import ReviewError
from retention.executor import run_retention
from retention.explain import explain_retention
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.planner import plan_dispositions
from retention.review import ReviewQueue
from retention.subjects import erase_subject
from storage.ledger.events import decode_entry
from storage.report_store import ReportStore
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal
from storage.states import ReportState
from tests.retention.conftest import MakeReport, loaded

TODAY = dt.date(2026, 12, 2)


def test_finding_1_shred_refuses_a_held_report_and_one_under_a_legal_obligation(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("compta", "P10Y", "delete", obligation=True, tags=["facturee"])])
    held = make_report(day=dt.date(2010, 1, 1))
    kept_by_law = make_report(day=dt.date(2024, 1, 1), tags=("facturee",))
    free = make_report(day=dt.date(2024, 1, 1))
    hold = HoldService(store).place(reason="RG-2026-118", scope_kind="reports", scope={"report_ids": [held]})
    gate = DisposalGate(store, policies, clock=FixedClock(TODAY))
    outcome = gate.dispose(
        [held, kept_by_law, free], DisposalPurpose.ERASURE_REQUEST, reason="subject_request"
    )
    refused = {r.report_id: r for r in outcome.refused}
    assert refused[held].rule == DisposalRefusal.HELD
    assert hold.id in refused[held].message
    assert refused[kept_by_law].rule == DisposalRefusal.OBLIGATION
    assert "compta" in refused[kept_by_law].message
    assert "2034-01-01" in refused[kept_by_law].message
    assert outcome.deleted == [free]
    assert store.get(held).state != ReportState.ERASED
    assert store.get(kept_by_law).state != ReportState.ERASED


def test_finding_1_restricted_by_a_subject_erasure_then_shredded_by_hand_is_refused(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("compta", "P10Y", "delete", obligation=True)])
    report = make_report(day=dt.date(2024, 1, 1))
    [outcome] = erase_subject(store, policies, [report], clock=FixedClock(TODAY))
    assert outcome.result == "restricted"
    again = DisposalGate(store, policies, clock=FixedClock(TODAY)).dispose(
        [report], DisposalPurpose.ERASURE_REQUEST
    )
    assert again.refused[0].rule == DisposalRefusal.OBLIGATION
    assert store.get(report).state != ReportState.ERASED


def test_finding_2_a_run_never_disposes_of_what_is_due_later_than_today(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet(
        [
            loaded("anon", "P3Y", "anonymize", client_kinds=["particulier"]),
            loaded("fluides", "P5Y", "review", obligation=True, equipment_categories=["climatisation"]),
        ]
    )
    due_2029 = make_report(day=dt.date(2024, 6, 1))
    # The plan at a future date is a simulation: it lists it …
    planned = list(plan_dispositions(store, policies, HoldService(store).active(), dt.date(2031, 1, 1)))
    assert [p.report_id for p in planned] == [due_2029]
    # … and a run (today) does nothing to it, not even queue it for review.
    summary = run_retention(store, policies, clock=FixedClock(TODAY))
    assert summary.total == 0
    assert ReviewQueue(store, policies).pending() == []
    assert store.get(due_2029).state != ReportState.ERASED


def test_finding_2_a_review_item_cannot_be_approved_before_its_due_date(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("revue", "P1Y", "review")])
    report = make_report(day=dt.date(2020, 1, 1))
    run_retention(store, policies, clock=FixedClock(TODAY))
    queue = ReviewQueue(store, policies, clock=FixedClock(dt.date(2020, 6, 1)))  # a clock set back
    with pytest.raises(ReviewError, match="not due before 2021-01-01"):
        queue.approve(report)
    assert store.get(report).state != ReportState.ERASED
    ReviewQueue(store, policies, clock=FixedClock(TODAY)).approve(report)
    assert store.get(report).state == ReportState.ERASED
    certificate = decode_entry(store.ledger.entries_for_report(report)[-2].entry)
    assert certificate["step"] == "dispose"
    assert certificate["details"]["purpose"] == "review_approved"


def test_finding_4_relabel_stays_in_scope_and_never_shortens_an_obligation(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet(
        [
            loaded("inactifs", "P3Y", "anonymize", client_kinds=["particulier"]),
            loaded("fluides", "P5Y", "review", obligation=True, equipment_categories=["climatisation"]),
            loaded("contrat", "P7Y", "delete", equipment_categories=["climatisation"]),
        ]
    )
    pro = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    private = make_report(kind="particulier", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(dt.date(2027, 2, 1)))
    queue = ReviewQueue(store, policies, clock=FixedClock(dt.date(2027, 2, 1)))
    with pytest.raises(ReviewError, match="does not cover"):
        queue.relabel(pro, "inactifs", reason="client inactif")
    with pytest.raises(ReviewError, match="legal obligation, it cannot be shortened"):
        queue.relabel(private, "inactifs", reason="client inactif")
    queue.relabel(private, "contrat", reason="contrat en cours")
    effective = effective_decision(store, policies, private)
    assert effective is not None
    assert (effective.action, effective.due) == ("delete", dt.date(2027, 1, 10))


@pytest.mark.parametrize("decision", ["extend", "relabel"])
def test_finding_5_explain_shows_what_the_plan_does_after_each_review_decision(
    store: ReportStore, make_report: MakeReport, decision: str
) -> None:
    policies = PolicySet(
        [
            loaded("revue", "P2Y", "review", client_kinds=["particulier"]),
            loaded("long", "P3Y", "delete"),
        ]
    )
    report = make_report(day=dt.date(2020, 1, 10))
    clock = FixedClock(TODAY)
    run_retention(store, policies, clock=clock)
    queue = ReviewQueue(store, policies, clock=clock)
    if decision == "extend":
        queue.extend(report, dt.date(2028, 1, 1), reason="litige en cours")
    else:
        queue.relabel(report, "long", reason="plus de litige")
    explanation = explain_retention(store, policies, report)
    assert explanation is not None
    shown = explanation.decision
    later = dt.date(2030, 1, 1)
    [planned] = list(plan_dispositions(store, policies, HoldService(store).active(), later))
    assert (shown.action, shown.due, shown.policy_ref) == (planned.action, planned.due, planned.policy_ref)
    assert any(r.startswith("review:") for r in shown.reasons)


def test_finding_6_an_obligation_with_review_beats_a_shorter_anonymize(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet(
        [
            loaded("inactifs", "P3Y", "anonymize", client_kinds=["particulier"]),
            loaded("fluides", "P5Y", "review", obligation=True, equipment_categories=["climatisation"]),
        ]
    )
    report = make_report(kind="particulier", day=dt.date(2020, 1, 10))
    effective = effective_decision(store, policies, report)
    assert effective is not None
    assert effective.action == "review"
    assert effective.policy_ref == "fluides@v1"


def test_finding_7_a_free_text_reason_is_accepted_encrypted_and_named_by_hash(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("revue", "P1Y", "review")])
    report = make_report(day=dt.date(2020, 1, 1))
    run_retention(store, policies, clock=FixedClock(TODAY))
    ReviewQueue(store, policies, clock=FixedClock(TODAY)).extend(
        report, dt.date(2027, 6, 1), reason="litige en cours avec Mme Julien"
    )
    entry = store.ledger.entries_for_report(report)[-1].entry
    assert b"Julien" not in entry
    details = decode_entry(entry)["details"]
    with store.database.session() as session:
        assert store.notes.read(session, details["reason_note"]) == "litige en cours avec Mme Julien"
        ref = store.notes.ref(session, details["reason_note"])
    assert ref is not None
    assert ref.ciphertext_sha256 == details["reason_sha256"]


def test_a_run_scrubs_and_refuses_nothing_it_planned_today(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("del", "P1Y", "delete")])
    report = make_report(day=dt.date(2020, 1, 1))
    summary = run_retention(store, policies, clock=FixedClock(TODAY))
    assert (summary.total, summary.refused) == (1, 0)
    assert store.get(report).state == ReportState.ERASED
