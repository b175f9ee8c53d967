"""Helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from quitus.exit_codes import ExitCode
from quitus.settings import Settings, SettingsError, check_actor, load_settings

__all__ = [
    "JsonOption",
    "act_as",
    "console",
    "err_console",
    "fail",
    "plain",
    "report_json_schema",
    "settings_or_fail",
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for programs (its schema: docs/cli-json.md).")
]
"""``--json`` on a command that lists or reports: its output is a model of quitus.cli_json."""

_UNBOUNDED_WIDTH = 1_000_000
"""The width of a console whose stream is not a terminal (a pipe, a file): scripts get whole
lines, never a table cut to 80 columns with ``…``."""


def _console(*, stderr: bool) -> Console:
    """A console as wide as the terminal, or unbounded when its stream is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _UNBOUNDED_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


console = _console(stderr=False)
err_console = _console(stderr=True)

_operator: str | None = None
"""The handle given by ``quitus --as`` (None: ``QUITUS_ACTOR``, else the OS user)."""
_operator_checked = False


def plain(value: object) -> str:
    """``value`` as text the consoles print as it is: user data (file names, labels, messages)
    must never be read as Rich markup (``a[/z].json`` would crash, ``[bold]`` vanish)."""
    return escape(str(value))


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    """Print ``message`` as an error and exit with ``code`` (see :class:`ExitCode`).

    ``message`` is console markup: pass user values through :func:`plain`.
    """
    err_console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(int(code))


def act_as(handle: str | None) -> None:
    """``quitus --as``: name ``handle`` in the ledger for this command; a bad handle exits with code 2."""
    global _operator, _operator_checked
    if handle is not None:
        try:
            check_actor(handle)
        except ValueError as exc:
            fail(f"--as: {exc}")  # not quoted: it may be an e-mail or a phone typed by mistake
    _operator, _operator_checked = handle, False


def settings_or_fail() -> Settings:
    """The settings, with the operator of ``quitus --as`` as their actor when it was given."""
    global _operator_checked  # noqa: PLW0603
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    if _operator is None:
        return settings
    if not _operator_checked:
        _operator_checked = True
        _warn_if_not_a_user(settings, _operator)
    return settings.model_copy(update={"actor": _operator})


def _warn_if_not_a_user(settings: Settings, handle: str) -> None:
    """Warn, never refuse: the first ``quitus --as admin-01 users add admin-01`` must work."""
    from storage.access_store import registered_users  # noqa: PLC0415 - SQLAlchemy
    from storage.database import Database  # noqa: PLC0415
    from storage.errors import StorageError  # noqa: PLC0415

    try:
        database = Database(settings.resolved_database_url)
    except StorageError:
        return  # the command itself says what is wrong with the database
    try:
        users = registered_users(database)
    except StorageError:
        return
    finally:
        database.dispose()
    if users and handle not in users:
        err_console.print(
            f"[yellow]warning:[/yellow] {plain(handle)} is not a quitus user (see `quitus users list`); "
            "the ledger names it as given"
        )
    elif users.get(handle) is False:
        err_console.print(
            f"[yellow]warning:[/yellow] user {plain(handle)} is disabled; the ledger names it as given"
        )


def report_json_schema() -> str:
    from reports.schema import InterventionReport  # noqa: PLC0415

    schema = InterventionReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://quitus.example/schemas/report-v1.json"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
