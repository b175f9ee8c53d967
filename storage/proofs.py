"""Export a report's proof of handling (see :mod:`storage.ledger.bundle`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from storage.ledger.bundle import build_bundle
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = ["export_report_proof"]


def export_report_proof(
    store: ReportStore,
    report_id: str,
    *,
    verifier_key: str,
    documents: Mapping[str, bytes] | None = None,
    policies: Mapping[str, str] | None = None,
) -> bytes:
    """The bundle's bytes. The export itself is recorded (and proven) in the ledger.

    ``documents`` are the files the caller may see (the signed PDF); when the report was
    erased, a certificate of disposition stands in for them: it names the ledger entries
    that certify the disposal (``shred`` on request, ``dispose`` by retention or a review).
    """
    report = store.get(report_id)
    ledger = store.ledger
    ledger.record(
        LedgerEvent(step=LedgerStep.PROOF_EXPORT, actor=store.actor, outcome="exported", report_id=report_id)
    )
    checkpoint = ledger.checkpoint()
    entries = ledger.entries_for_report(report_id)
    files = dict(documents or {})
    if report.state == ReportState.ERASED:
        decoded = (decode_entry(e.entry) for e in entries)
        shreds = [entry for entry in decoded if entry["step"] in DISPOSAL_STEPS]
        files["disposition.json"] = (
            json.dumps(
                {
                    "certificate": "disposition",
                    "report_id": report_id,
                    "action": "crypto-shredded: data key destroyed, encrypted files deleted",
                    "erased_at": report.updated_at.isoformat(),
                    "ledger_entries": [s["seq"] for s in shreds],
                    "reason": shreds[0]["details"]["reason"] if shreds else None,
                },
                indent=2,
            )
            + "\n"
        ).encode("utf-8")
    return build_bundle(
        ledger,
        report_id,
        entries,
        checkpoint=checkpoint,
        verifier_key=verifier_key,
        documents=files,
        policies=policies,
    )
