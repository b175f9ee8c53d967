"""What is due for disposition at a date, and why. Reads only: it writes nothing.

The plan is what :func:`retention.effective.apply_review_decision` says of every report —
the same decision ``policies explain`` shows. Planning at a future date is a simulation:
carrying anything out is the disposal gate's job, at the real current date
(:mod:`retention.gate`), so a plan cannot dispose of anything by construction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from policies.decision import ReportFacts
from policies.loading import PolicySet
from policies.model import Action
from retention.effective import EffectiveDecision, apply_review_decision
from retention.facts import BATCH_SIZE, iter_report_facts
from retention.holds import ActiveHolds
from storage.ledger.errors import RollbackError
from storage.report_store import ReportStore
from storage.retention_store import RetentionStore
from storage.state_integrity import decision_tampering

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
    tampered: tuple[str, ...] = ()
    """What its decision rests on differs from the ledger (the disposal gate will refuse it as
    ``tampered``; ``quitus audit verify`` names the rows): the plan says so instead of showing it
    as due."""

    @property
    def executable(self) -> bool:
        return not self.held_by and not self.awaiting_review and not self.tampered

    @classmethod
    def of(cls, effective: EffectiveDecision) -> PlannedDisposition:
        assert effective.winner is not None
        assert effective.action is not None
        assert effective.due is not None
        return cls(
            report_id=effective.report_id,
            action=effective.action,
            policy_ref=effective.winner.loaded.ref,
            due=effective.due,
            policies=effective.decision.policy_refs,
            held_by=effective.held_by,
            awaiting_review=effective.awaiting_review,
        )


def plan_dispositions(
    store: ReportStore,
    policies: PolicySet,
    holds: ActiveHolds,
    at: dt.date,
    *,
    batch_size: int = BATCH_SIZE,
    check_tampering: bool = True,
) -> Iterator[PlannedDisposition]:
    """Every report due at ``at`` (held ones included, marked), in id order, batch by batch.

    ``check_tampering``: mark the reports whose rows differ from the ledger (what a person reads
    in a plan). The retention run turns it off: its disposal gate checks them again anyway.
    """
    reviews_store = RetentionStore(store)
    rolled_back: tuple[str, ...] = ()
    if check_tampering:
        try:
            store.ledger.check_not_rolled_back()
        except RollbackError as exc:  # as the gate: nothing the ledger says can be believed
            rolled_back = (str(exc),)
    for batch in iter_report_facts(store.database, batch_size=batch_size):
        reviews = reviews_store.reviews_between(batch[0].report_id, batch[-1].report_id)
        due: list[tuple[ReportFacts, EffectiveDecision]] = []
        for facts in batch:
            effective = apply_review_decision(facts, policies, reviews.get(facts.report_id), explain=False)
            if effective.is_due(at):
                due.append((facts, effective))
        held = holds.held([f for f, _ in due]) if due else {}
        tampered: dict[str, list[str]] = {}
        if rolled_back:
            tampered = {f.report_id: list(rolled_back) for f, _ in due}
        elif due and check_tampering:
            tampered = decision_tampering(store, [f.report_id for f, _ in due])
        for facts, effective in due:
            planned = PlannedDisposition.of(effective)
            if facts.report_id in held:
                planned = dataclasses.replace(planned, held_by=tuple(held[facts.report_id]))
            if facts.report_id in tampered:
                planned = dataclasses.replace(planned, tampered=tuple(tampered[facts.report_id]))
            yield planned
