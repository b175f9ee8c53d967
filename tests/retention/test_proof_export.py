"""Proof export under the access rules: the sealed PDF is a recorded read, refused without a
justification when the report is restricted; the bundle carries every hold that covered the
report; an erased report exports without asking to leave its documents out."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymization import ReportRedactor
from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from reports.pdf import create_company_ca
from reports.templates import TemplateCatalog
from retention.errors import RestrictedAccessError
from retention.holds import HoldService
from retention.proof_export import export_proof
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.retention_vocabulary import HoldScope
from tests.retention.conftest import MakeReport
from tests.storage.bundle_support import unpack
from workflows.stages import Pipeline


@pytest.fixture
def archiving_policies() -> PolicySet:
    """Ten years, the first one in the active base: a report of 2020 is in intermediate archiving."""
    policy = Policy.model_validate(
        {
            "id": "archive-10y",
            "title": "archive-10y",
            "legal_basis": {"text": "t", "references": ["r"], "obligation": False},
            "scope": {},
            "trigger": {"kind": "intervention_date"},
            "duration": "P10Y",
            "active_period": "P1Y",
            "action": "delete",
        }
    )
    return PolicySet([LoadedPolicy(policy, Path("archive-10y.yaml"), "v1", "")])


@pytest.fixture
def sealed(
    store: ReportStore, make_report: MakeReport, subject_redactor: ReportRedactor, tmp_path: Path
) -> str:
    report_id = make_report(email="litige@exemple.fr")
    create_company_ca(tmp_path / "seal", "Thermi'Clim Services")
    Pipeline(
        store, TemplateCatalog.load(), tmp_path / "seal", redactor_factory=lambda: subject_redactor
    ).run_pending(batch_size=5)
    return report_id


def _entries(bundle: bytes) -> list[dict[str, object]]:
    files = unpack(bundle)
    return [decode_entry(files[n]) for n in sorted(files) if n.startswith("entries/")]


def test_a_restricted_reports_pdf_needs_a_justification_and_the_read_is_in_the_bundle(
    store: ReportStore, sealed: str, archiving_policies: PolicySet
) -> None:
    vkey = store.ledger.signer.verifier_key()
    size = store.ledger.size()
    with pytest.raises(RestrictedAccessError):
        export_proof(store, archiving_policies, sealed, verifier_key=vkey)
    assert store.ledger.size() == size  # refused: nothing read, nothing exported

    exported = export_proof(store, archiving_policies, sealed, verifier_key=vkey, justification="litigation")

    assert exported.documents == ("rapport-scelle.pdf",)
    assert unpack(exported.data)["documents/rapport-scelle.pdf"].startswith(b"%PDF")
    read, export = _entries(exported.data)[-2:]
    assert read["step"] == LedgerStep.READ
    assert read["details"] == {"document": "pdf_full", "justification": "litigation"}
    assert export["step"] == LedgerStep.PROOF_EXPORT
    assert verify_bundle(exported.data, key=vkey).ok


def test_without_documents_nothing_is_read(
    store: ReportStore, sealed: str, archiving_policies: PolicySet
) -> None:
    vkey = store.ledger.signer.verifier_key()
    exported = export_proof(store, archiving_policies, sealed, verifier_key=vkey, document="none")
    assert exported.documents == ()
    assert LedgerStep.READ not in [e["step"] for e in _entries(exported.data)]
    redacted = export_proof(store, archiving_policies, sealed, verifier_key=vkey, document="redacted")
    assert redacted.documents == ("rapport-anonymise.pdf",)
    assert verify_bundle(redacted.data, key=vkey).ok


def test_the_bundle_carries_every_hold_that_covered_the_report(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    report_id = make_report(kind="professionnel", email="litige@exemple.fr")
    other = make_report(kind="particulier")
    holds = HoldService(store)
    on_reports = holds.place(
        reason="dossier 12", scope_kind=HoldScope.REPORTS, scope={"report_ids": [report_id]}
    )
    on_query = holds.place(
        reason="contrôle", scope_kind=HoldScope.QUERY, scope={"client_kind": "professionnel"}
    )
    on_person = holds.place_on_subject(reason="plainte", terms=[("email", "litige@exemple.fr")])
    elsewhere = holds.place(reason="autre", scope_kind=HoldScope.REPORTS, scope={"report_ids": [other]})
    not_its_kind = holds.place(
        reason="autre", scope_kind=HoldScope.QUERY, scope={"client_kind": "particulier"}
    )
    holds.release(on_query.id)
    vkey = store.ledger.signer.verifier_key()

    exported = export_proof(store, policies, report_id, verifier_key=vkey)

    assert set(exported.holds) == {on_reports.id, on_query.id, on_person.id}
    hold_entries = [
        (e["step"], e["details"]["hold"])  # type: ignore[index]
        for e in _entries(exported.data)
        if e["step"] in (LedgerStep.HOLD_PLACE, LedgerStep.HOLD_RELEASE)
    ]
    assert sorted(hold_entries) == sorted(
        [
            (LedgerStep.HOLD_PLACE, on_reports.id),
            (LedgerStep.HOLD_PLACE, on_query.id),
            (LedgerStep.HOLD_RELEASE, on_query.id),
            (LedgerStep.HOLD_PLACE, on_person.id),
        ]
    )
    assert elsewhere.id not in exported.holds and not_its_kind.id not in exported.holds
    assert verify_bundle(exported.data, key=vkey).ok


def test_an_erased_report_exports_with_documents_asked_and_keeps_its_holds(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    report_id = make_report(kind="professionnel")
    holds = HoldService(store)
    hold = holds.place(reason="dossier 12", scope_kind=HoldScope.REPORTS, scope={"report_ids": [report_id]})
    holds.release(hold.id)
    assert shred_reports(store, [ShredRequest(report_id, reason="retention", step=LedgerStep.DISPOSE)])
    later = holds.place(
        reason="après coup",
        scope_kind=HoldScope.QUERY,
        scope={"client_kind": "professionnel"},
        allow_empty=True,
    )
    vkey = store.ledger.signer.verifier_key()

    exported = export_proof(store, policies, report_id, verifier_key=vkey, document="full")

    assert exported.holds == (hold.id,)  # placed after the erasure, the other covered nothing
    assert later.id not in exported.holds
    assert "documents/rapport-scelle.pdf" not in unpack(exported.data)
    steps = [e["step"] for e in _entries(exported.data)]
    assert LedgerStep.DISPOSE in steps and steps[-1] == LedgerStep.PROOF_EXPORT
    checked = verify_bundle(exported.data, key=vkey)
    assert checked.ok, checked.problems
