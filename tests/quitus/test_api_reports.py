"""Reports through the API, on SQLite and PostgreSQL: capture, status, reads, portal, proofs.

Every read of personal data is a ledger event naming the reader; capture only persists
(the intake flow validates later); restricted reports need a justification.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from reports.pdf import verify_sealed_pdf
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.database import Database
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord, SubjectIndexMetaRecord, utcnow
from tests.api_client import ApiHarness, open_harness, process_reports, sample_reports


@pytest.fixture
def harness(database: Database, tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home", database.url, public_url="https://rapports.exemple.fr") as harness:
        yield harness


@pytest.fixture
def sealed(harness: ApiHarness) -> str:
    """A report captured by technician-1 through the API and taken to its sealed PDFs."""
    report_id: str = harness.capture(sample_reports(1, seed=21)[0].payload)["report_id"]
    process_reports(harness)
    assert (
        harness.client.get(f"/api/v1/reports/{report_id}", headers=harness.auth("auditor")).json()["state"]
        == "archived"
    )
    return report_id


def _restrict(harness: ApiHarness, report_id: str) -> None:
    with harness.context.app.database.session() as session:
        session.execute(
            update(ReportRecord).where(ReportRecord.id == report_id).values(restriction_reason="legal_hold")
        )


def test_capture_persists_then_the_flow_validates_and_status_shows_the_errors(harness: ApiHarness) -> None:
    samples = generate_samples(TemplateCatalog.load(), 8, seed=4, invalid_share=0.25, photo_size=(120, 90))
    valid = next(s for s in samples if s.expected == "valid")
    invalid = next(s for s in samples if s.expected == "invalid" and s.defect != "unknown_template")
    receipts = [harness.capture(s.payload) for s in (valid, invalid)]
    for receipt in receipts:
        assert receipt["receipt"] == "new" and receipt["state"] == "captured"  # not validated yet
        assert receipt["status_url"] == f"/api/v1/reports/{receipt['report_id']}"

    received = harness.ledger_events(receipts[0]["report_id"], LedgerStep.RECEIVE)
    assert [e["actor"] for e in received] == ["technician-1"]
    # Photos etc. wait for the flow.
    assert harness.ledger_events(receipts[0]["report_id"], LedgerStep.CAPTURE) == []

    process_reports(harness)
    assert len(harness.ledger_events(receipts[0]["report_id"], LedgerStep.CAPTURE)) == 1
    good, bad = (
        harness.client.get(r["status_url"], headers=harness.auth("technician")).json() for r in receipts
    )
    assert good["state"] == "archived" and good["issues"] == []
    assert bad["state"] == "rejected"
    assert [i["code"] for i in bad["issues"]] == [invalid.defect]
    assert all(i["path"] and i["message"] and i["message_fr"] for i in bad["issues"])

    listed = harness.client.get("/api/v1/reports?state=rejected", headers=harness.auth("admin")).json()
    assert [r["id"] for r in listed["reports"]] == [bad["id"]]
    assert listed["counts"] == {"archived": 1, "rejected": 1}


def test_capture_is_idempotent_and_a_rejected_report_is_corrected(harness: ApiHarness) -> None:
    payload: dict[str, Any] = copy.deepcopy(sample_reports(1, seed=22)[0].payload)
    broken = copy.deepcopy(payload)
    broken["arrival"] = "hier matin"
    first = harness.capture(broken)
    assert first["state"] == "rejected" and first["issues"][0]["path"] == "arrival"
    again = harness.client.post(
        "/api/v1/reports",
        content=json.dumps(broken, ensure_ascii=False).encode(),
        headers={**harness.auth("technician"), "Content-Type": "application/json"},
    )
    assert again.status_code == 200
    assert again.json()["receipt"] == "duplicate" and again.json()["report_id"] == first["report_id"]
    corrected = harness.capture(payload)
    assert (corrected["receipt"], corrected["report_id"], corrected["state"]) == (
        "correction",
        first["report_id"],
        "captured",
    )


def test_reads_of_personal_data_are_recorded_naming_the_reader(harness: ApiHarness, sealed: str) -> None:
    client = harness.client
    before = len(harness.ledger_events(sealed, LedgerStep.READ))

    content = client.get(f"/api/v1/reports/{sealed}/content", headers=harness.auth("compliance"))
    assert content.status_code == 200 and content.headers["cache-control"] == "no-store"
    assert content.json()["content"]["client"]["name"]
    full = client.get(f"/api/v1/reports/{sealed}/pdf/full", headers=harness.auth("compliance"))
    assert full.headers["content-type"] == "application/pdf" and full.content.startswith(b"%PDF")
    ca = (harness.settings.home / "company-ca.pem").read_bytes()
    assert verify_sealed_pdf(full.content, [ca]).ok

    redacted = client.get(f"/api/v1/reports/{sealed}/pdf/redacted", headers=harness.auth("technician"))
    assert redacted.status_code == 200 and redacted.content != full.content
    client.get(f"/api/v1/reports/{sealed}", headers=harness.auth("auditor"))

    reads = harness.ledger_events(sealed, LedgerStep.READ)[before:]
    assert [(e["actor"], e["details"]["document"]) for e in reads] == [
        ("compliance-1", "content"),
        ("compliance-1", "pdf_full"),
    ]
    assert all("justification" not in e["details"] for e in reads)


def test_a_restricted_report_is_read_only_with_a_justification(harness: ApiHarness, sealed: str) -> None:
    _restrict(harness, sealed)
    client, compliance = harness.client, harness.auth("compliance")
    refused = client.get(f"/api/v1/reports/{sealed}/pdf/full", headers=compliance)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "justification_required"
    assert "justification=" in refused.json()["error"]["hint"]
    assert (
        client.get(f"/api/v1/reports/{sealed}/content?justification=Bad Code", headers=compliance).status_code
        == 422
    )

    granted = client.get(f"/api/v1/reports/{sealed}/content?justification=litigation", headers=compliance)
    assert granted.status_code == 200
    (read,) = harness.ledger_events(sealed, LedgerStep.READ)
    assert read["actor"] == "compliance-1" and read["details"]["justification"] == "litigation"
    status = client.get(f"/api/v1/reports/{sealed}", headers=harness.auth("auditor")).json()
    assert status["restriction"] == "legal_hold"
    link = client.post(f"/api/v1/reports/{sealed}/portal-links", json={}, headers=harness.auth("technician"))
    assert (link.status_code, link.json()["error"]["code"]) == (409, "restricted")


def test_a_portal_link_opens_the_sealed_pdf_for_its_client_and_is_recorded(
    harness: ApiHarness, sealed: str
) -> None:
    created = harness.client.post(
        f"/api/v1/reports/{sealed}/portal-links", json={"valid_days": 7}, headers=harness.auth("technician")
    )
    assert created.status_code == 201
    link = created.json()
    assert (
        link["path"].startswith("/portail/") and link["url"] == "https://rapports.exemple.fr" + link["path"]
    )
    (made,) = harness.ledger_events(sealed, LedgerStep.PORTAL_LINK)
    assert made["actor"] == "technician-1" and made["details"] == {"link": link["link_id"]}

    opened = harness.client.get(link["pdf_path"])  # no token: the link is the credential
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    full = harness.client.get(f"/api/v1/reports/{sealed}/pdf/full", headers=harness.auth("compliance"))
    assert opened.content == full.content
    (event,) = harness.ledger_events(sealed, LedgerStep.PORTAL_OPEN)
    assert event["actor"] == "portal" and event["details"] == {
        "document": "pdf_full",
        "link": link["link_id"],
    }

    # Once the report is restricted, the link no longer shows it.
    _restrict(harness, sealed)
    gone = harness.client.get(link["pdf_path"])
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "portal_restricted")


def test_an_auditor_exports_a_proof_that_verifies_offline_without_personal_data(
    harness: ApiHarness, sealed: str
) -> None:
    answer = harness.client.get(f"/api/v1/reports/{sealed}/proof", headers=harness.auth("auditor"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    result = verify_bundle(answer.content, key=harness.context.app.ledger.signer.verifier_key())
    assert result.ok, result.problems
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "documents/rapport-anonymise.pdf" in names and "documents/rapport-scelle.pdf" not in names
    (export,) = harness.ledger_events(sealed, LedgerStep.PROOF_EXPORT)
    assert export["actor"] == "auditor-1"
    status = harness.client.get("/api/v1/ledger", headers=harness.auth("auditor")).json()
    assert status["latest_checkpoint"] and status["size"] == status["latest_checkpoint_size"]
    verified = harness.client.post("/api/v1/ledger/verify", headers=harness.auth("admin")).json()
    assert verified["ok"] and verified["blobs_checked"] > 0


def test_subject_requests_name_the_officer_and_restrict_what_the_law_keeps(
    harness: ApiHarness, sealed: str
) -> None:
    content = harness.client.get(f"/api/v1/reports/{sealed}/content", headers=harness.auth("compliance"))
    client = content.json()["content"]["client"]
    person = {"email": client["email"]} if client.get("email") else {"name": client["name"]}

    export = harness.client.post("/api/v1/subjects/export", json=person, headers=harness.auth("compliance"))
    assert export.status_code == 200 and export.headers["x-quitus-reports"] == "1"
    package = zipfile.ZipFile(io.BytesIO(export.content))
    subject = json.loads(package.read("subject.json"))
    assert [r["report_id"] for r in subject["reports"]] == [sealed]
    assert subject["reports"][0]["retention"]["policy"] and subject["reports"][0]["source"]["capture"]
    assert "resume.html" in package.namelist()
    (event,) = harness.ledger_events(sealed, LedgerStep.SUBJECT_EXPORT)
    assert event["actor"] == "compliance-1"
    assert event["details"] == {"request": export.headers["x-quitus-request"]}
    nobody = harness.client.post(
        "/api/v1/subjects/export",
        json={"email": "personne@nulle-part.example"},
        headers=harness.auth("compliance"),
    )
    assert nobody.status_code == 200 and nobody.headers["x-quitus-reports"] == "0"

    refused = harness.client.post("/api/v1/subjects/erase", json=person, headers=harness.auth("compliance"))
    assert refused.status_code == 422  # confirm: true is required
    erased = harness.client.post(
        "/api/v1/subjects/erase", json={**person, "confirm": True}, headers=harness.auth("compliance")
    ).json()
    assert erased["reports"] == 1
    (outcome,) = erased["outcomes"]
    assert outcome["report_id"] == sealed and outcome["result"] in ("erased", "restricted")
    assert outcome["explanation"]
    # the register of requests: each one, found or not, naming the officer (no value)
    register = harness.ledger_events(None, LedgerStep.SUBJECT_REQUEST)
    assert [(e["details"]["kind"], e["details"]["found"], e["actor"]) for e in register] == [
        ("access", 1, "compliance-1"),
        ("access", 0, "compliance-1"),
        ("erasure", 1, "compliance-1"),
    ]
    assert register[-1]["details"]["request"] == erased["request"]
    assert "nulle-part" not in json.dumps(register)


def test_a_request_by_phone_on_an_index_not_yet_reindexed_is_refused(harness: ApiHarness) -> None:
    with harness.context.app.database.session() as session:
        session.merge(SubjectIndexMetaRecord(id=1, version=1, updated_at=utcnow()))
    by_phone = harness.client.post(
        "/api/v1/subjects/export", json={"phone": "06 12 34 56 78"}, headers=harness.auth("compliance")
    )
    assert by_phone.status_code == 409
    assert by_phone.json()["error"]["code"] == "subject_index_outdated"
    by_email = harness.client.post(
        "/api/v1/subjects/export", json={"email": "a@exemple.fr"}, headers=harness.auth("compliance")
    )
    assert by_email.status_code == 200
