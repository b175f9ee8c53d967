"""Errors raised by the PII detection and redaction package.

Hierarchy::

    AnonymizationError           base of every error raised by ``anonymization``
    ├── ModelUnavailableError    the pinned spaCy French model is not installed or cannot load
    ├── VocabularyError          a technical-vocabulary file is unreadable or invalid (file and line)
    ├── PseudonymKeyError        the key given for pseudonyms is missing or too short
    ├── TextInputError           a text cannot be analysed (not a string, too long for the caller's limit)
    └── DetectionFailedError     the model or a recognizer failed inside the analysis of some text

Messages say what was wrong and what to do. They never quote the analysed text: it
may hold the very personal data this package exists to remove.
"""

from __future__ import annotations

__all__ = [
    "AnonymizationError",
    "DetectionFailedError",
    "ModelUnavailableError",
    "PseudonymKeyError",
    "TextInputError",
    "VocabularyError",
]


class AnonymizationError(Exception):
    """Base class of the errors raised by the ``anonymization`` package."""


class ModelUnavailableError(AnonymizationError):
    """The spaCy French model (a pinned PyPI package) is missing or broken."""


class VocabularyError(AnonymizationError):
    """A technical-vocabulary file is unreadable or invalid."""


class PseudonymKeyError(AnonymizationError):
    """The key for keyed-HMAC pseudonyms is unusable."""


class TextInputError(AnonymizationError):
    """A text cannot be analysed."""


class DetectionFailedError(AnonymizationError):
    """The analysis failed inside the model, Presidio or a recognizer (its type is named, never the text)."""


INTERNAL_FAILURES: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    RuntimeError,
    ArithmeticError,
    AssertionError,
)
"""What a bug inside spaCy, Presidio or a recognizer raises (a recognizer MUST NOT raise, but
a plugin may): translated into :class:`DetectionFailedError` at the package's boundary."""
