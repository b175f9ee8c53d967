"""``quitus equipment``: import the equipment register from CSV, show a unit's history.

Registered in ``quitus/cli.py`` (``app.add_typer(equipment.app, name="equipment")``). The
register is technical data only (``storage.equipment``): nothing printed here is personal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quitus.cli_support import console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode

__all__ = ["app"]

app = typer.Typer(help="The equipment register: import it, read a unit's history.", no_args_is_help=True)


@app.command("import")
def import_equipment(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV (UTF-8, ',' or ';'): category,brand,model,serial_number[,installed_year].",
        ),
    ],
) -> None:
    """Register the units of a CSV file (known ones are left as they are)."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from reports.equipment_history import read_equipment_csv  # noqa: PLC0415
    from reports.errors import EquipmentImportError  # noqa: PLC0415
    from storage.equipment import EquipmentStore  # noqa: PLC0415

    try:
        rows = read_equipment_csv(file.read_bytes(), source=file.name)
    except EquipmentImportError as exc:
        fail(f"{plain(exc)}; nothing was imported", ExitCode.REJECTED)
    app_ = open_app(settings_or_fail())
    try:
        added, known = EquipmentStore(app_.store).import_units([(r.key(), r.installed_year) for r in rows])
    finally:
        app_.close()
    console.print(f"imported {added} unit(s); {known} already known")


@app.command("history")
def history(
    category: Annotated[str, typer.Option(help="Template category, e.g. chaudiere_gaz.")],
    brand: Annotated[str, typer.Option()],
    model: Annotated[str, typer.Option()],
    serial: Annotated[str, typer.Option(help="The serial number, as printed on the unit.")],
) -> None:
    """A unit's accepted reports, most recent first: day, intervention, outcome, number."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from reports.equipment_history import history_lines  # noqa: PLC0415
    from storage.equipment import EquipmentKey, EquipmentStore  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        found = EquipmentStore(app_.store).history(EquipmentKey(category, brand, model, serial))
        titles = {template.id: template.title for template in app_.catalog}
    finally:
        app_.close()
    if not found:
        fail("no intervention recorded for this unit (category, brand, model and serial)", ExitCode.NOT_FOUND)
    for line in history_lines(found, titles, limit=len(found)):
        console.print(plain(line))
