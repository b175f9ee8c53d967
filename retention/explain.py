"""Why a report is kept, until when, and what happens then: the effective decision."""

from __future__ import annotations

from dataclasses import dataclass

from policies.decision import ReportFacts
from policies.loading import PolicySet
from retention.effective import EffectiveDecision, effective_decision
from storage.report_store import ReportStore
from storage.state_integrity import decision_tampering

__all__ = ["RetentionExplanation", "explain_retention"]


@dataclass(frozen=True)
class RetentionExplanation:
    """What ``quitus policies explain`` prints and the API returns (no personal data)."""

    facts: ReportFacts
    """What the policies looked at."""
    decision: EffectiveDecision
    """Which policies apply, which one wins and why, the due date — with holds and review
    decisions applied: the same decision the plan and the disposal gate use."""

    tampered: tuple[str, ...] = ()
    """What the decision rests on and differs from the ledger: the disposal gate refuses the
    report as ``tampered`` whatever the decision says (``quitus audit verify`` names the rows)."""

    @property
    def held_by(self) -> tuple[str, ...]:
        """Legal holds covering the report: it is never disposed while one is active."""
        return self.decision.held_by


def explain_retention(store: ReportStore, policies: PolicySet, report_id: str) -> RetentionExplanation | None:
    """The explanation, or ``None`` for an erased report (no rule applies any more).

    Raises :class:`~storage.errors.ReportNotFoundError` for an unknown id.
    """
    effective = effective_decision(store, policies, report_id)
    if effective is None:
        return None
    problems = decision_tampering(store, [report_id]).get(report_id, [])
    return RetentionExplanation(effective.facts, effective, tuple(problems))
