"""Planned visits checked against the signed ledger (ARCHITECTURE invariant 6).

A visit's row (``planned_visits``) says who may read its plan — the client, the site, the
access code — and when: its technicians, day, slot and status are plain columns that
anyone with the database file can edit. Every change is written with a ledger entry in the
same transaction (:class:`storage.visits.VisitStore`), which records the visit's id, day,
slot and technicians, its status as outcome, and for ``visit.plan`` the template and the
plan's ciphertext hash. :func:`signed_visits` replays those entries; :func:`visit_problems`
compares one row with what they say:

========================  ==============================================================
column                    compared with
========================  ==============================================================
``continues_report_id``   the report of its ``visit.plan`` entry
``template_id``           that entry's ``template``
``plan_blob_id``          that entry's artifact (the plan it encrypted)
``day``, ``slot``,        the latest ``visit.plan`` / ``visit.move`` entry
``technicians``
``status``                the latest entry's outcome (``planned``, ``cancelled``, ``done``)
``continued_by_…``        the ``visit.continue`` entry's ``continued_by``
========================  ==============================================================

A row with no ``visit.plan`` entry was added by hand; an entry whose visit has no row,
while its report was not erased (the erasure deletes the rows), lost it.

Two callers: ``quitus audit verify`` (:func:`check_visit_state`, the whole table, through
:func:`storage.state_integrity.check_stored_state`), and every read of a visit
(:meth:`~storage.visits.VisitStore.get` and ``visits``, through :func:`vouched_visits`):
the signed values decide who sees a visit, and a visit whose row differs from them is
marked tampered, its plan never read. Entries are found by what they say — their hashed
text — not by the ``step`` and ``report_id`` columns beside them; on the read path an
entry is believed only if quitus wrote it (its MAC). Messages name ids, steps and
sequence numbers, never personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session

from storage.database import is_one_of
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord, ReportRecord
from storage.states import ReportState

if TYPE_CHECKING:
    from storage.report_store import ReportStore
    from storage.visits import PlannedVisitRecord

__all__ = [
    "VISIT_STEPS",
    "SignedVisit",
    "check_visit_state",
    "signed_visits",
    "visit_problems",
    "vouched_visits",
]

VISIT_STEPS: Final = frozenset(
    {LedgerStep.VISIT_PLAN, LedgerStep.VISIT_MOVE, LedgerStep.VISIT_CANCEL, LedgerStep.VISIT_CONTINUE}
)
"""The steps that plan, move, cancel and close a visit."""
# Canonical entries are compact JSON with sorted keys, and no value may hold a quote: this
# text occurs in an entry exactly when its step begins so.
_STEP_TEXT: Final = '%"step":"visit.%'
_CHUNK: Final = 500

Entry = tuple[int, Mapping[str, Any]]


@dataclass(slots=True)
class SignedVisit:
    """What the ledger says a visit is, after its entries in order."""

    visit_id: str
    report_id: str
    planned_seq: int | None = None
    template_id: str | None = None
    plan_blob_ids: tuple[str, ...] = ()
    day: str | None = None
    slot: str | None = None
    technicians: tuple[str, ...] = ()
    status: str | None = None
    continued_by: str | None = None
    last_seq: int = 0
    problems: list[str] = field(default_factory=list)
    """Entries that do not follow one another (a move before any plan, another report…)."""


def signed_visits(entries: Iterable[Entry]) -> dict[str, SignedVisit]:
    """Visit id → what its entries (believed, in ledger order) say it is."""
    visits: dict[str, SignedVisit] = {}
    for seq, entry in entries:
        details = entry.get("details") or {}
        visit_id, report_id = details.get("visit"), entry.get("report")
        if not isinstance(visit_id, str) or not isinstance(report_id, str):
            continue
        step = entry.get("step")
        signed = visits.get(visit_id)
        if signed is None:
            signed = visits[visit_id] = SignedVisit(visit_id, report_id)
        elif signed.report_id != report_id:
            signed.problems.append(f"ledger entry {seq} ({step}) names it for another report")
            continue
        if step == LedgerStep.VISIT_PLAN:
            if signed.planned_seq is not None:
                signed.problems.append(f"ledger entry {seq} plans it a second time")
                continue
            signed.planned_seq = seq
            template = details.get("template")
            signed.template_id = template if isinstance(template, str) else None
            signed.plan_blob_ids = tuple(entry.get("artifacts") or {})
        elif signed.planned_seq is None:
            signed.problems.append(f"ledger entry {seq} ({step}) comes before any visit.plan entry")
        if step in (LedgerStep.VISIT_PLAN, LedgerStep.VISIT_MOVE):
            day, slot, crew = details.get("day"), details.get("slot"), details.get("technicians")
            signed.day = day if isinstance(day, str) else None
            signed.slot = slot if isinstance(slot, str) else None
            signed.technicians = tuple(str(t) for t in crew) if isinstance(crew, list) else ()
        if step == LedgerStep.VISIT_CONTINUE:
            continued = details.get("continued_by")
            signed.continued_by = continued if isinstance(continued, str) else None
        outcome = entry.get("outcome")
        signed.status = outcome if isinstance(outcome, str) else None
        signed.last_seq = seq
    return visits


def visit_problems(row: PlannedVisitRecord, signed: SignedVisit | None) -> list[str]:
    """How ``row`` differs from its signed entries (empty: it says what they say)."""
    if signed is None or signed.planned_seq is None:
        return ["a row in planned_visits that no visit.plan entry records (added by hand)"]
    problems = list(signed.problems)
    where = f"ledger entry {signed.last_seq}"
    compared: Sequence[tuple[str, object, object]] = (
        ("its continued report", row.continues_report_id, signed.report_id),
        ("its template", row.template_id, signed.template_id),
        ("its day", _day(row.day), signed.day),
        ("its slot", row.slot, signed.slot),
        ("its technicians", ", ".join(row.technicians or ()), ", ".join(signed.technicians)),
        ("its status", row.status, signed.status),
        ("the report that continued it", row.continued_by_report_id, signed.continued_by),
    )
    for what, stored, recorded in compared:
        if stored != recorded:
            problems.append(
                f"{what} is {_shown(stored)} in planned_visits, but {where} says {_shown(recorded)} (edited)"
            )
    if row.plan_blob_id not in signed.plan_blob_ids:
        problems.append(
            f"its plan is blob {row.plan_blob_id}, but ledger entry {signed.planned_seq} (visit.plan) "
            "encrypted another (edited: the plan of another visit)"
        )
    return problems


def vouched_visits(store: ReportStore, session: Session, report_ids: Sequence[str]) -> dict[str, SignedVisit]:
    """The signed visits of these reports, from the entries quitus wrote (the read path).

    One query of the reports' visit entries; an entry whose MAC does not hold, or whose
    ``step``/``report_id`` columns do not say what its text says, is not believed — its
    visit then differs from its row and is marked tampered by the caller.
    """
    ids = list(dict.fromkeys(report_ids))
    believed: list[Entry] = []
    if not ids:
        return {}
    signed_size = store.ledger.signed_size(session)
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(LedgerEntryRecord.seq, LedgerEntryRecord.step, LedgerEntryRecord.report_id)
            .add_columns(LedgerEntryRecord.entry, LedgerEntryRecord.mac)
            .where(
                is_one_of(
                    type_coerce(LedgerEntryRecord.report_id, String),
                    ids[start : start + _CHUNK],
                    store.database.dialect,
                ),
                LedgerEntryRecord.step.in_(sorted(VISIT_STEPS)),
            )
            .order_by(LedgerEntryRecord.seq)
        )
        for seq, step, report_id, text, mac in session.execute(query):
            if not store.ledger.vouched(seq, text, mac, signed_size):
                continue
            try:
                entry = decode_entry(text)
            except ValueError:
                continue
            if entry.get("step") == step and entry.get("report") == report_id:
                believed.append((seq, entry))
    believed.sort(key=lambda item: item[0])
    return signed_visits(believed)


def check_visit_state(store: ReportStore) -> list[str]:
    """What in ``planned_visits`` differs from the signed ledger: one line per problem."""
    from storage.visits import PlannedVisitRecord  # noqa: PLC0415 (visits imports this module)

    database = store.database
    problems: list[str] = []
    entries: list[Entry] = []
    query = (
        select(
            LedgerEntryRecord.seq,
            LedgerEntryRecord.step,
            LedgerEntryRecord.report_id,
            LedgerEntryRecord.entry,
        )
        .where(or_(LedgerEntryRecord.step.in_(sorted(VISIT_STEPS)), LedgerEntryRecord.entry.like(_STEP_TEXT)))
        .order_by(LedgerEntryRecord.seq)
    )
    with database.session() as session:
        for seq, step, report_id, text in session.execute(query):
            try:
                entry = decode_entry(text)
            except ValueError:
                continue  # not an entry any more: verify_ledger names it
            if (step, report_id) != (entry.get("step"), entry.get("report")):
                problems.append(
                    f"ledger entry {seq}: its columns say step {step!r}, report {report_id!r} but the "
                    f"entry is step {entry.get('step')!r} (a column beside the signed entry was edited)"
                )
            entries.append((seq, entry))
        signed = signed_visits(entries)
        rows = list(session.scalars(select(PlannedVisitRecord).order_by(PlannedVisitRecord.id)))
        erased = set(
            session.scalars(select(ReportRecord.id).where(ReportRecord.state == ReportState.ERASED.value))
        )
        for row in rows:
            problems += [f"visit {row.id}: {p}" for p in visit_problems(row, signed.pop(row.id, None))]
    problems += [
        f"visit {visit.visit_id}: ledger entries record it (up to entry {visit.last_seq}) but its row was "
        "deleted from planned_visits"
        for visit in signed.values()
        if visit.report_id not in erased
    ]
    return problems


def _day(value: dt.date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def _shown(value: object) -> str:
    return "empty" if value in (None, "") else str(value)
