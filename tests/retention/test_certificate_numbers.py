"""A certificate of disposition names the report by its number (issue 18): what people read
and file by. A number is a document's reference, not personal data: the erased report keeps
it, its certificate (JSON and sealed PDF) and the register of disposed items show it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from policies.loading import PolicySet
from reports.pdf.disposition import DispositionSealer, render_disposition_certificate
from retention.certificates import canonical_json, disposed_register, disposition_documents
from retention.clock import FixedClock
from retention.executor import run_retention
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.retention.conftest import MakeReport
from tests.retention.test_certificates import COMPANY, LATER, nss_db, pdftotext, seal_dir, sealer

__all__ = ["nss_db", "seal_dir", "sealer"]  # module fixtures shared with test_certificates

NUMBER = re.compile(r"RI-\d{4}-\d{6}")


def test_an_erased_reports_certificate_and_register_row_show_its_number(
    store: ReportStore,
    make_report: MakeReport,
    policies: PolicySet,
    sealer: DispositionSealer,
    tmp_path: Path,
) -> None:
    report_id = make_report(kind="professionnel", day=dt.date(2020, 1, 10))
    number = store.get(report_id).number
    assert number is not None and NUMBER.fullmatch(number)
    run_retention(store, policies, clock=FixedClock(LATER), sealer=sealer)
    assert store.get(report_id).state == ReportState.ERASED
    assert store.get(report_id).number == number  # the tombstone keeps it
    documents = disposition_documents(store, report_id, sealer=sealer)
    certificate = json.loads(documents["disposition.json"])
    assert certificate["number"] == number and certificate["report_id"] == report_id
    text = " ".join(pdftotext(documents["certificat-disposition.pdf"], tmp_path).split())
    assert f"Rapport n° {number}" in text
    assert f"Identifiant interne {report_id}" in text
    today = dt.datetime.now(dt.UTC).date()
    [row] = [r for r in disposed_register(store, since=today) if r.report_id == report_id]
    assert row.number == number
    assert row.as_dict()["number"] == number


def test_a_certificate_made_before_numbers_were_recorded_shows_the_id(tmp_path: Path) -> None:
    certificate = {
        "format": "quitus-disposition-certificate/1",
        "report_id": "RI-01J0TEST",
        "company": COMPANY,
    }
    pdf = render_disposition_certificate(certificate, canonical_json(certificate))
    text = " ".join(pdftotext(pdf, tmp_path).split())
    assert "Rapport RI-01J0TEST" in text
    assert "Identifiant interne" not in text
