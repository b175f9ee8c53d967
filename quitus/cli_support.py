"""Helpers shared by the CLI commands."""

from __future__ import annotations

import json
from typing import NoReturn

import typer
from rich.console import Console

from quitus.settings import Settings, SettingsError, load_settings

__all__ = ["console", "err_console", "fail", "report_json_schema", "settings_or_fail"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def report_json_schema() -> str:
    from reports.schema import InterventionReport  # noqa: PLC0415

    schema = InterventionReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://quitus.example/schemas/report-v1.json"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
