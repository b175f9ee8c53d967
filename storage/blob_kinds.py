"""What a report's encrypted blobs are: one vocabulary, one module.

A blob's kind is stored beside it (``blobs.kind``) and bound into its ciphertext's
associated data (:mod:`storage.blobs`), so these values never change once written: a
new kind is a new member, never a renamed one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BlobKind"]


class BlobKind(StrEnum):
    """Every kind of blob a report holds, in the order a report's life writes them."""

    SUBMISSION = "submission"
    """The raw submission as received (JSON, PDF form…): kept before anything parses it."""
    REPORT = "report"
    """The parsed report (JSON), with its attachments replaced by blob ids."""
    PHOTO = "photo"
    """A sanitized photo (re-encoded, metadata stripped)."""
    SIGNATURE = "signature"
    """A sanitized drawn signature (client's or technician's)."""
    QUARANTINED_ATTACHMENT = "quarantined_attachment"
    """An attached file the sanitizer refused, kept as it came for correction."""
    REDACTED_REPORT = "redacted_report"
    """The report with its personal data redacted (JSON)."""
    PDF_DRAFT_FULL = "pdf_draft_full"
    """The rendered PDF with personal data, not sealed yet."""
    PDF_DRAFT_REDACTED = "pdf_draft_redacted"
    """The rendered PDF without personal data, not sealed yet."""
    PDF_FULL = "pdf_full"
    """The sealed PDF with personal data (the one delivered to the client)."""
    PDF_REDACTED = "pdf_redacted"
    """The sealed PDF without personal data."""
    VISIT_PLAN = "visit_plan"
    """A follow-up visit's plan (client, site, what is carried over), kept under the data key of the
    unfinished report it continues: erasing that report erases the plan (:mod:`storage.visits`)."""
