"""``quitus templates``: the intervention templates known to this installation."""

from __future__ import annotations

from typing import Annotated

import typer

from quitus.cli_support import console, plain, settings_or_fail

__all__ = ["app"]

app = typer.Typer(help="Intervention templates (checklists, measurements, photos).", no_args_is_help=True)


@app.command("list")
def list_templates() -> None:
    """Every template: built-in ones and those in $QUITUS_HOME/templates."""
    from rich.table import Table  # noqa: PLC0415

    from reports.templates import TemplateCatalog  # noqa: PLC0415

    catalog = TemplateCatalog.load(settings_or_fail().template_dir)
    table = Table()
    for column in ("id", "title", "checklist", "measurements", "dropdowns", "photos"):
        table.add_column(column)
    for t in catalog:
        table.add_row(
            t.id,
            t.title,
            str(len(t.checklist)),
            str(len(t.measurements)),
            str(len(t.selections)),
            ", ".join(f"{p.kind}×{p.min_count}" for p in t.photos) or "—",
        )
    console.print(table)


@app.command("show")
def show_template(
    template_id: Annotated[str, typer.Argument(help="Template id, e.g. chaudiere_gaz.entretien_annuel")],
) -> None:
    """A template's checklist, measurements (unit, range) and dropdowns."""
    from reports.templates import TemplateCatalog  # noqa: PLC0415

    t = TemplateCatalog.load(settings_or_fail().template_dir).by_id(template_id)
    console.print(f"[bold]{plain(t.title)}[/bold] ({plain(t.id)})")
    for ref in t.references:
        console.print(f"  réf. {plain(ref)}")
    console.print("checklist")
    for item in t.checklist:
        console.print(f"  {'*' if item.required else ' '} {plain(item.id)}: {plain(item.label)}")
    console.print("measurements")
    for m in t.measurements:
        console.print(
            f"  {'*' if m.required else ' '} {plain(m.id)}: {plain(m.label)} "
            f"\\[{plain(m.unit)}] {m.min}..{m.max}"
        )
    console.print("dropdowns")
    for s in t.selections:
        console.print(
            f"  {'*' if s.required else ' '} {plain(s.id)}: {plain(s.label)} — {plain(' | '.join(s.choices))}"
        )
    console.print("photos")
    for p in t.photos:
        console.print(f"    {plain(p.kind)} ×{p.min_count}: {plain(p.label)}")
