"""Issue 18, findings 3 and 4, in the sealed PDF: the configured company identity heads every
page (whatever the client sent) and the report's readable number is printed, not its ULID."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from reports.company import report_company
from reports.intake import Intake, Submission
from reports.pdf import create_company_ca
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from storage.company import CompanyStore
from storage.company_logo import LogoStore, check_logo
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.storage.test_company import image_bytes
from workflows.stages import Pipeline

YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return PiiEngine(load_vocabulary(TemplateCatalog.load()))


def _pdf(store: ReportStore, report_id: str, kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{report_id}-{kind}.pdf"
    path.write_bytes(store.read_blob(report_id, store.latest_blob(report_id, kind) or ""))
    return path


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_pdf_is_headed_by_the_configured_company_and_shows_the_report_number(
    store: ReportStore, catalog: TemplateCatalog, tmp_path: Path, engine: PiiEngine
) -> None:
    logos = LogoStore(tmp_path / "home" / "company")
    company = CompanyStore(store.database, store.ledger, logos, actor="admin", fallback_name="Entreprise")
    company.seed_name("Thermi'Clim Services")
    company.update(
        legal_form="SARL",
        siret="732 829 320 00074",
        address="12 rue du Port, 69007 Lyon",
        phone="04 72 00 00 00",
        attestation="AC-69-2024-0042",
        logo=check_logo(image_bytes((240, 90))),
    )
    intake = Intake(store, catalog, company=lambda: report_company(company.current()))
    sample = next(
        s for s in generate_samples(catalog, 6, seed=5, photo_size=(160, 120)) if s.expected == "valid"
    )
    payload = copy.deepcopy(sample.payload)
    payload["company"] = {"name": "Nom tapé par le technicien", "siret": "12345678901234"}
    outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json"))
    assert outcome.accepted, outcome.issues
    without = copy.deepcopy(sample.payload)
    without["submission_id"] += "-b"
    del without["company"]  # a client need not send it any more
    second = intake.ingest(Submission(json.dumps(without).encode(), "json"))
    assert second.accepted, second.issues

    report_id = outcome.report.id
    stored = InterventionReport.model_validate_json(
        store.read_blob(report_id, store.get(report_id).content_blob_id or "")
    )
    assert stored.company.name == "Thermi'Clim Services"  # recorded in the report, not the typed name
    assert stored.company.siret == "73282932000074"

    create_company_ca(tmp_path / "seal", "Thermi'Clim Services")
    pipeline = Pipeline(
        store,
        catalog,
        tmp_path / "seal",
        redactor_factory=lambda: ReportRedactor(engine, style="placeholder"),
        logo_reader=logos.get,
    )
    pipeline.run_pending(batch_size=5)
    assert store.get(report_id).state == ReportState.ARCHIVED
    number = store.get(report_id).number
    assert number == f"RI-{YEAR}-000001"
    for kind in ("pdf_full", "pdf_redacted"):
        path = _pdf(store, report_id, kind, tmp_path)
        text = _text(path)
        assert "Thermi'Clim Services" in text
        assert "Nom tapé par le technicien" not in text
        assert "SARL — SIRET 732 829 320 00074" in text
        assert "12 rue du Port, 69007 Lyon — Tél. 04 72 00 00 00" in text
        assert "Attestation de capacité n° AC-69-2024-0042" in text
        assert f"N° {number}" in text
        assert report_id not in text  # the ULID stays internal
        images = subprocess.run(
            ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(r"\s240\s+90\s", images), "the logo is drawn in the header"
