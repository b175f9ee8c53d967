"""``quitus templates``: the intervention templates known to this installation."""

from __future__ import annotations

from typing import Annotated

import typer

from quitus.cli_support import JsonOption, console, plain, settings_or_fail

__all__ = ["app"]

app = typer.Typer(help="Intervention templates (checklists, measurements, photos).", no_args_is_help=True)


@app.command("list")
def list_templates(as_json: JsonOption = False) -> None:
    """Every template: built-in ones and those in $QUITUS_HOME/templates; broken files and why.

    Exits with code 1 when a template file is broken (the others are listed and in use).
    """
    from rich.table import Table  # noqa: PLC0415

    from reports.templates import TemplateCatalog  # noqa: PLC0415

    catalog = TemplateCatalog.load(settings_or_fail().template_dir)
    if as_json:
        from quitus.cli_json import BrokenTemplate, TemplateList, TemplateRow, emit  # noqa: PLC0415

        emit(
            TemplateList(
                templates=[
                    TemplateRow(
                        id=t.id,
                        title=t.title,
                        checklist=len(t.checklist),
                        measurements=len(t.measurements),
                        thresholds=sum(len(m.thresholds) for m in t.measurements),
                        dropdowns=len(t.selections),
                        photos={p.kind: p.min_count for p in t.photos},
                    )
                    for t in catalog
                ],
                broken=[
                    BrokenTemplate(
                        template_id=b.template_id, path=str(b.path), problems=[str(x) for x in b.problems]
                    )
                    for b in catalog.broken
                ],
            )
        )
        if catalog.broken:
            raise typer.Exit(1)
        return
    table = Table()
    for column in ("id", "title", "checklist", "measurements", "thresholds", "dropdowns", "photos"):
        table.add_column(column)
    for t in catalog:
        table.add_row(
            plain(t.id),
            plain(t.title),
            str(len(t.checklist)),
            str(len(t.measurements)),
            str(sum(len(m.thresholds) for m in t.measurements)),
            str(len(t.selections)),
            ", ".join(f"{p.kind}×{p.min_count}" for p in t.photos) or "—",
        )
    for broken in catalog.broken:
        table.add_row(plain(broken.template_id), "[red]BROKEN[/red] (see below)", "", "", "", "", "")
    console.print(table)
    for broken in catalog.broken:
        console.print(
            f"[red]broken:[/red] {plain(broken.template_id)} — {plain(broken.path)} is not used until it is "
            f"fixed ({len(broken.problems)} problem(s)):",
            soft_wrap=True,
        )
        for problem in broken.problems:
            console.print(f"  {plain(problem)}", soft_wrap=True)
    if catalog.broken:
        raise typer.Exit(1)  # listed, and a script checking the templates sees it


@app.command("show")
def show_template(
    template_id: Annotated[str, typer.Argument(help="Template id, e.g. chaudiere_gaz.entretien_annuel")],
    as_json: JsonOption = False,
) -> None:
    """A template's checklist, measurements (unit, usual range, thresholds) and dropdowns."""
    from reports.templates import TemplateCatalog  # noqa: PLC0415

    t = TemplateCatalog.load(settings_or_fail().template_dir).by_id(template_id)
    if as_json:
        from quitus.cli_json import TemplateDetail, emit  # noqa: PLC0415

        emit(TemplateDetail(template=t.model_dump(mode="json")))
        return
    # Every string below comes from a template file: printed as written, never read as markup
    # (a unit in brackets, ``[ppm]``, would otherwise vanish).
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
            f"{plain(f'[{m.unit}]')} {plain(_usual_range(m.min, m.max))}"
        )
        for threshold in m.thresholds:
            sign = ">" if threshold.above is not None else "<"
            needs = ", ".join(
                f"{r.item} fait" + (" + commentaire" if r.comment else "") for r in threshold.requires
            )
            console.print(
                f"      {plain(f'seuil {sign} {threshold.limit} {m.unit}')}: {plain(threshold.label)} "
                f"→ {plain(needs)}"
            )
    console.print("dropdowns")
    for s in t.selections:
        console.print(
            f"  {'*' if s.required else ' '} {plain(s.id)}: {plain(s.label)} — {plain(' | '.join(s.choices))}"
        )
    console.print("photos")
    for p in t.photos:
        console.print(f"    {plain(p.kind)} ×{p.min_count}: {plain(p.label)}")


def _usual_range(low: object, high: object) -> str:
    if low is None and high is None:
        return "(no range)"
    return f"{'-∞' if low is None else low}..{'+∞' if high is None else high}"
