"""Simulation homes: where the date retention sees may be set (the demo, tests).

A home is a simulation home when the **first entry of its own ledger** says so
(``clock.simulated``, outcome ``simulation_home``), written by ``quitus init --simulation``
on a new, empty home. The ledger is signed and append-only: a real home cannot become a
simulation home later, so a simulated date can never make a real report's destruction
happen early.
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord, ReportRecord
from storage.report_store import ReportStore

__all__ = ["SIMULATION_HOME", "SimulationHomeError", "declare_simulation_home", "is_simulation_home"]

SIMULATION_HOME = "simulation_home"


class SimulationHomeError(Exception):
    """The home cannot be declared a simulation home."""


def is_simulation_home(store: ReportStore) -> bool:
    """Whether the ledger's first entry declares this home a simulation home."""
    with store.database.session() as session:
        first = session.scalar(select(LedgerEntryRecord.entry).order_by(LedgerEntryRecord.seq).limit(1))
    if first is None:
        return False
    entry = decode_entry(first)
    return bool(entry.get("step") == LedgerStep.CLOCK_SIMULATED and entry.get("outcome") == SIMULATION_HOME)


def declare_simulation_home(store: ReportStore) -> bool:
    """Make a new, empty home a simulation home (idempotent); False when it already was one.

    Raises :class:`SimulationHomeError` for a home whose ledger already holds anything else.
    """
    if is_simulation_home(store):
        return False
    with store.database.session() as session:
        entries = session.scalar(select(func.count()).select_from(LedgerEntryRecord)) or 0
        reports = session.scalar(select(func.count()).select_from(ReportRecord)) or 0
    if entries or reports:
        raise SimulationHomeError(
            f"this home already holds {reports} report(s) and {entries} ledger entries: only a new, "
            "empty home can become a simulation home"
        )
    store.ledger.record(
        LedgerEvent(step=LedgerStep.CLOCK_SIMULATED, actor=store.actor, outcome=SIMULATION_HOME)
    )
    return True
