"""The words retention state is written in: review statuses, hold scopes, disposal outcomes.

One owner for each vocabulary: the database stores these values, the ledger records them,
the CLI, the API and the pages show them. Compare with the enum, never with a literal.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DisposalPurpose", "DisposalRefusal", "HoldScope", "ReviewStatus"]


class ReviewStatus(StrEnum):
    """Where a report queued for a disposition review stands."""

    PENDING = "pending"
    """Waiting for a compliance officer."""
    APPROVED = "approved"
    """Disposal approved: the report was erased through the disposal gate."""
    EXTENDED = "extended"
    """Kept until a later date; back in the queue then."""
    RELABELLED = "relabelled"
    """Governed by another applicable policy from now on."""


class HoldScope(StrEnum):
    """What a legal hold covers."""

    REPORTS = "reports"
    """A list of report ids."""
    SUBJECT = "subject"
    """Every report of one person (blind-index digests, never the values)."""
    QUERY = "query"
    """Reports whose facts match (template, client kind, intervention dates)."""


class DisposalPurpose(StrEnum):
    """Why the disposal gate is asked to destroy or anonymize a report."""

    RETENTION = "retention"
    """The retention job: the policy's action at its due date."""
    REVIEW_APPROVAL = "review_approved"
    """A compliance officer approved a queued disposition."""
    ERASURE_REQUEST = "erasure_request"
    """GDPR Art. 17: a person asked (``subject erase``, ``reports shred``). A retention period
    the law does not impose gives way; a legal obligation or a hold does not."""


class DisposalRefusal(StrEnum):
    """Why the disposal gate refused (each refusal names the hold, the policy or the date)."""

    HELD = "legal_hold"
    OBLIGATION = "legal_obligation"
    NOT_DUE = "not_due"
    AWAITING_REVIEW = "awaiting_review"
    NEEDS_REVIEW = "needs_review"
    NOT_QUEUED = "not_queued"
    UNREADABLE = "unreadable"
    """Its content could not be read to anonymize it (a blob file corrupted, truncated or lost):
    kept for a person to restore or look at; the other reports of the run are disposed of."""
    TAMPERED = "tampered"
    """What the disposal would decide on differs from the ledger (a row edited by hand, an
    entry quitus did not write): nothing is disposed of until ``quitus audit verify`` is clean."""
