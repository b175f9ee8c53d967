"""A proof bundle of an erased report carries its certificate of disposition."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import pytest

from storage.blob_kinds import BlobKind
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.bundle import verify_bundle
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.proofs import export_report_proof
from storage.report_store import BlobToStore, ReportStore


def certificate_of(bundle: bytes) -> dict[str, object]:
    with zipfile.ZipFile(BytesIO(bundle)) as archive:
        return json.loads(archive.read("documents/disposition.json"))


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (LedgerStep.DISPOSE, "retention"),  # the nightly job, an approved review
        (LedgerStep.SHRED, "subject_request"),  # an erasure on request
    ],
)
def test_an_erased_report_gets_a_certificate_naming_its_disposal_entry(
    store: ReportStore, step: LedgerStep, reason: str
) -> None:
    report_id = store.receive(b'{"client": "Dupuis"}', source="json", submission_id="sub-1").report_id
    store.save_capture(report_id, content=b"{}", blobs=[BlobToStore(BlobKind.PHOTO, b"\xff\xd8 hallway")])
    assert shred_reports(store, [ShredRequest(report_id, reason=reason, step=step)]) == [report_id]
    vkey = store.ledger.signer.verifier_key()

    bundle = export_report_proof(store, report_id, verifier_key=vkey)

    assert verify_bundle(bundle, trusted_key=vkey).ok
    disposal = [
        decode_entry(e.entry)["seq"]
        for e in store.ledger.entries_for_report(report_id)
        if decode_entry(e.entry)["step"] == step
    ]
    assert len(disposal) == 1
    certificate = certificate_of(bundle)
    assert certificate["report_id"] == report_id
    assert certificate["ledger_entries"] == disposal
    assert certificate["reason"] == reason


def test_a_report_not_erased_has_no_certificate(store: ReportStore) -> None:
    report_id = store.receive(b"{}", source="json", submission_id="sub-1").report_id
    bundle = export_report_proof(store, report_id, verifier_key=store.ledger.signer.verifier_key())
    assert "documents/disposition.json" not in zipfile.ZipFile(BytesIO(bundle)).namelist()
