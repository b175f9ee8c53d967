"""Crypto-shredding, in batches: destroy data keys, delete blobs, keep tombstones.

Order matters and makes a crash harmless: the keys are destroyed first (from that
instant every copy of the ciphertext, backups included, is noise), then the reports
become ``erased`` tombstones together with their ledger events in one transaction,
then the files are deleted. Run again after a crash, it finishes the job; a report
already erased is skipped ("already deleted" is success).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from storage.ledger.events import LedgerEvent
from storage.models import ReportRecord, SubjectIndexRecord, utcnow
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = ["ShredRequest", "shred_reports"]


@dataclass(frozen=True)
class ShredRequest:
    report_id: str
    reason: str
    """A code: ``retention``, ``subject_request``, ``demo``…"""
    step: str = "shred"
    """Ledger step: ``shred``, or ``dispose`` for a retention disposition (its certificate)."""
    policy: str | None = None
    details: Mapping[str, str | int | list[str]] = field(default_factory=dict)


def shred_reports(store: ReportStore, requests: Sequence[ShredRequest]) -> list[str]:
    """Erase these reports; returns the ids erased by this call (not before)."""
    if not requests:
        return []
    ids = [r.report_id for r in requests]
    destroyed_now = store.keystore.destroy_many(ids)
    erased: list[str] = []
    with store.database.session() as session:
        rows = {
            r.id: r
            for r in session.scalars(select(ReportRecord).where(ReportRecord.id.in_(ids)).with_for_update())
        }
        now = utcnow()
        events = []
        for request in requests:
            report = rows.get(request.report_id)
            if report is None or report.state == ReportState.ERASED:
                continue
            report.state = ReportState.ERASED
            report.erased_at = report.updated_at = now
            report.content_blob_id = None
            erased.append(report.id)
            events.append(
                LedgerEvent(
                    step=request.step,
                    actor=store.actor,
                    outcome="destroyed" if report.id in destroyed_now else "already_destroyed",
                    report_id=report.id,
                    policy=request.policy,
                    details={"reason": request.reason, **request.details},
                )
            )
        if erased:
            session.execute(delete(SubjectIndexRecord).where(SubjectIndexRecord.report_id.in_(erased)))
            store.ledger.append(session, events)
    for report_id in ids:
        store.blobs.delete_report(report_id)
    return erased
