"""The stages after validation: redact → render → seal → archive, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from reports.intake import Intake, Submission
from reports.pdf import create_company_ca, verify_sealed_pdf
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.claims import ReportClaims
from storage.ledger.events import decode_entry
from storage.models import ReportRecord
from storage.report_store import ReportStore
from storage.states import ReportState
from workflows.stages import Pipeline


@pytest.fixture(scope="session")
def redactor_engine() -> PiiEngine:
    return PiiEngine(load_vocabulary(TemplateCatalog.load()))


@pytest.fixture(scope="session")
def samples() -> list:
    return [
        s
        for s in generate_samples(TemplateCatalog.load(), 8, seed=21, photo_size=(160, 120))
        if s.expected == "valid"
    ][:3]


@pytest.fixture
def pipeline(
    store: ReportStore, catalog: TemplateCatalog, tmp_path: Path, redactor_engine: PiiEngine
) -> Pipeline:
    create_company_ca(tmp_path / "seal", "Thermi'Clim Services")
    return Pipeline(
        store,
        catalog,
        tmp_path / "seal",
        redactor_factory=lambda: ReportRedactor(redactor_engine, style="placeholder"),
    )


def test_validated_reports_are_redacted_rendered_sealed_and_archived(
    pipeline: Pipeline, intake: Intake, samples: list, tmp_path: Path
) -> None:
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples]
    counts = pipeline.run_pending(batch_size=2)
    assert (counts["redact"], counts["render"], counts["seal"], counts["archive"]) == (3, 3, 3, 3)
    store = pipeline.store
    ca = (tmp_path / "seal" / "ca.pem").read_bytes()
    for report_id, sample in zip(ids, samples, strict=True):
        summary = store.get(report_id)
        assert summary.state == ReportState.ARCHIVED
        steps = [decode_entry(e.entry) for e in store.ledger.entries_for_report(report_id)]
        assert [e["step"] for e in steps] == [
            "receive",
            "capture",
            "validate",
            "redact",
            "render",
            "seal",
            "archive",
        ]
        full = store.read_blob(report_id, store.latest_blob(report_id, "pdf_full") or "")
        redacted = store.read_blob(report_id, store.latest_blob(report_id, "pdf_redacted") or "")
        assert verify_sealed_pdf(full, [ca]).ok
        assert verify_sealed_pdf(redacted, [ca]).ok
        seal_event = next(e for e in steps if e["step"] == "seal")
        assert seal_event["details"]["pdf_full_sha256"] == hashlib.sha256(full).hexdigest()
        text = _pdftotext(redacted, tmp_path)
        client = sample.payload["client"]
        for value in (client["name"], client["address"]["street"], client.get("phone"), client.get("email")):
            if value:
                assert value not in text, "a personal value is in the anonymized PDF"
        assert sample.payload["equipment"]["brand"] in text  # the technical content survives
        assert client["name"] in _pdftotext(full, tmp_path)


def test_a_stage_that_fails_marks_the_report_and_the_batch_goes_on(
    pipeline: Pipeline, intake: Intake, samples: list, tmp_path: Path
) -> None:
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples[:2]]
    pipeline.redact(ids)
    pipeline.render(ids)
    (tmp_path / "seal" / "seal.key").write_text("not a key")  # the seal cannot be loaded
    result = pipeline.seal(ids)
    assert set(result.failed) == set(ids)
    assert all(pipeline.store.get(i).state == ReportState.RENDERED for i in ids)
    last = decode_entry(pipeline.store.ledger.entries_for_report(ids[0])[-1].entry)
    assert (last["step"], last["outcome"]) == ("seal", "failed")
    again = pipeline.redact(ids)  # a stage run twice does nothing the second time
    assert again.skipped == ids
    assert not again.done


def test_run_pending_tries_a_failing_report_once_and_leaves_no_claim(
    pipeline: Pipeline, intake: Intake, samples: list, tmp_path: Path
) -> None:
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples[:2]]
    (tmp_path / "seal" / "seal.key").write_text("not a key")
    counts = pipeline.run_pending(batch_size=1)
    assert (counts["render"], counts["seal failed"], counts["archive"]) == (2, 2, 0)
    assert all(pipeline.store.get(i).state == ReportState.RENDERED for i in ids)
    with pipeline.store.database.session() as session:
        held = session.scalars(select(ReportRecord.id).where(ReportRecord.claimed_by.is_not(None))).all()
    assert held == [], "the run released what it claimed"


def test_run_pending_leaves_alone_what_another_worker_holds(
    pipeline: Pipeline, intake: Intake, samples: list
) -> None:
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples[:2]]
    other = ReportClaims(pipeline.store.database, worker="another-host:1:aa")
    assert other.claim(ReportState.VALIDATED, 1) == sorted(ids)[:1]
    counts = pipeline.run_pending(batch_size=5)
    assert counts["archive"] == 1
    assert pipeline.store.get(sorted(ids)[0]).state == ReportState.VALIDATED


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
