"""``quitus ingest``: capture and validate submissions from files, folders or stdin.

One input never stops the others: an input that cannot be read, or whose capture fails
unexpectedly, is reported on its own line (counted as unreadable, exit code 1) and the
next one is read. File names and issue messages are printed as plain text (a name such
as ``a[/z].json`` is not console markup).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape

from quitus.cli_support import console, err_console, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from quitus.wiring import App
    from reports.intake import CaptureOutcome

__all__ = ["ingest_command", "iter_inputs"]

SUFFIXES = {".json": "json", ".pdf": "pdf_form"}


@dataclass(frozen=True)
class InputFile:
    label: str
    path: Path | None
    """``None`` for standard input."""


def iter_inputs(paths: list[str]) -> Iterator[InputFile | str]:
    """Each input file, folders expanded (``*.json``, ``*.pdf``, sorted); a string for a bad path."""
    for raw in paths:
        if raw == "-":
            yield InputFile("<stdin>", None)
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                yield f"{raw}: folder holds no .json or .pdf file"
            yield from (InputFile(str(p), p) for p in found)
        elif path.is_file():
            yield InputFile(raw, path)
        else:
            yield f"{raw}: no such file or folder"


def ingest_command(
    paths: Annotated[
        list[str], typer.Argument(help="JSON files, filled PDF forms, folders, or - for stdin.")
    ],
    output_format: Annotated[
        Literal["text", "jsonl"],
        typer.Option("--format", help="text for people, jsonl for programs (one line per input)."),
    ] = "text",
) -> None:
    """Capture and validate reports. Exit code 1 when any input is rejected or unreadable."""
    from quitus.wiring import open_app  # noqa: PLC0415

    app = open_app(settings_or_fail())
    accepted = rejected = unreadable = 0
    try:
        for item in iter_inputs(paths):
            result = item if isinstance(item, str) else _ingest_guarded(app, item)
            if isinstance(result, str):
                unreadable += 1
            elif result.accepted:
                accepted += 1
            else:
                rejected += 1
            if output_format == "jsonl":
                sys.stdout.write(json.dumps(_as_json(item, result), ensure_ascii=False) + "\n")
            else:
                _print_result(item, result)
        app.ledger.checkpoint()
    finally:
        app.close()
    if output_format == "text":
        summary = f"{accepted} accepted, {rejected} rejected"
        console.print(summary + (f", {unreadable} unreadable" if unreadable else ""))
    raise typer.Exit(ExitCode.REJECTED if rejected or unreadable else ExitCode.OK)


def _ingest_guarded(app: App, item: InputFile) -> CaptureOutcome | str:
    """:func:`_ingest_one`, with an unexpected failure reported for this input alone."""
    from storage.errors import StorageError  # noqa: PLC0415
    from storage.ledger.errors import LedgerError  # noqa: PLC0415

    try:
        return _ingest_one(app, item)
    except (StorageError, LedgerError):
        raise  # the database or the keys: every input would fail the same way
    except Exception as exc:  # one input must not stop the batch; its message may hold data
        if os.environ.get("QUITUS_DEBUG") == "1":
            raise
        return (
            f"{item.label}: capture failed ({exc.__class__.__name__}); if the submission was "
            "stored, the next `quitus ingest` or intake run completes it. Rerun with QUITUS_DEBUG=1 "
            "to see the traceback and report it"
        )


def _ingest_one(app: App, item: InputFile) -> CaptureOutcome | str:
    from reports.intake import Submission  # noqa: PLC0415

    limit = app.settings.max_submission_bytes
    try:
        if item.path is None:
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            if item.path.stat().st_size > limit:
                return f"{item.label}: larger than {limit} bytes (QUITUS_MAX_SUBMISSION_BYTES); split it"
            raw = item.path.read_bytes()
    except OSError as exc:
        return f"{item.label}: cannot read ({exc.strerror})"
    if len(raw) > limit:
        return f"{item.label}: larger than {limit} bytes (QUITUS_MAX_SUBMISSION_BYTES); split it"
    source: Literal["json", "pdf_form"] = "pdf_form" if raw.lstrip()[:5] == b"%PDF-" else "json"
    base = item.path.parent if item.path is not None else Path.cwd()
    return app.intake.ingest(Submission(raw=raw, source=source, attachments_dir=base))


def _result_text(outcome: CaptureOutcome) -> str:
    state = outcome.report.state.value
    text = {"validated": "[green]accepted[/]", "rejected": "[red]rejected[/]"}.get(state, state)
    if outcome.receipt.value != "new":
        text += f" ({outcome.receipt.value})"
    return text


def _print_result(item: InputFile | str, result: CaptureOutcome | str) -> None:
    # File names, paths and messages are user data: escaped, never read as markup.
    if isinstance(result, str):
        err_console.print(f"[red]unreadable[/] {escape(result)}", soft_wrap=True)
        return
    label = item.label if isinstance(item, InputFile) else ""
    number = f"{result.report.number}  " if result.report.number else ""
    console.print(f"{_result_text(result)}  {number}{result.report.id}  {escape(label)}", soft_wrap=True)
    for problem in result.issues:
        console.print(
            f"    {escape(problem.path or '(submission)')}: {escape(problem.message)} "
            f"[dim]{escape(f'[{problem.code}]')}[/]",
            soft_wrap=True,
        )


def _as_json(item: InputFile | str, result: CaptureOutcome | str) -> dict[str, object]:
    if isinstance(result, str):
        return {"input": None, "error": result}
    assert isinstance(item, InputFile)
    return {
        "input": item.label,
        "report_id": result.report.id,
        "number": result.report.number,
        "state": result.report.state.value,
        "receipt": result.receipt.value,
        "issues": [i.as_dict() for i in result.issues],
    }
