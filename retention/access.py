"""Whether a report's personal data may be read freely, or only with a justification.

Access is restricted when the report was restricted explicitly (an erasure refused
under a legal obligation or a hold) or when its active-base period is over (CNIL:
intermediate archiving — kept, but out of everyday reach).
"""

from __future__ import annotations

import datetime as dt

from policies.decision import decide
from policies.loading import PolicySet
from retention.facts import facts_of
from storage.report_store import ReportStore

__all__ = ["access_restriction"]


def access_restriction(
    store: ReportStore, policies: PolicySet, report_id: str, *, today: dt.date | None = None
) -> str | None:
    """``None`` when free, else why it is restricted (a short explanation)."""
    summary = store.get(report_id)
    if summary.restriction_reason:
        return f"restricted ({summary.restriction_reason})"
    facts = facts_of(store.database, report_id)
    if facts is None:
        return None
    decision = decide(facts, policies)
    day = today or dt.date.today()
    if decision.restricted_from is not None and decision.restricted_from <= day:
        return f"in intermediate archiving since {decision.restricted_from} (active-base period over)"
    return None
