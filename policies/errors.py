"""Errors raised by the retention-policy language.

Hierarchy::

    PolicyError              base of every error raised by ``policies``
    └── PolicyFileError      a policy file is invalid (the message names file and line)
"""

from __future__ import annotations

__all__ = ["PolicyError", "PolicyFileError"]


class PolicyError(Exception):
    """Base class of the errors raised by the ``policies`` package."""


class PolicyFileError(PolicyError):
    """One or more policy files are invalid; every problem is listed with file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid retention policies:\n  " + "\n  ".join(problems))
        self.problems = problems
