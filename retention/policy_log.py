"""Every change of the policy set in force is recorded in the ledger."""

from __future__ import annotations

from policies.loading import PolicySet
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore

__all__ = ["record_policy_set"]


def record_policy_set(store: ReportStore, policies: PolicySet) -> bool:
    """Append an event when the set differs from the last one recorded; True if it did."""
    last = store.ledger.last_entry(LedgerStep.POLICIES_CHANGE)
    if last is not None and decode_entry(last.entry).get("details", {}).get("version") == policies.version:
        return False
    store.ledger.record(
        LedgerEvent(
            step=LedgerStep.POLICIES_CHANGE,
            actor=store.actor,
            outcome="in_force",
            details={"version": policies.version, "policies": [p.ref for p in policies]},
        )
    )
    return True
