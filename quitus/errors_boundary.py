"""The CLI's outer boundary: known errors become one line on stderr and their
:class:`~quitus.exit_codes.ExitCode` (not found 3, refused by a rule 4, else 2).

Anything else is exit code 5 (internal) with the error's class only (its message may hold data).
What it says of the state is what is true of every command: each step is one database
transaction, so the step that failed left nothing, while the steps before it are kept —
a raw submission already stored, for one, which the next ingest or intake run completes.
"""

from __future__ import annotations

import os

import typer
from rich.markup import escape

from policies.errors import PolicyError
from quitus.cli_support import err_console
from quitus.exit_codes import ExitCode, exit_code_for
from quitus.settings import SettingsError
from reports.errors import ReportsError
from retention.errors import RetentionError
from storage.errors import StorageError
from storage.ledger.errors import LedgerError

__all__ = ["run_with_error_boundary"]


def run_with_error_boundary(app: typer.Typer) -> None:
    try:
        app(standalone_mode=True)
    except (StorageError, ReportsError, SettingsError, PolicyError, RetentionError, LedgerError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(int(exit_code_for(exc))) from None
    except Exception as exc:  # the last line of defence: no traceback, no message that may hold data
        if os.environ.get("QUITUS_DEBUG") == "1":
            raise
        err_console.print(
            f"[red]internal error[/red] ({exc.__class__.__module__}.{exc.__class__.__name__}). The step "
            "that failed was rolled back; what earlier steps stored is kept (a submission already "
            "received is completed by the next `quitus ingest` or intake run). Rerun with "
            "QUITUS_DEBUG=1 to see the traceback and report it.",
            soft_wrap=True,
        )
        raise SystemExit(int(ExitCode.INTERNAL)) from None
