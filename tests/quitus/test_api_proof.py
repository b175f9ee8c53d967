"""``GET /api/v1/reports/{id}/proof`` follows the access rules of the report's PDFs: the
anonymized PDF for anyone allowed a proof, the sealed PDF with personal data for the
compliance role only, a recorded read that a restricted report justifies."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.database import Database
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord
from tests.api_client import ApiHarness, open_harness, process_reports, sample_reports


@pytest.fixture
def harness(database: Database, tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home", database.url) as harness:
        yield harness


@pytest.fixture
def restricted(harness: ApiHarness) -> str:
    """A sealed report whose access is restricted (an erasure refused under a hold)."""
    report_id: str = harness.capture(sample_reports(1, seed=21)[0].payload)["report_id"]
    process_reports(harness)
    with harness.context.app.database.session() as session:
        session.execute(
            update(ReportRecord).where(ReportRecord.id == report_id).values(restriction_reason="legal_hold")
        )
    return report_id


def _documents(bundle: bytes) -> list[str]:
    return [n for n in zipfile.ZipFile(io.BytesIO(bundle)).namelist() if n.startswith("documents/")]


def test_the_sealed_pdf_in_a_proof_is_compliance_s_justified_read(
    harness: ApiHarness, restricted: str
) -> None:
    url = f"/api/v1/reports/{restricted}/proof"
    vkey = harness.context.app.ledger.signer.verifier_key()

    anonymized = harness.client.get(url, headers=harness.auth("auditor"))
    assert anonymized.status_code == 200
    assert _documents(anonymized.content) == ["documents/rapport-anonymise.pdf"]
    assert verify_bundle(anonymized.content, key=vkey).ok

    forbidden = harness.client.get(url, params={"document": "full"}, headers=harness.auth("auditor"))
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "forbidden")

    unjustified = harness.client.get(url, params={"document": "full"}, headers=harness.auth("compliance"))
    assert (unjustified.status_code, unjustified.json()["error"]["code"]) == (403, "justification_required")

    justified = harness.client.get(
        url, params={"document": "full", "justification": "litigation"}, headers=harness.auth("compliance")
    )
    assert justified.status_code == 200
    assert _documents(justified.content) == ["documents/rapport-scelle.pdf"]
    assert verify_bundle(justified.content, key=vkey).ok
    (read,) = [
        e for e in harness.ledger_events(restricted, LedgerStep.READ) if e["details"].get("justification")
    ]
    assert read["details"] == {"document": "pdf_full", "justification": "litigation"}
    assert read["actor"] == "compliance-1"
