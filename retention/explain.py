"""Why a report is kept, until when, and what happens then: the decision and the holds on it."""

from __future__ import annotations

from dataclasses import dataclass

from policies.decision import Decision, ReportFacts, decide
from policies.loading import PolicySet
from retention.facts import facts_of
from retention.holds import HoldService
from storage.report_store import ReportStore

__all__ = ["RetentionExplanation", "explain_retention"]


@dataclass(frozen=True)
class RetentionExplanation:
    """What ``quitus policies explain`` prints and the API returns (no personal data)."""

    facts: ReportFacts
    """What the policies looked at."""
    decision: Decision
    """Which policies apply, which one wins and why, the due date."""
    held_by: tuple[str, ...]
    """Legal holds covering the report: it is never disposed while one is active."""


def explain_retention(store: ReportStore, policies: PolicySet, report_id: str) -> RetentionExplanation | None:
    """The explanation, or ``None`` for an erased report (no rule applies any more).

    Raises :class:`~storage.errors.ReportNotFoundError` for an unknown id.
    """
    store.get(report_id)
    facts = facts_of(store.database, report_id)
    if facts is None:
        return None
    held = HoldService(store).active().held([facts]).get(report_id, [])
    return RetentionExplanation(facts, decide(facts, policies), tuple(held))
