"""What the ledger says happened, counted: entries per step and outcome, read incrementally.

The ledger is append-only, so a count of its entries per (step, outcome) only grows — a
Prometheus counter that every process computes alike from the database (captures, rejections,
stage failures, deliveries, dispositions), whichever process did the work. A
:class:`LedgerOutcomeTally` reads the whole ledger once, then only the entries appended
since (a scrape costs what was recorded since the last one).

The counts come from the entries' columns and text as stored; ``audit verify`` is what tells
whether that text is the one signed.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from storage.database import Database
from storage.ledger.events import decode_entry
from storage.models import LedgerEntryRecord, LedgerHeadRecord

__all__ = ["LedgerOutcomeTally", "entries_between", "ledger_size"]

StepOutcome = tuple[str, str]


def ledger_size(database: Database) -> int:
    """How many entries the ledger holds."""
    with database.session() as session:
        size = session.scalar(select(LedgerHeadRecord.size).where(LedgerHeadRecord.id == 1))
    return int(size or 0)


def _outcome(database: Database) -> ColumnElement[Any]:
    if database.dialect == "postgresql":
        outcome: ColumnElement[Any] = cast(LedgerEntryRecord.entry, JSONB)["outcome"].astext
        return outcome
    return func.json_extract(LedgerEntryRecord.entry, "$.outcome")


class LedgerOutcomeTally:
    """Counts of the ledger's entries per (step, outcome), kept up to date by :meth:`counts`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._counted_to = 0
        self._counts: Counter[StepOutcome] = Counter()

    def counts(self) -> tuple[int, dict[StepOutcome, int]]:
        """The ledger's size and its entries per (step, outcome), up to that size."""
        with self._lock:
            size = ledger_size(self.database)
            if size < self._counted_to:  # a smaller ledger (a restored backup): count it afresh
                self._counted_to, self._counts = 0, Counter()
            if size > self._counted_to:
                outcome = _outcome(self.database)
                query = (
                    select(LedgerEntryRecord.step, outcome, func.count())
                    .where(LedgerEntryRecord.seq >= self._counted_to, LedgerEntryRecord.seq < size)
                    .group_by(LedgerEntryRecord.step, outcome)
                )
                with self.database.session() as session:
                    for step, result, count in session.execute(query):
                        self._counts[(str(step), str(result or ""))] += int(count)
                self._counted_to = size
            return size, dict(self._counts)


def entries_between(database: Database, start: int, end: int, steps: Iterable[str]) -> list[dict[str, Any]]:
    """The decoded entries ``start <= seq < end`` of these steps, oldest first."""
    query = (
        select(LedgerEntryRecord.entry)
        .where(
            LedgerEntryRecord.seq >= start,
            LedgerEntryRecord.seq < end,
            LedgerEntryRecord.step.in_(list(steps)),
        )
        .order_by(LedgerEntryRecord.seq)
    )
    with database.session() as session:
        return [decode_entry(entry) for entry in session.scalars(query)]
