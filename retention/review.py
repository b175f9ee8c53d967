"""Disposition review: a compliance officer approves, extends or relabels a queued report.

* **approve** — dispose now: the report is erased (crypto-shredded) with a certificate.
* **extend** — keep it until a new date (with a reason code); it comes back to the
  queue then.
* **relabel** — govern it by another policy from now on.

Each decision is a ledger event naming who decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from policies.loading import PolicySet
from retention.errors import ReviewError
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.events import LedgerEvent
from storage.models import ReviewItemRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["ReviewItem", "ReviewQueue"]

_STEPS = {"approved": "review.approve", "extended": "review.extend", "relabelled": "review.relabel"}


@dataclass(frozen=True)
class ReviewItem:
    report_id: str
    policy_ref: str
    due: dt.date
    status: str
    extended_until: dt.date | None


class ReviewQueue:
    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def pending(self) -> list[ReviewItem]:
        with self.store.database.session() as session:
            rows = session.scalars(
                select(ReviewItemRecord)
                .where(ReviewItemRecord.status == "pending")
                .order_by(ReviewItemRecord.due, ReviewItemRecord.report_id)
            )
            return [ReviewItem(r.report_id, r.policy_ref, r.due, r.status, r.extended_until) for r in rows]

    def approve(self, report_id: str) -> None:
        item = self._decide(report_id, "approved")
        shred_reports(
            self.store,
            [
                ShredRequest(
                    report_id,
                    reason="review_approved",
                    step="dispose",
                    policy=item.policy_ref,
                    details={"action": "delete", "due": item.due.isoformat()},
                )
            ],
        )

    def extend(self, report_id: str, until: dt.date, *, reason: str) -> None:
        if until <= dt.date.today():
            raise ReviewError(f"the new date {until} must be in the future")
        self._decide(
            report_id,
            "extended",
            extended_until=until,
            details={"until": until.isoformat(), "reason": reason},
        )

    def relabel(self, report_id: str, policy_id: str, policies: PolicySet) -> None:
        chosen = policies.get(policy_id)
        if chosen is None:
            known = ", ".join(p.policy.id for p in policies)
            raise ReviewError(f"no policy '{policy_id}'; known: {known}")
        self._decide(report_id, "relabelled", override=policy_id, details={"policy": chosen.ref})

    def _decide(
        self,
        report_id: str,
        status: str,
        *,
        extended_until: dt.date | None = None,
        override: str | None = None,
        details: dict[str, str] | None = None,
    ) -> ReviewItem:
        with self.store.database.session() as session:
            row = session.get(ReviewItemRecord, report_id, with_for_update=True)
            if row is None or row.status != "pending":
                raise ReviewError(
                    f"report {report_id} is not waiting for review; `quitus review list` shows the queue"
                )
            row.status, row.decided_by, row.decided_at = status, self.store.actor, utcnow()
            row.extended_until = extended_until
            row.override_policy = override
            self.store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=_STEPS[status],
                        actor=self.store.actor,
                        outcome=status,
                        report_id=report_id,
                        policy=row.policy_ref,
                        details=details or {},
                    )
                ],
            )
            return ReviewItem(row.report_id, row.policy_ref, row.due, row.status, row.extended_until)
