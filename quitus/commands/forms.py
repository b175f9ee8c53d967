"""``quitus forms``: blank fillable PDF forms generated from a template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quitus.cli_support import console, err_console, plain, settings_or_fail
from quitus.export_files import write_or_fail

__all__ = ["app"]

app = typer.Typer(help="Fillable PDF forms for technicians.", no_args_is_help=True)


@app.command("blank")
def blank(
    template_id: Annotated[str, typer.Argument(help="Template id (see `quitus templates list`).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the PDF ('-': standard output).")
    ],
    company: Annotated[str | None, typer.Option(help="Company name printed on the form.")] = None,
) -> None:
    """Write a blank fillable form; the technician fills it, `quitus ingest` reads it back.

    The blank is reusable: each filled copy becomes its own report, the same file sent
    twice stays one.
    """
    from reports.capture.pdf_form import blank_form  # noqa: PLC0415
    from reports.templates import TemplateCatalog  # noqa: PLC0415

    template = TemplateCatalog.load(settings_or_fail().template_dir).by_id(template_id)
    data = blank_form(template, company_name=company)
    to_stdout = write_or_fail(output, data)
    (err_console if to_stdout else console).print(
        f"wrote {plain(output)} ({len(data) // 1024} KiB) for {plain(template.title)}; "
        "fill it as often as needed: each filled copy is its own report"
    )
