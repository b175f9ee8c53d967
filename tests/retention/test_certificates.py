"""Certificates of disposition (issue 13): one per disposal, standing alone, signed by the
ledger (its SHA-256 is in the dispose/shred entry) and issued as a sealed French PDF.

Each test plays what the external auditor found: an empty ``ledger_entries``, a null
reason, "crypto-shredded" for an anonymization, a time without a zone, an edited
certificate that still verified. Real PDFs, checked by poppler's pdfsig and pdftotext.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from policies.loading import PolicySet
from reports.pdf import create_company_ca, load_seal
from reports.pdf.disposition import DispositionSealer
from retention.certificates import (
    FORMAT,
    CertificateError,
    disposed_register,
    disposition_documents,
    issue_certificates,
    stored_certificate,
)
from retention.clock import FixedClock
from retention.executor import run_retention
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.review import ReviewQueue
from retention.statistics import QuasiIdentifiers
from storage.certificate_store import CertificateStore, DispositionCertificateRecord
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.retention_integrity import check_retention_state
from storage.retention_vocabulary import DisposalPurpose, HoldScope
from tests.retention.conftest import MakeReport, loaded

LATER = dt.date(2030, 1, 1)
COMPANY = "Thermi'Clim Services"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: apt-get install poppler-utils libnss3-tools")
    return path


@pytest.fixture(scope="module")
def seal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys") / "seal"
    create_company_ca(directory, COMPANY)
    return directory


@pytest.fixture(scope="module")
def sealer(seal_dir: Path) -> DispositionSealer:
    return DispositionSealer.from_directory(seal_dir)


@pytest.fixture(scope="module")
def nss_db(seal_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("nss")
    database = f"sql:{directory}"
    certutil = _tool("certutil")
    subprocess.run([certutil, "-N", "--empty-password", "-d", database], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-n", "quitus-ca", "-t", ",C,", "-i", str(seal_dir / "ca.pem"), "-d", database],
        check=True,
        capture_output=True,
    )
    return database


def entries(store: ReportStore, report_id: str) -> list[dict]:
    return [decode_entry(e.entry) for e in store.ledger.entries_for_report(report_id)]


def disposal_entry(store: ReportStore, report_id: str) -> dict:
    return next(e for e in entries(store, report_id) if e["step"] in (LedgerStep.DISPOSE, LedgerStep.SHRED))


def certificate(store: ReportStore, report_id: str, sealer: DispositionSealer) -> dict:
    return json.loads(disposition_documents(store, report_id, sealer=sealer)["disposition.json"])


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    command = [_tool("pdftotext"), "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pdfsig(pdf: bytes, nss_db: str, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    command = [_tool("pdfsig"), "-nssdir", nss_db, str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


# -- the certificate itself ---------------------------------------------------------------


def test_a_retention_deletion_is_certified_with_its_entries_reason_policy_and_zoned_time(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    before = [(e["seq"], e["step"]) for e in entries(store, report_id)]
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    documents = disposition_documents(store, report_id, sealer=sealer)
    assert set(documents) == {"disposition.json", "certificat-disposition.pdf"}
    raw = documents["disposition.json"]
    cert = json.loads(raw)
    # canonical: sorted keys, UTF-8, what was hashed is what is stored
    assert raw == json.dumps(cert, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert cert["format"] == FORMAT == "quitus-disposition-certificate/1"
    assert cert["report_id"] == report_id
    assert cert["action"] == "deleted"
    assert cert["kept"] is None
    assert cert["purpose"] == "retention"
    assert cert["reason"] == "retention"
    assert cert["policy"]["id"] == "del-pros" and cert["policy"]["version"] == "v1"
    assert cert["policy"]["legal_basis"] == {"text": "t", "references": ["r"], "obligation": False}
    assert cert["other_policies"] == []
    assert cert["due"] == "2022-01-10"
    assert cert["company"] == COMPANY
    assert [(e["seq"], e["step"]) for e in cert["ledger_entries"]] == before
    assert {LedgerStep.RECEIVE, LedgerStep.CAPTURE} <= {e["step"] for e in cert["ledger_entries"]}
    # zoned times: UTC and Europe/Paris, the same instant as the signed entry
    entry = disposal_entry(store, report_id)
    utc = cert["disposed_at"]["utc"]
    assert utc.endswith("Z") and utc == entry["time"]
    local = dt.datetime.fromisoformat(cert["disposed_at"]["europe_paris"])
    assert local.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))
    assert local == dt.datetime.fromisoformat(utc.replace("Z", "+00:00"))
    # signed by the ledger: its SHA-256 is in the dispose entry itself
    assert entry["details"]["certificate_sha256"] == hashlib.sha256(raw).hexdigest()


def test_an_anonymization_says_anonymized_and_what_was_kept(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    tmp_path: Path,
) -> None:
    report_id = make_report(kind="particulier", day=dt.date(2020, 1, 10), email="secret.person@exemple.fr")
    run_retention(store, policies, clock=FixedClock(LATER), k=1, sealer=sealer)
    cert = certificate(store, report_id, sealer)
    assert cert["action"] == "anonymized"
    assert "crypto-shredded" not in json.dumps(cert)
    kept = cert["kept"]["statistical_record"]
    assert kept["fields"] == [f.name for f in fields(QuasiIdentifiers)]
    assert kept["k"] == 1
    pdf = disposition_documents(store, report_id, sealer=sealer)["certificat-disposition.pdf"]
    text = pdftotext(pdf, tmp_path)
    assert "Certificat d'anonymisation" in text
    assert "Certificat de destruction" not in text


def test_a_review_approval_names_the_approver_and_the_queue_entry(
    store: ReportStore, make_report: MakeReport, sealer: DispositionSealer
) -> None:
    policies = PolicySet([loaded("review-all", "P1Y", "review")])
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    approver = store.acting_as("dpo-01")
    ReviewQueue(approver, policies, clock=FixedClock(LATER), sealer=sealer).approve(report_id)
    cert = certificate(store, report_id, sealer)
    assert cert["purpose"] == DisposalPurpose.REVIEW_APPROVAL
    assert cert["approved_by"] == "dpo-01"
    approve = next(e for e in entries(store, report_id) if e["step"] == LedgerStep.REVIEW_APPROVE)
    assert approve["actor"] == cert["approved_by"]
    assert "review.queue" in {e["step"] for e in cert["ledger_entries"]}
    # issued at once: the approval path issues the PDF too
    assert any(e["step"] == LedgerStep.CERTIFY for e in entries(store, report_id))


def test_an_erasure_request_names_who_asked_and_a_released_hold(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2029, 6, 1))
    holds = HoldService(store)
    hold = holds.place(reason="Litige RG-1", scope_kind=HoldScope.REPORTS, scope={"report_ids": [report_id]})
    holds.release(hold.id)
    gate = DisposalGate(store.acting_as("dpo-02"), policies, clock=FixedClock(LATER), sealer=sealer)
    gate.dispose([report_id], DisposalPurpose.ERASURE_REQUEST, reason="subject_request")
    cert = certificate(store, report_id, sealer)
    assert cert["purpose"] == "erasure_request"
    assert cert["reason"] == "subject_request"
    assert cert["requested_by"] == "dpo-02"
    assert {LedgerStep.HOLD_PLACE, LedgerStep.HOLD_RELEASE} <= {e["step"] for e in cert["ledger_entries"]}
    assert disposal_entry(store, report_id)["step"] == LedgerStep.SHRED


# -- the sealed PDF -----------------------------------------------------------------------


def test_the_pdf_is_sealed_french_and_carries_the_json(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    nss_db: str,
    tmp_path: Path,
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10), email="secret.person@exemple.fr")
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    documents = disposition_documents(store, report_id, sealer=sealer)
    pdf, raw = documents["certificat-disposition.pdf"], documents["disposition.json"]
    checked = pdfsig(pdf, nss_db, tmp_path)
    assert "Signature Validation: Signature is Valid." in checked, checked
    assert "Certificate Validation: Certificate is Trusted." in checked, checked
    assert "Total document signed" in checked
    text = pdftotext(pdf, tmp_path)
    assert "Certificat de destruction" in text
    assert report_id in text
    assert hashlib.sha256(raw).hexdigest() in text.replace(" ", "").replace("\n", "")
    assert "secret.person" not in text
    # the JSON is attached as a file, byte for byte
    (tmp_path / "c.pdf").write_bytes(pdf)
    out = tmp_path / "attached"
    out.mkdir()
    subprocess.run([_tool("pdfdetach"), "-saveall", "-o", str(out), str(tmp_path / "c.pdf")], check=True)
    assert (out / "disposition.json").read_bytes() == raw
    # the certify entry records both digests
    certify = [e for e in entries(store, report_id) if e["step"] == LedgerStep.CERTIFY]
    assert len(certify) == 1
    assert certify[0]["details"]["certificate_sha256"] == hashlib.sha256(raw).hexdigest()
    assert certify[0]["details"]["certificate_pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    # an edited PDF no longer verifies
    tampered = pdf.replace(report_id.encode(), report_id[:-1].encode() + b"9", 1)
    if tampered != pdf:
        assert "Signature is Valid" not in pdfsig(tampered, nss_db, tmp_path)


def test_issuing_is_idempotent_and_finishes_after_a_crash(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    first, second = (make_report(kind="professionnel", day=dt.date(2020, 1, 10)) for _ in range(2))
    # disposed with no sealer: as if the process died between the disposal and the PDF
    run_retention(store, policies, clock=FixedClock(LATER))
    assert not any(e["step"] == LedgerStep.CERTIFY for e in entries(store, first))
    outcome = issue_certificates(store, sealer)
    assert sorted(outcome.issued) == sorted([first, second])
    again = issue_certificates(store, sealer)
    assert again.issued == []
    for report_id in (first, second):
        assert [e["step"] for e in entries(store, report_id)].count(LedgerStep.CERTIFY) == 1


def test_disposition_documents_without_a_sealer_says_what_to_do(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER))
    with pytest.raises(CertificateError, match="sealer"):
        disposition_documents(store, report_id)


def test_a_report_disposed_before_certificates_has_none(store: ReportStore, make_report: MakeReport) -> None:
    report_id = make_report(kind="professionnel")
    shred_reports(store, [ShredRequest(report_id, reason="subject_request")])  # as before issue 13
    assert disposition_documents(store, report_id) == {}


def test_a_live_report_has_no_certificate(store: ReportStore, make_report: MakeReport) -> None:
    report_id = make_report(kind="professionnel")
    with pytest.raises(CertificateError, match="not disposed"):
        disposition_documents(store, report_id)


@pytest.mark.parametrize(
    ("field", "value"),
    [("action", "transferred to the Archives départementales"), ("due", "2031-01-01")],
)
def test_an_edited_certificate_is_refused(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    field: str,
    value: str,
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    cert = certificate(store, report_id, sealer)
    cert[field] = value
    edited = json.dumps(cert, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    with store.database.session() as session:
        session.execute(
            update(DispositionCertificateRecord)
            .where(DispositionCertificateRecord.report_id == report_id)
            .values(certificate=edited)
        )
    assert (
        hashlib.sha256(edited).hexdigest()
        != disposal_entry(store, report_id)["details"]["certificate_sha256"]
    )
    with pytest.raises(CertificateError, match="does not match"):
        disposition_documents(store, report_id, sealer=sealer)


# -- no personal data ---------------------------------------------------------------------


def test_no_personal_value_in_the_certificate_or_its_pdf(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    base_payload: dict,
    tmp_path: Path,
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10), email="secret.person@exemple.fr")
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    documents = disposition_documents(store, report_id, sealer=sealer)
    text = documents["disposition.json"].decode() + pdftotext(
        documents["certificat-disposition.pdf"], tmp_path
    )
    personal = ["secret.person@exemple.fr", base_payload["client"]["name"]]
    personal += [base_payload["client"]["address"]["street"], base_payload["technician"]["name"]]
    for value in personal:
        assert value not in text


# -- the register ---------------------------------------------------------------------------


def test_the_register_is_read_from_the_ledger(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    pro = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    private = make_report(kind="particulier", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER), k=1)
    issue_certificates(store, sealer, limit=1)
    today = dt.datetime.now(dt.UTC).date()
    rows = {r.report_id: r for r in disposed_register(store, since=today, until=today)}
    assert set(rows) == {pro, private}
    assert rows[pro].action == "deleted" and rows[private].action == "anonymized"
    assert rows[pro].purpose == "retention" and rows[pro].policy == "del-pros@v1"
    assert rows[pro].certificate_sha256 == disposal_entry(store, pro)["details"]["certificate_sha256"]
    assert sorted(r.pdf_issued for r in rows.values()) == [False, True]
    assert disposed_register(store, since=today + dt.timedelta(days=1)) == []
    # the last day a date can name has no day after it: no overflow, nothing left out
    assert {r.report_id for r in disposed_register(store, since=today, until=dt.date.max)} == {pro, private}
    with pytest.raises(CertificateError, match="after"):
        disposed_register(store, since=today, until=today - dt.timedelta(days=1))


def test_audit_verify_names_an_edited_deleted_or_forged_certificate(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    first, second, third = (make_report(kind="professionnel", day=dt.date(2020, 1, 10)) for _ in range(3))
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    assert check_retention_state(store) == []
    record = DispositionCertificateRecord
    with store.database.session() as session:
        session.execute(update(record).where(record.report_id == first).values(certificate=b"{}"))
        session.execute(update(record).where(record.report_id == second).values(pdf=b"%PDF-1.7 forged"))
        session.execute(delete(record).where(record.report_id == third))
    problems = check_retention_state(store)
    assert any(first in p and "(edited)" in p for p in problems), problems
    assert any(second in p and "PDF differs" in p for p in problems), problems
    assert any(third in p and "deleted" in p for p in problems), problems


def test_a_deleted_pdf_is_never_issued_again(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    """A new PDF would pass for the one deleted: audit verify would say intact."""
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    [certify] = [e for e in entries(store, report_id) if e["step"] == LedgerStep.CERTIFY]
    record = DispositionCertificateRecord
    with store.database.session() as session:
        session.execute(
            update(record)
            .where(record.report_id == report_id)
            .values(pdf=None, pdf_sha256=None, issued_at=None)
        )
    missing = rf"issued by ledger entry {certify['seq']}, is missing.*restore it from a backup"
    with pytest.raises(CertificateError, match=missing):
        disposition_documents(store, report_id, sealer=sealer)
    outcome = issue_certificates(store, sealer)
    assert outcome.issued == [] and list(outcome.failed) == [report_id]
    assert [e["step"] for e in entries(store, report_id)].count(LedgerStep.CERTIFY) == 1
    problems = check_retention_state(store)
    assert any(report_id in p and f"ledger entry {certify['seq']}, was deleted" in p for p in problems), (
        problems
    )


def test_audit_verify_names_a_pdf_issued_twice(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, sealer: DispositionSealer
) -> None:
    """What a quitus without the refusal left: the deleted PDF issued again, two certify entries."""
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    record = DispositionCertificateRecord
    with store.database.session() as session:
        session.execute(
            update(record)
            .where(record.report_id == report_id)
            .values(pdf=None, pdf_sha256=None, issued_at=None)
        )
    stored = stored_certificate(store, report_id)
    assert stored is not None
    pdf = sealer.seal_certificate(json.loads(stored.document), stored.document)
    assert CertificateStore(store).attach_pdf(stored, pdf, hashlib.sha256(pdf).hexdigest())
    seqs = [e["seq"] for e in entries(store, report_id) if e["step"] == LedgerStep.CERTIFY]
    assert len(seqs) == 2
    problems = check_retention_state(store)
    assert any(
        report_id in p and "issued more than once" in p and f"{seqs[0]}, {seqs[1]}" in p for p in problems
    ), problems


def test_a_seal_that_cannot_be_used_delays_the_pdf_never_the_disposal(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    tmp_path: Path,
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    missing = DispositionSealer(lambda: load_seal(tmp_path / "no-seal"), company=COMPANY)
    summary = run_retention(store, policies, clock=FixedClock(LATER), sealer=missing)
    assert summary.total == 1 and summary.certificates_issued == 0
    (message,) = summary.certificates_failed.values()
    assert (
        report_id in message
        and "could not be sealed" in message
        and "quitus retention certificate" in message
    )
    assert store.get(report_id).state.value == "erased"
    assert issue_certificates(store, sealer).issued == [report_id]
