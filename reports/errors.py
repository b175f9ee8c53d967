"""Errors raised by the intervention-report domain.

Hierarchy::

    ReportsError                 base of every error raised by ``reports``
    ├── CaptureError             a submission could not be read (bad JSON, bad photo, bad form)
    ├── TemplateError            a template file is invalid or a template is unknown
    ├── FormError                a blank form could not be generated
    └── EquipmentImportError     an equipment CSV file could not be read (line and column said)

Messages say what was wrong, where (field path or file and line) and what to do.
They never quote a submitted value: submitted values may be personal data.
"""

from __future__ import annotations

__all__ = ["CaptureError", "EquipmentImportError", "FormError", "ReportsError", "TemplateError"]


class ReportsError(Exception):
    """Base class of the errors raised by the ``reports`` package."""


class CaptureError(ReportsError):
    """A submission (or a part of it, such as a photo) could not be read."""

    def __init__(self, code: str, message: str, path: str = "", **params: object) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.params = {k: str(v) for k, v in params.items()}
        """Technical values of :data:`reports.issues.MESSAGES` for ``code`` (never a submitted value)."""
        self.code = code
        """Stable machine-readable code, e.g. ``photo_too_large``."""
        self.message = message
        """Human-readable explanation, without any submitted value."""
        self.path = path
        """Field path such as ``photos[2].file``; empty for the whole submission."""


class TemplateError(ReportsError):
    """A template file is invalid, or no template matches a report."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])
        """Each problem of a template file as ``file:line: key: message`` (all of them, in one pass)."""


class FormError(ReportsError):
    """A blank form could not be generated."""


class EquipmentImportError(ReportsError):
    """An equipment import file (``quitus equipment import``) could not be read: the message
    names the line and the column, never the value."""
