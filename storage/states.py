"""The per-report state machine (ARCHITECTURE.md, "A report's life")."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED_TRANSITIONS", "ReportState", "can_transition"]


class ReportState(StrEnum):
    """Where a report is in its life."""

    CAPTURED = "captured"
    """Raw submission stored and parsed; not yet checked against its template."""
    VALIDATED = "validated"
    REDACTED = "redacted"
    RENDERED = "rendered"
    SIGNED = "signed"
    ARCHIVED = "archived"
    REJECTED = "rejected"
    """Kept with structured issues; a corrected resubmission (same submission_id) revives it."""
    ERASED = "erased"
    """Data key destroyed (crypto-shredded): only a tombstone and the ledger remain."""


_FORWARD: dict[ReportState, frozenset[ReportState]] = {
    ReportState.CAPTURED: frozenset({ReportState.VALIDATED, ReportState.REJECTED}),
    ReportState.VALIDATED: frozenset({ReportState.REDACTED, ReportState.REJECTED}),
    ReportState.REDACTED: frozenset({ReportState.RENDERED}),
    ReportState.RENDERED: frozenset({ReportState.SIGNED}),
    ReportState.SIGNED: frozenset({ReportState.ARCHIVED}),
    ReportState.ARCHIVED: frozenset(),
    ReportState.REJECTED: frozenset({ReportState.CAPTURED}),
}
# Any report can be erased; an erased one never comes back.
ALLOWED_TRANSITIONS: dict[ReportState, frozenset[ReportState]] = {
    **{state: targets | {ReportState.ERASED} for state, targets in _FORWARD.items()},
    ReportState.ERASED: frozenset(),
}


def can_transition(current: ReportState, target: ReportState) -> bool:
    return target in ALLOWED_TRANSITIONS[current]
