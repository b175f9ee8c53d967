"""Retention state in the database: the review queue (its SQL lives here, the rules in
:mod:`retention`). Every change is written together with its ledger entry, in one
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord, ReviewItemRecord, utcnow
from storage.report_store import ReportStore
from storage.retention_vocabulary import ReviewStatus
from storage.states import ReportState

__all__ = ["QueuedReview", "RetentionStore", "ReviewState"]

_DECISION_STEPS = {
    ReviewStatus.APPROVED: LedgerStep.REVIEW_APPROVE,
    ReviewStatus.EXTENDED: LedgerStep.REVIEW_EXTEND,
    ReviewStatus.RELABELLED: LedgerStep.REVIEW_RELABEL,
}


@dataclass(frozen=True)
class ReviewState:
    """Where a report stands in the review queue."""

    report_id: str
    status: ReviewStatus
    policy_ref: str
    """``id@version`` of the policy that queued it."""
    due: dt.date
    """The due date it was queued with."""
    extended_until: dt.date | None = None
    override_policy: str | None = None
    """For a relabelled report: the id of the policy chosen."""
    decided_by: str | None = None

    @classmethod
    def of(cls, row: ReviewItemRecord) -> ReviewState:
        return cls(
            row.report_id,
            ReviewStatus(row.status),
            row.policy_ref,
            row.due,
            row.extended_until,
            row.override_policy,
            row.decided_by,
        )


@dataclass(frozen=True)
class QueuedReview:
    """A report the retention job puts in front of a compliance officer."""

    report_id: str
    policy_ref: str
    due: dt.date


class RetentionStore:
    """The review queue's rows, read and written with their ledger entries."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def reviews_between(self, first_id: str, last_id: str) -> dict[str, ReviewState]:
        """Review states of the reports whose ids are in this range (a plan's batch comes in
        id order: a range costs psycopg less to parse than an IN list of a thousand ids)."""
        with self.store.database.session() as session:
            query = select(ReviewItemRecord).where(ReviewItemRecord.report_id.between(first_id, last_id))
            return {r.report_id: ReviewState.of(r) for r in session.scalars(query)}

    def reviews_of(self, report_ids: Sequence[str]) -> dict[str, ReviewState]:
        if not report_ids:
            return {}
        with self.store.database.session() as session:
            query = select(ReviewItemRecord).where(ReviewItemRecord.report_id.in_(list(report_ids)))
            return {r.report_id: ReviewState.of(r) for r in session.scalars(query)}

    def pending(self) -> list[ReviewState]:
        """The queue, oldest due first (reports erased meanwhile are not in it)."""
        with self.store.database.session() as session:
            rows = session.scalars(
                select(ReviewItemRecord)
                .join(ReportRecord, ReportRecord.id == ReviewItemRecord.report_id)
                .where(
                    ReviewItemRecord.status == ReviewStatus.PENDING, ReportRecord.state != ReportState.ERASED
                )
                .order_by(ReviewItemRecord.due, ReviewItemRecord.report_id)
            )
            return [ReviewState.of(r) for r in rows]

    def queue(self, items: Sequence[QueuedReview]) -> list[str]:
        """Put these reports in the queue (back in it, after an extension or a relabel ran out);
        those already pending stay as they are. Returns the ids queued now."""
        if not items:
            return []
        with self.store.database.session() as session:
            rows = {
                r.report_id: r
                for r in session.scalars(
                    select(ReviewItemRecord).where(
                        ReviewItemRecord.report_id.in_([i.report_id for i in items])
                    )
                )
            }
            events, queued = [], []
            for item in items:
                row = rows.get(item.report_id)
                if row is not None and row.status == ReviewStatus.PENDING:
                    continue
                if row is None:
                    row = ReviewItemRecord(report_id=item.report_id)
                    session.add(row)
                row.status, row.policy_ref, row.due, row.queued_at = (
                    ReviewStatus.PENDING.value,
                    item.policy_ref,
                    item.due,
                    utcnow(),
                )
                row.decided_by = row.decided_at = row.extended_until = row.override_policy = None
                queued.append(item.report_id)
                events.append(
                    LedgerEvent(
                        step=LedgerStep.REVIEW_QUEUE,
                        actor=self.store.actor,
                        outcome="queued",
                        report_id=item.report_id,
                        policy=item.policy_ref,
                        details={"due": item.due.isoformat()},
                    )
                )
            self.store.ledger.append(session, events)
            return queued

    def decide(
        self,
        session: Session,
        report_id: str,
        status: ReviewStatus,
        *,
        extended_until: dt.date | None = None,
        override_policy: str | None = None,
        details: Mapping[str, str | int | list[str]] | None = None,
    ) -> ReviewState | None:
        """Record a decision on a pending item, in the caller's transaction; ``None`` when the
        report is not waiting for review."""
        row = session.get(ReviewItemRecord, report_id, with_for_update=True)
        if row is None or row.status != ReviewStatus.PENDING:
            return None
        row.status, row.decided_by, row.decided_at = status.value, self.store.actor, utcnow()
        row.extended_until, row.override_policy = extended_until, override_policy
        self.store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=_DECISION_STEPS[status],
                    actor=self.store.actor,
                    outcome=status.value,
                    report_id=report_id,
                    policy=row.policy_ref,
                    details=dict(details or {}),
                )
            ],
        )
        return ReviewState.of(row)
