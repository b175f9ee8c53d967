"""What is due for disposition at a date, and why. Reads only: it writes nothing.

The executor consumes this plan; the plan never calls anything that destroys, so a dry
run cannot dispose of anything by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy import select

from policies.decision import Decision, ReportFacts, decide
from policies.loading import PolicySet
from policies.model import Action, Scope
from retention.facts import BATCH_SIZE, iter_report_facts
from retention.holds import ActiveHolds
from storage.models import ReviewItemRecord
from storage.report_store import ReportStore

__all__ = ["PlannedDisposition", "plan_dispositions"]


@dataclass(frozen=True)
class PlannedDisposition:
    """A report due for disposition at the plan's date."""

    report_id: str
    action: Action
    policy_ref: str
    """``id@version`` of the policy whose action applies."""
    due: dt.date
    policies: tuple[str, ...]
    """Every policy that applied (their versions decided the report's fate)."""
    held_by: tuple[str, ...] = ()
    """Legal holds covering it: a held report is listed but never disposed."""
    awaiting_review: bool = False
    """Already in the review queue, waiting for a compliance officer."""

    @property
    def executable(self) -> bool:
        return not self.held_by and not self.awaiting_review


def plan_dispositions(
    store: ReportStore, policies: PolicySet, holds: ActiveHolds, at: dt.date, *, batch_size: int = BATCH_SIZE
) -> Iterator[PlannedDisposition]:
    """Every report due at ``at`` (held ones included, marked), in id order, batch by batch."""
    for batch in iter_report_facts(store.database, batch_size=batch_size):
        reviews = _reviews(store, batch[0].report_id, batch[-1].report_id)
        due: list[tuple[ReportFacts, Decision, ReviewItemRecord | None]] = []
        for facts in batch:
            review = reviews.get(facts.report_id)
            decision = decide(facts, _effective(policies, review), explain=False)
            if review is not None and review.status == "extended" and review.extended_until is not None:
                if review.extended_until > at:
                    continue
            elif not decision.is_due(at):
                continue
            due.append((facts, decision, review))
        held = holds.held([f for f, _, _ in due]) if due else {}
        for facts, decision, review in due:
            assert decision.winner is not None
            assert decision.due is not None
            extended = review is not None and review.status == "extended"
            yield PlannedDisposition(
                report_id=facts.report_id,
                action="review" if extended else decision.winner.policy.action,
                policy_ref=decision.winner.loaded.ref,
                due=review.extended_until if extended and review and review.extended_until else decision.due,
                policies=decision.policy_refs,
                held_by=tuple(held.get(facts.report_id, ())),
                awaiting_review=review is not None and review.status == "pending",
            )


def _reviews(store: ReportStore, first_id: str, last_id: str) -> dict[str, ReviewItemRecord]:
    """Review items of the reports of a batch (they come in id order, so by their id range:
    a statement with an IN list of a thousand ids costs psycopg more to parse than it runs)."""
    with store.database.session() as session:
        return {
            r.report_id: r
            for r in session.scalars(
                select(ReviewItemRecord).where(ReviewItemRecord.report_id.between(first_id, last_id))
            )
        }


def _effective(policies: PolicySet, review: ReviewItemRecord | None) -> PolicySet:
    """A relabelled report is governed by the policy the reviewer chose, alone, whatever its scope."""
    if review is not None and review.status == "relabelled" and review.override_policy:
        chosen = policies.get(review.override_policy)
        if chosen is not None:
            return PolicySet([replace(chosen, policy=chosen.policy.model_copy(update={"scope": Scope()}))])
    return policies
