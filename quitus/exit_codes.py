"""The exit codes of every ``quitus`` command: one table, documented in docs/cli-json.md.

A script tells "the report does not exist" (3) from "a rule refused it" (4) from "I typed the
command wrong" (2) without reading the message.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode(IntEnum):
    """What a ``quitus`` exit status means."""

    OK = 0
    """Done."""
    REJECTED = 1
    """The input was rejected or invalid, or a check failed (tampering found, a signature or
    bundle that does not verify, a report rejected at ingest)."""
    USAGE = 2
    """The command was given wrongly, or the installation is not usable as set up: a bad
    option or argument, a bad setting, missing or foreign keys, an unreachable database."""
    NOT_FOUND = 3
    """What the command names does not exist (no such report, policy, hold)."""
    REFUSED = 4
    """A rule refused the action: the disposal gate refusing a shred, a hold, restricted
    access without a justification."""
    INTERNAL = 5
    """A bug: an unexpected error (rerun with QUITUS_DEBUG=1 and report it)."""


def exit_code_for(error: Exception) -> ExitCode:
    """The exit code for a known quitus error reaching the CLI's boundary."""
    from retention.errors import RestrictedAccessError  # noqa: PLC0415
    from storage.errors import DataKeyMissingError, ReportNotFoundError  # noqa: PLC0415

    if isinstance(error, ReportNotFoundError) and not isinstance(error, DataKeyMissingError):
        return ExitCode.NOT_FOUND
    if isinstance(error, RestrictedAccessError):
        return ExitCode.REFUSED
    return ExitCode.USAGE
