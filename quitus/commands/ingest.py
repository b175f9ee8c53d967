"""``quitus ingest``: capture and validate submissions from files, folders or stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from quitus.cli_support import console, err_console, settings_or_fail

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
    paths: Annotated[list[str], typer.Argument(help="JSON files, filled PDF forms, folders, or - for stdin.")],
    output_format: Annotated[Literal["table", "jsonl"], typer.Option(
        "--format", help="table for people, jsonl for programs (one line per input).")] = "table",
) -> None:
    """Capture and validate reports. Exit code 1 when any input is rejected or unreadable."""
    from quitus.wiring import open_app  # noqa: PLC0415

    app = open_app(settings_or_fail())
    failures = 0
    rows: list[tuple[str, CaptureOutcome | str]] = []
    try:
        for item in iter_inputs(paths):
            result = item if isinstance(item, str) else _ingest_one(app, item)
            if isinstance(result, str) or not result.accepted:
                failures += 1
            if output_format == "jsonl":
                sys.stdout.write(json.dumps(_as_json(item, result), ensure_ascii=False) + "\n")
            else:
                rows.append((item.label if isinstance(item, InputFile) else "", result))
    finally:
        app.close()
    if output_format == "table":
        _print_table(rows)
    raise typer.Exit(1 if failures else 0)


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


RESULT_STYLE = {"validated": "green", "captured": "green", "rejected": "red"}


def _result_text(outcome: CaptureOutcome) -> str:
    state = outcome.report.state.value
    text = {"validated": "accepted", "rejected": "rejected"}.get(state, state)
    if outcome.receipt.value != "new":
        text += f" ({outcome.receipt.value})"
    return text


def _print_table(rows: list[tuple[str, CaptureOutcome | str]]) -> None:
    from rich.table import Table  # noqa: PLC0415

    table = Table(show_lines=False)
    for column in ("input", "report", "result", "details"):
        table.add_column(column, overflow="fold")
    accepted = rejected = 0
    for label, result in rows:
        if isinstance(result, str):
            rejected += 1
            err_console.print(f"[red]error:[/red] {result}")
            continue
        state = result.report.state.value
        accepted += result.accepted
        rejected += not result.accepted
        details = "\n".join(f"{i.path or '(submission)'}: {i.message} [{i.code}]" for i in result.issues)
        table.add_row(label, result.report.id, f"[{RESULT_STYLE.get(state, 'white')}]{_result_text(result)}[/]",
                      details)
    if table.row_count:
        console.print(table)
    console.print(f"{accepted} accepted, {rejected} rejected")


def _as_json(item: InputFile | str, result: CaptureOutcome | str) -> dict[str, object]:
    if isinstance(result, str):
        return {"input": None, "error": result}
    assert isinstance(item, InputFile)
    return {
        "input": item.label,
        "report_id": result.report.id,
        "state": result.report.state.value,
        "receipt": result.receipt.value,
        "issues": [i.as_dict() for i in result.issues],
    }
