"""Carry out a retention plan: delete, anonymize, or queue for review.

Idempotent and resumable: each batch is committed as it goes; a report already erased
or already queued is skipped; after a crash the next run finds what is still due and
finishes it. Each disposition leaves its certificate in the ledger (step ``dispose``,
with the policy version, the action and the due date). Held reports are never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import select

from policies.loading import PolicySet
from reports.schema import InterventionReport
from retention.holds import HoldService
from retention.planner import PlannedDisposition, plan_dispositions
from retention.statistics import DEFAULT_K, draft_record, write_k_anonymous
from storage.erasure import ShredRequest, finish_interrupted_deletions, shred_reports
from storage.errors import KeyDestroyedError
from storage.ledger.events import LedgerEvent
from storage.models import ReviewItemRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["RunSummary", "execute_plan", "run_retention"]

EXECUTION_BATCH = 500


@dataclass
class RunSummary:
    """Counts per (action, policy) — no personal data; what the run artifact shows."""

    done: Counter[tuple[str, str]] = field(default_factory=Counter)
    held: int = 0
    awaiting_review: int = 0

    @property
    def total(self) -> int:
        return sum(self.done.values())


def run_retention(store: ReportStore, policies: PolicySet, at: dt.date, *, k: int = DEFAULT_K) -> RunSummary:
    """Plan at ``at`` and execute what is due and not held."""
    holds = HoldService(store).active()
    return execute_plan(store, plan_dispositions(store, policies, holds, at), k=k)


def execute_plan(store: ReportStore, plan: Iterable[PlannedDisposition], *, k: int = DEFAULT_K) -> RunSummary:
    summary = RunSummary()
    finish_interrupted_deletions(store)  # files of a run killed after its commit, even if nothing is due now
    try:
        for batch in _chunks(plan, EXECUTION_BATCH):
            _execute_batch(store, batch, summary, k)
    finally:
        # Each batch destroys its keys for good as it commits; scrubbing their old bytes out of
        # the key store's files is a VACUUM of the whole key table on PostgreSQL, a cost that
        # grows with the archive: once per run, also after a failure (for the batches done).
        store.keystore.scrub()
    return summary


def _execute_batch(store: ReportStore, batch: list[PlannedDisposition], summary: RunSummary, k: int) -> None:
    for item in batch:
        if item.held_by:
            summary.held += 1
        elif item.awaiting_review:
            summary.awaiting_review += 1
    ready = [i for i in batch if i.executable]
    _queue_reviews(store, [i for i in ready if i.action == "review"], summary)
    _anonymize(store, [i for i in ready if i.action == "anonymize"], summary, k)
    deletions = [_certificate(i) for i in ready if i.action == "delete"]
    deleted = set(shred_reports(store, deletions, scrub_keys=False))
    summary.done.update(("delete", i.policy_ref) for i in ready if i.report_id in deleted)


def _certificate(item: PlannedDisposition) -> ShredRequest:
    return ShredRequest(
        item.report_id,
        reason="retention",
        step="dispose",
        policy=item.policy_ref,
        details={"action": item.action, "due": item.due.isoformat(), "policies": list(item.policies)},
    )


def _anonymize(store: ReportStore, items: Sequence[PlannedDisposition], summary: RunSummary, k: int) -> None:
    if not items:
        return
    drafts = []
    for item in items:
        report = store.get(item.report_id)
        if report.content_blob_id is None:
            continue  # nothing readable was ever captured: erasure alone
        try:
            content = InterventionReport.model_validate_json(
                store.read_blob(item.report_id, report.content_blob_id)
            )
        except KeyDestroyedError:
            continue  # a previous run destroyed the key and stopped: finish the erasure below
        drafts.append(draft_record(item.report_id, report.template_id, content))
    with store.database.session() as session:
        write_k_anonymous(session, drafts, k=k)
    erased = set(shred_reports(store, [_certificate(i) for i in items], scrub_keys=False))
    summary.done.update(("anonymize", i.policy_ref) for i in items if i.report_id in erased)


def _queue_reviews(store: ReportStore, items: Sequence[PlannedDisposition], summary: RunSummary) -> None:
    if not items:
        return
    with store.database.session() as session:
        queued = {
            r.report_id: r
            for r in session.scalars(
                select(ReviewItemRecord).where(ReviewItemRecord.report_id.in_([i.report_id for i in items]))
            )
        }
        events = []
        for item in items:
            existing = queued.get(item.report_id)
            if existing is not None and existing.status == "pending":
                continue
            if existing is None:
                session.add(
                    ReviewItemRecord(
                        report_id=item.report_id,
                        policy_ref=item.policy_ref,
                        due=item.due,
                        queued_at=utcnow(),
                        status="pending",
                    )
                )
            else:  # an extension ran out: back in the queue
                existing.status, existing.policy_ref, existing.due = "pending", item.policy_ref, item.due
                existing.queued_at = utcnow()
            events.append(
                LedgerEvent(
                    step="review.queue",
                    actor=store.actor,
                    outcome="queued",
                    report_id=item.report_id,
                    policy=item.policy_ref,
                    details={"due": item.due.isoformat()},
                )
            )
            summary.done[("review", item.policy_ref)] += 1
        store.ledger.append(session, events)


def _chunks(items: Iterable[PlannedDisposition], size: int) -> Iterator[list[PlannedDisposition]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
