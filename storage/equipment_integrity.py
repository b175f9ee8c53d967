"""The equipment register checked against the signed ledger (ARCHITECTURE invariant 6).

A unit's history (``equipment_interventions``: day, template, outcome, unit) is printed in
every sealed PDF of the unit and shown on the capture form; its rows are plain, derived from
accepted reports. The accepting ``validate`` entry records the report's unit — the keyed
digest of its category, brand, model and serial number (detail ``unit``,
:data:`storage.equipment.UNIT_DETAIL`), empty without a serial number — and the report's
retention facts (template, intervention date, outcome) are vouched for by its ``capture``
entry's digest (:mod:`storage.state_integrity`). :func:`check_equipment_state` compares:

==========================  =============================================================
row                         compared with
==========================  =============================================================
a history line              its report's ``validate`` entry recorded a unit; its unit's
                            ``unit_digest`` is that unit, its unit's ``category`` the
                            report's category; its day, template and outcome are the
                            report's intervention date, template and outcome
an accepted report          whose ``validate`` entry recorded a unit, and which is not
                            erased, has its line (deleted otherwise)
==========================  =============================================================

Reports accepted before ``validate`` entries recorded units are not checked. Messages name
ids, columns and sequence numbers, never a value of the unit.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import String, or_, select, type_coerce

from storage.equipment import UNIT_DETAIL, EquipmentInterventionRecord, EquipmentRecord
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord, ReportRecord
from storage.states import ReportState

if TYPE_CHECKING:
    from storage.report_store import ReportStore

__all__ = ["check_equipment_state"]

_STEP_TEXT: Final = f'%"step":"{LedgerStep.VALIDATE.value}"%'


def check_equipment_state(store: ReportStore) -> list[str]:
    """What in the equipment register differs from the signed ledger: one line per problem."""
    units = _recorded_units(store)
    problems: list[str] = []
    query = (
        select(
            EquipmentInterventionRecord.report_id,
            type_coerce(EquipmentInterventionRecord.day, String),
            EquipmentInterventionRecord.template_id,
            EquipmentInterventionRecord.outcome,
            EquipmentRecord.id,
            EquipmentRecord.unit_digest,
            EquipmentRecord.category,
            ReportRecord.template_id,
            type_coerce(ReportRecord.intervention_date, String),
            ReportRecord.outcome,
        )
        .join(EquipmentRecord, EquipmentRecord.id == EquipmentInterventionRecord.equipment_id, isouter=True)
        .join(ReportRecord, ReportRecord.id == EquipmentInterventionRecord.report_id, isouter=True)
        .order_by(EquipmentInterventionRecord.report_id)
    )
    seen: set[str] = set()
    with store.database.session() as session:
        for row in session.execute(query):
            report_id = str(row[0])
            seen.add(report_id)
            problems += [f"equipment history of report {report_id}: {p}" for p in _line_problems(row, units)]
        accepted = session.execute(
            select(ReportRecord.id, ReportRecord.state).where(
                ReportRecord.id.in_(sorted(r for r, (_, unit) in units.items() if unit))
            )
        ).all()
    problems += [
        f"equipment history of report {report_id}: ledger entry {units[report_id][0]} (validate) "
        "recorded its unit, but its line was deleted from equipment_interventions"
        for report_id, state in accepted
        if state != ReportState.ERASED.value and report_id not in seen
    ]
    return problems


def _line_problems(row: Any, units: dict[str, tuple[int, str]]) -> list[str]:
    report_id, day, template, outcome, equipment_id, digest, category = row[:7]
    report_template, report_day, report_outcome = row[7:]
    recorded = units.get(str(report_id))
    if recorded is None:
        return []  # accepted before validate entries recorded a unit (or not accepted: below)
    seq, unit = recorded
    if not unit:
        return [
            f"ledger entry {seq} (validate) recorded no unit (no serial number): the line was added by hand"
        ]
    problems = []
    if equipment_id is None:
        problems.append("its unit is missing from equipment (deleted)")
    elif digest != unit:
        problems.append(
            f"its unit {equipment_id} is not the unit ledger entry {seq} (validate) recorded (moved)"
        )
    compared = (
        ("its unit's category", category, str(report_template or "").partition(".")[0]),
        ("its day", _day(day), _day(report_day)),
        ("its template", template, report_template),
        ("its outcome", outcome, report_outcome),
    )
    for what, stored, expected in compared:
        if equipment_id is None and what == "its unit's category":
            continue
        if stored != expected:
            problems.append(f"{what} differs from the report the ledger vouches for (edited)")
    return problems


def _recorded_units(store: ReportStore) -> dict[str, tuple[int, str]]:
    """Report id → (seq, unit digest) of its accepting ``validate`` entry, for those that
    recorded one (the first acceptance: a report is accepted once)."""
    units: dict[str, tuple[int, str]] = {}
    query = (
        select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
        .where(
            or_(LedgerEntryRecord.step == LedgerStep.VALIDATE.value, LedgerEntryRecord.entry.like(_STEP_TEXT))
        )
        .order_by(LedgerEntryRecord.seq)
    )
    with store.database.session() as session:
        for seq, text in session.execute(query):
            try:
                entry = decode_entry(text)
            except ValueError:
                continue
            details = entry.get("details") or {}
            report_id, unit = entry.get("report"), details.get(UNIT_DETAIL)
            if (
                entry.get("step") == LedgerStep.VALIDATE
                and entry.get("outcome") == "validated"
                and isinstance(report_id, str)
                and isinstance(unit, str)
            ):
                units.setdefault(report_id, (seq, unit))
    return units


def _day(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]
