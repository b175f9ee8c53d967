"""Errors raised by retention.

Hierarchy::

    RetentionError            base of every error raised by ``retention``
    ├── CertificateError      a certificate of disposition cannot be given (not disposed, edited, no sealer)
    ├── HoldError             a legal hold cannot be placed or released as asked
    ├── ReviewError           a review decision does not apply
    ├── EventError            a dated event is refused (unknown name, date out of the report's life)
    ├── RestrictedAccessError reading a restricted report's personal data needs a justification
    └── DocumentUnavailableError the document asked for does not exist (yet, or any more)
"""

from __future__ import annotations

__all__ = [
    "CertificateError",
    "DocumentUnavailableError",
    "EventError",
    "HoldError",
    "RestrictedAccessError",
    "RetentionError",
    "ReviewError",
]


class RetentionError(Exception):
    """Base class of the errors raised by the ``retention`` package."""


class CertificateError(RetentionError):
    """A certificate of disposition cannot be given: the report is not disposed of, the
    stored certificate does not match its signed ledger entry, or its PDF cannot be issued."""


class HoldError(RetentionError):
    """A legal hold cannot be placed or released as asked."""


class ReviewError(RetentionError):
    """A review decision does not apply (unknown report, already decided…)."""


class EventError(RetentionError):
    """A dated event is refused: no policy waits for its name, or its date is before the
    report or after today."""


class RestrictedAccessError(RetentionError):
    """The report's personal data is restricted: reading it needs a justification code."""

    def __init__(self, report_id: str, restriction: str) -> None:
        super().__init__(
            f"{report_id} is {restriction}: reading its personal data needs a justification code "
            "(e.g. litigation, subject_access), which is recorded"
        )
        self.report_id = report_id
        self.restriction = restriction
        """Why, in a few words (no personal data)."""


class DocumentUnavailableError(RetentionError):
    """The report has no such document: not produced yet, or erased with the report."""

    def __init__(self, message: str, *, erased: bool = False) -> None:
        super().__init__(message)
        self.erased = erased
        """True when the report was erased: the document will never exist again."""
