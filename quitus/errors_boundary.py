"""The CLI's outer boundary: known errors become one line on stderr and exit code 2."""

from __future__ import annotations

import os

import typer

from policies.errors import PolicyError
from quitus.cli_support import err_console
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
        err_console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None
    except Exception as exc:  # the last line of defence: no traceback, no message that may hold data
        if os.environ.get("QUITUS_DEBUG") == "1":
            raise
        err_console.print(
            f"[red]internal error[/red] ({exc.__class__.__module__}.{exc.__class__.__name__}); nothing was "
            "half-written. Rerun with QUITUS_DEBUG=1 to see the traceback and report it."
        )
        raise SystemExit(3) from None
