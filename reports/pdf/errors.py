"""Errors raised while rendering, sealing and verifying report PDFs.

Hierarchy::

    ReportsError                      (reports.errors) base of every ``reports`` error
    └── PdfError                      base of every error raised by ``reports.pdf``
        ├── PdfRenderError            a report cannot be rendered (missing or unreadable image, bad id)
        ├── SealError                 the seal identity cannot be created, imported, loaded or used
        └── VerificationSetupError    the verifier was given unusable trust roots

A PDF that does not verify is *not* an error: :func:`reports.pdf.verify_sealed_pdf`
returns a result listing the problems. Messages say what was wrong and what to do; they
never quote a report value (report values may be personal data).
"""

from __future__ import annotations

from reports.errors import ReportsError

__all__ = ["PdfError", "PdfRenderError", "SealError", "VerificationSetupError"]


class PdfError(ReportsError):
    """Base class of the errors raised by ``reports.pdf``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """Stable machine-readable code, e.g. ``seal_expired``."""
        self.message = message
        """Human-readable explanation with what to do, without any report value."""


class PdfRenderError(PdfError):
    """A report cannot be rendered: an image is missing or unreadable, or the report id is invalid."""


class SealError(PdfError):
    """The seal identity is missing, invalid, expired or unusable, or sealing failed.

    Codes: ``seal_missing``, ``seal_exists``, ``seal_corrupt``, ``seal_key_mismatch``,
    ``seal_expired``, ``seal_not_yet_valid``, ``seal_pkcs12_invalid``, ``pdf_unreadable``,
    ``tsa_failed``, ``revocation_unavailable``, ``signing_failed``.
    """


class VerificationSetupError(PdfError):
    """The trust roots given to the verifier are not certificates (PEM or DER)."""
