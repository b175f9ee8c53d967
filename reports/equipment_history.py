"""Equipment and its history: registered from accepted reports, imported from CSV, shown to
the technician and printed in the PDF (*Dernière intervention sur cet équipement : …*).

A unit is identified by its serial number with its category, brand and model
(:class:`storage.equipment.EquipmentKey`); a report without a serial number names no unit.
:func:`equipment_line_of` runs in the transaction that accepts a report; :func:`history_of` gives the
unit's earlier accepted reports; :func:`history_lines` says them in French, as the PDF and
the pages print them. :func:`read_equipment_csv` reads an import file strictly: the columns
are the technical ones only — an owner or an address is refused, it belongs in a report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from reports.errors import EquipmentImportError
from reports.schema import Equipment, InterventionReport
from reports.technical_fields import personal_shapes
from storage.equipment import UNIT_DETAIL, EquipmentIntervention, EquipmentKey, EquipmentStore
from storage.report_store import Effect, ReportStore

__all__ = [
    "CSV_COLUMNS",
    "MAX_CSV_ROWS",
    "EquipmentRow",
    "equipment_line_of",
    "history_lines",
    "history_of",
    "key_of",
    "read_equipment_csv",
    "unit_detail",
]

CSV_COLUMNS: Final = ("category", "brand", "model", "serial_number", "installed_year")
MAX_CSV_ROWS: Final = 50_000
OUTCOME_LABELS: Final = {"completed": "terminée", "unfinished": "non terminée"}


def key_of(equipment: Equipment) -> EquipmentKey | None:
    """The unit a report's equipment names, or None without a serial number."""
    if not equipment.serial_number:
        return None
    return EquipmentKey(equipment.category, equipment.brand, equipment.model, equipment.serial_number)


def unit_detail(store: ReportStore, report: InterventionReport) -> dict[str, str]:
    """What the accepting ``validate`` entry records of the report's unit (its keyed digest;
    empty without a serial number): what ``audit verify`` checks the register against."""
    key = key_of(report.equipment)
    return {UNIT_DETAIL: key.digest(store.keys.index_key) if key is not None else ""}


def equipment_line_of(store: ReportStore, report: InterventionReport, report_id: str) -> Effect | None:
    """What accepting ``report`` adds to its unit's history (the unit too if new), in the
    acceptance's transaction (``ReportStore.transition``'s ``effects``; no ledger entry of
    its own: the register is derived from accepted reports). None for a unit with no serial."""
    key = key_of(report.equipment)
    if key is None:
        return None
    template_id = f"{report.equipment.category}.{report.intervention_type}"
    return EquipmentStore(store).intervention_line(
        key,
        installed_year=report.equipment.installed_year,
        report_id=report_id,
        day=report.intervention_date,
        template_id=template_id,
        outcome=report.outcome.status,
    )


def history_of(
    store: ReportStore, equipment: Equipment, *, excluding: str | None = None
) -> list[EquipmentIntervention]:
    """The unit's accepted reports, most recent first, without ``excluding`` (the report at hand)."""
    key = key_of(equipment)
    if key is None:
        return []
    return [item for item in EquipmentStore(store).history(key) if item.report_id != excluding]


def history_lines(
    history: Sequence[EquipmentIntervention], titles: dict[str, str], *, limit: int = 3
) -> list[str]:
    """``Dernière intervention : 12/01/2026, Entretien annuel chaudière gaz, terminée (RI-2026-000123)``…"""
    lines = []
    for position, item in enumerate(history[:limit]):
        what = titles.get(item.template_id, item.template_id)
        first = "Dernière intervention" if position == 0 else "Intervention"
        number = f" ({item.number})" if item.number else ""
        outcome = OUTCOME_LABELS.get(item.outcome, item.outcome)
        lines.append(f"{first} : {item.day.strftime('%d/%m/%Y')}, {what}, {outcome}{number}")
    return lines


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class EquipmentRow(BaseModel):
    """One line of an import file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: Slug
    brand: Text
    model: Text
    serial_number: Text
    installed_year: int | None = Field(default=None, ge=1950, le=2100)

    def key(self) -> EquipmentKey:
        return EquipmentKey(self.category, self.brand, self.model, self.serial_number)


def read_equipment_csv(data: bytes, *, source: str = "equipment.csv") -> list[EquipmentRow]:
    """The rows of an import file (UTF-8, ``,`` or ``;``, a header line of :data:`CSV_COLUMNS`).

    Raises :class:`~reports.errors.EquipmentImportError` naming the line and the column, never
    quoting a value.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EquipmentImportError(f"{source}: not UTF-8 text; save it as CSV UTF-8") from exc
    first_line = text.partition("\n")[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    # Positions, not names: a file without its header line would otherwise be quoted.
    unknown = [str(n) for n, name in enumerate(header, start=1) if name not in CSV_COLUMNS]
    if unknown:
        raise EquipmentImportError(
            f"{source}: line 1: column(s) {', '.join(unknown)} are not equipment columns; the header "
            f"is {','.join(CSV_COLUMNS)} (an owner or an address is not equipment data: reports bring it)"
        )
    missing = [name for name in CSV_COLUMNS[:4] if name not in header]
    if missing:
        raise EquipmentImportError(f"{source}: line 1: missing column(s) {', '.join(missing)}")
    rows: list[EquipmentRow] = []
    try:
        for line, raw in enumerate(reader, start=2):
            rows += _row_of(raw, line, source, len(rows))
    except csv.Error:
        # A field past the csv module's limit (128 KiB), a stray NUL…: the file, not a crash.
        raise EquipmentImportError(
            f"{source}: line {reader.line_num}: not a CSV line quitus can read (a value over "
            f"{csv.field_size_limit() // 1024} KiB, or a control character); the value is not repeated here"
        ) from None
    return rows


def _row_of(raw: dict[str | None, object], line: int, source: str, read: int) -> list[EquipmentRow]:
    """The row of line ``line`` (none for an empty line); refused naming the line and column."""
    if read >= MAX_CSV_ROWS:
        raise EquipmentImportError(f"{source}: more than {MAX_CSV_ROWS} rows; split the file")
    if None in raw:  # more values than the header has columns: an owner, a phone…
        raise EquipmentImportError(
            f"{source}: line {line}: more values than the header's {len(raw) - 1} columns (the header "
            f"is {','.join(CSV_COLUMNS)}; an owner or an address is not equipment data: reports bring it)"
        )
    values = {str(k).strip(): str(v or "").strip() for k, v in raw.items()}
    if not any(values.values()):
        return []
    if not values.get("installed_year"):
        values.pop("installed_year", None)
    try:
        row = EquipmentRow.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        column = ".".join(str(p) for p in error["loc"]) or "?"
        raise EquipmentImportError(f"{source}: line {line}, column {column}: {error['msg']}") from None
    for column in ("brand", "model", "serial_number"):
        shapes = personal_shapes(getattr(row, column), serial=column == "serial_number")
        if shapes:  # the same rule as a submitted report's (reports.technical_fields)
            raise EquipmentImportError(
                f"{source}: line {line}, column {column}: looks like it holds a "
                f"{' and a '.join(shape.english for shape in shapes)}; the register holds equipment "
                "data only (the value is not repeated here)"
            )
    return [row]
