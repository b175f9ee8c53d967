"""Data-subject requests: access and portability (Art. 15, 20) and erasure (Art. 17).

A person is found through the blind index (their e-mail, phone or name, normalized and
hashed with the installation's key). Erasure erases what may be erased; where a policy
keeps the report for a legal obligation (Art. 17(3)(b)) or a legal hold applies, the
report is **restricted** instead and the answer explains why and until when.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from policies.loading import PolicySet
from reports.schema import InterventionReport
from retention.clock import Clock
from retention.gate import DisposalGate
from storage.blind_index import SubjectKind, subject_digests
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord, utcnow
from storage.report_store import ReportStore
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal
from storage.states import ReportState

__all__ = ["ErasureOutcome", "erase_subject", "export_subject", "find_subject_reports"]


def find_subject_reports(store: ReportStore, terms: Sequence[tuple[SubjectKind, str]]) -> list[str]:
    return store.find_by_subject(subject_digests(store.keys.index_key, terms))


def export_subject(store: ReportStore, report_ids: Sequence[str]) -> bytes:
    """A zip: ``subject.json`` (every report, machine-readable) and the images, per report."""
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for report_id in report_ids:
            summary = store.get(report_id)
            if summary.content_blob_id is None:
                index.append({"report_id": report_id, "state": summary.state.value, "content": None})
                continue
            content = store.read_blob(report_id, summary.content_blob_id)
            report = InterventionReport.model_validate_json(content)
            index.append(
                {"report_id": report_id, "state": summary.state.value, "content": json.loads(content)}
            )
            images = [p.image for p in report.photos]
            images += [
                s.image for s in (report.client_signature, report.technician_signature) if s is not None
            ]
            for image in images:
                if image.blob_id is not None:
                    archive.writestr(
                        f"{report_id}/{image.blob_id}", store.read_blob(report_id, image.blob_id)
                    )
            store.ledger.record(
                LedgerEvent(
                    step=LedgerStep.SUBJECT_EXPORT, actor=store.actor, outcome="exported", report_id=report_id
                )
            )
        archive.writestr(
            "subject.json",
            json.dumps(
                {"format": "quitus-subject-export/1", "exported_at": utcnow().isoformat(), "reports": index},
                ensure_ascii=False,
                indent=2,
            ),
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class ErasureOutcome:
    report_id: str
    result: Literal["erased", "restricted", "already_erased"]
    explanation: str


def erase_subject(
    store: ReportStore, policies: PolicySet, report_ids: Sequence[str], *, clock: Clock | None = None
) -> list[ErasureOutcome]:
    """Erase what the disposal gate allows; restrict and explain what a hold or a legal
    obligation keeps."""
    gate = DisposalGate(store, policies, clock=clock)
    outcome = gate.dispose(report_ids, DisposalPurpose.ERASURE_REQUEST, reason="subject_request")
    gate.scrub()
    outcomes = [ErasureOutcome(r, "already_erased", "already erased") for r in outcome.already_erased]
    for refusal in outcome.refused:
        if refusal.rule == DisposalRefusal.HELD:
            why = f"{refusal.message}; restricted, erased once the hold is released and the rules allow it"
            outcomes.append(_restrict(store, refusal.report_id, "legal_hold", why))
        else:
            why = f"{refusal.message}; access restricted until then, erased after"
            outcomes.append(_restrict(store, refusal.report_id, "art17_3b_legal_obligation", why))
    outcomes += [ErasureOutcome(r, "erased", "data key destroyed, files deleted") for r in outcome.deleted]
    order = {r: n for n, r in enumerate(report_ids)}
    return sorted(outcomes, key=lambda o: order.get(o.report_id, len(order)))


def _restrict(store: ReportStore, report_id: str, reason: str, why: str) -> ErasureOutcome:
    with store.database.session() as session:
        row = session.get(ReportRecord, report_id, with_for_update=True)
        assert row is not None
        assert row.state != ReportState.ERASED
        row.restricted_at, row.restriction_reason = utcnow(), reason
        store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.RESTRICT,
                    actor=store.actor,
                    outcome="restricted",
                    report_id=report_id,
                    details={"reason": reason},
                )
            ],
        )
    return ErasureOutcome(report_id, "restricted", why)
