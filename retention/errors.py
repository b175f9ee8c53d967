"""Errors raised by retention.

Hierarchy::

    RetentionError            base of every error raised by ``retention``
    ├── HoldError             a legal hold cannot be placed or released as asked
    └── ReviewError           a review decision does not apply
"""

from __future__ import annotations

__all__ = ["HoldError", "RetentionError", "ReviewError"]


class RetentionError(Exception):
    """Base class of the errors raised by the ``retention`` package."""


class HoldError(RetentionError):
    """A legal hold cannot be placed or released as asked."""


class ReviewError(RetentionError):
    """A review decision does not apply (unknown report, already decided…)."""
