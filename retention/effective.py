"""The effective retention decision: one function, every reader.

A report's fate is the policies' decision (:func:`policies.decision.decide`) with what
happened since applied: recorded events (in the facts), legal holds, and the review
decisions of a compliance officer (extend, relabel, a pending review). ``policies
explain``, ``retention plan``, the disposal gate, access rules and data-subject requests
all read it from :func:`effective_decisions`, so they cannot disagree.

Review decisions and the preservation lock:

* **extended** — the report comes back to review at ``extended_until`` (or later, if the
  policies' own due date moved past it);
* **relabelled** — the chosen policy (which covers the report: relabelling never leaves a
  policy's scope) decides the action and the period, but never before the end of a legal
  obligation (``obligation: true``): a mandatory period is never shortened;
* **pending** — waiting for a decision: nothing happens until one is taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from policies.decision import Decision, PolicyMatch, ReportFacts, decide
from policies.loading import PolicySet
from policies.model import Action
from retention.facts import facts_of
from retention.holds import ActiveHolds, HoldService
from storage.report_store import ReportStore
from storage.retention_store import RetentionStore, ReviewState
from storage.retention_vocabulary import ReviewStatus

__all__ = [
    "EffectiveDecision",
    "ReviewState",
    "apply_review_decision",
    "effective_decision",
    "effective_decisions",
]


@dataclass(frozen=True)
class EffectiveDecision:
    """What will happen to a report, when, why — everything applied."""

    facts: ReportFacts
    decision: Decision
    """The policies' own decision (before review decisions)."""
    winner: PolicyMatch | None
    """The policy whose action applies (the reviewer's choice for a relabelled report)."""
    action: Action | None
    due: dt.date | None
    """Nothing happens before this date; ``None``: not known yet (a trigger has not happened)."""
    held_by: tuple[str, ...] = ()
    """Legal holds in force on the report: while one is, nothing is disposed."""
    review: ReviewState | None = None
    reasons: tuple[str, ...] = ()
    """The policies' reasons, then what the review decisions changed (empty unless explained)."""

    @property
    def report_id(self) -> str:
        return self.facts.report_id

    @property
    def policy_ref(self) -> str | None:
        return None if self.winner is None else self.winner.loaded.ref

    @property
    def policy_refs(self) -> tuple[str, ...]:
        return self.decision.policy_refs

    @property
    def obligation_until(self) -> dt.date | None:
        return self.decision.obligation_until

    @property
    def restricted_from(self) -> dt.date | None:
        return self.decision.restricted_from

    @property
    def awaiting_review(self) -> bool:
        return self.review is not None and self.review.status == ReviewStatus.PENDING

    def is_due(self, at: dt.date) -> bool:
        return self.due is not None and self.due <= at

    def obligations(self) -> list[str]:
        """Ids of the applicable policies that a legal obligation imposes."""
        return [m.policy.id for m in self.decision.matches if m.policy.legal_basis.obligation]


def apply_review_decision(
    facts: ReportFacts,
    policies: PolicySet,
    review: ReviewState | None,
    held_by: Sequence[str] = (),
    *,
    explain: bool = True,
) -> EffectiveDecision:
    """The effective decision for one report (pure: the caller loads reviews and holds)."""
    decision = decide(facts, policies, explain=explain)
    reasons = list(decision.reasons)
    winner, due = decision.winner, decision.due
    action = decision.action
    if review is not None and review.status == ReviewStatus.EXTENDED and review.extended_until is not None:
        action = "review"
        due = None if decision.due is None else max(review.extended_until, decision.due)
        if explain:
            reasons.append(f"review: kept until {review.extended_until}, then back to review (extended)")
    elif review is not None and review.status == ReviewStatus.RELABELLED and review.override_policy:
        chosen = _applicable(decision, review.override_policy)
        if chosen is None:
            if explain:
                reasons.append(
                    f"review: relabelled to {review.override_policy}, which no longer applies to this "
                    "report: the policies decide again"
                )
        else:
            winner, action = chosen, chosen.policy.action
            ends = [chosen.end, decision.obligation_until]
            due = None if chosen.end is None else max(e for e in ends if e is not None)
            if explain:
                lock = (
                    f"; not before {decision.obligation_until}, the end of the legal obligation"
                    if decision.obligation_until and chosen.end and decision.obligation_until > chosen.end
                    else ""
                )
                reasons.append(
                    f"review: relabelled to {chosen.policy.id} ({chosen.policy.duration}, then "
                    f"{chosen.policy.action}): due {due}{lock}"
                )
    elif review is not None and review.status == ReviewStatus.PENDING and explain:
        reasons.append(f"review: queued on the due date {review.due}, waiting for a compliance officer")
    if held_by and explain:
        reasons.append(f"held by {', '.join(held_by)}: nothing is disposed while a hold is in force")
    return EffectiveDecision(
        facts=facts,
        decision=decision,
        winner=winner,
        action=action,
        due=due,
        held_by=tuple(held_by),
        review=review,
        reasons=tuple(reasons),
    )


def _applicable(decision: Decision, policy_id: str) -> PolicyMatch | None:
    return next((m for m in decision.matches if m.policy.id == policy_id), None)


def effective_decisions(
    store: ReportStore,
    policies: PolicySet,
    batch: Sequence[ReportFacts],
    holds: ActiveHolds,
    *,
    explain: bool = False,
) -> list[EffectiveDecision]:
    """The effective decisions of a batch of reports, in the batch's order."""
    if not batch:
        return []
    ids = [f.report_id for f in batch]
    reviews = RetentionStore(store).reviews_of(ids)
    held = holds.held(batch)
    return [
        apply_review_decision(
            facts, policies, reviews.get(facts.report_id), held.get(facts.report_id, ()), explain=explain
        )
        for facts in batch
    ]


def effective_decision(
    store: ReportStore, policies: PolicySet, report_id: str, *, explain: bool = True
) -> EffectiveDecision | None:
    """One report's effective decision; ``None`` once it is erased (no rule applies any more).

    Raises :class:`~storage.errors.ReportNotFoundError` for an unknown id.
    """
    store.get(report_id)
    facts = facts_of(store.database, report_id)
    if facts is None:
        return None
    holds = HoldService(store).active()
    return effective_decisions(store, policies, [facts], holds, explain=explain)[0]
