"""Dated events about reports (``report_events``), read and written with their ledger entries.

A row holds the **latest** date recorded for a (report, event name); the ledger holds every
date ever recorded. Each entry (step ``event``, outcome ``recorded``) has the details
``event`` and ``on``; an entry that moves a date also has ``replaces`` (the previous date)
and ``replaces_seq`` (the sequence number of the entry it replaces). ``audit verify``
compares each row with the latest entry of its (report, name).

The rules — which names, which dates — are :mod:`retention.events`'s; this module only
stores what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import is_one_of
from storage.errors import ReportNotFoundError
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord, ReportEventRecord, ReportRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["EventOutcome", "EventStore", "EventWrite", "ReportEvent", "event_dates"]


class EventOutcome(StrEnum):
    """What recording an event did."""

    RECORDED = "recorded"
    """The first date for this name: a new row and a new ledger entry."""
    CHANGED = "changed"
    """Another date than the one recorded: the row moves, a new entry names the one it replaces."""
    ALREADY_RECORDED = "already_recorded"
    """The date already recorded: nothing written."""


@dataclass(frozen=True)
class ReportEvent:
    """An event as its row holds it."""

    report_id: str
    name: str
    """The event's name, e.g. ``contract_end``."""
    on: dt.date
    """The latest date recorded: the one the policies see."""


@dataclass(frozen=True)
class EventWrite:
    """What :meth:`EventStore.record` did."""

    event: ReportEvent
    outcome: EventOutcome
    seq: int | None
    """The ledger entry that records this date: the new one, or, for a date already recorded,
    the existing one (``None`` only if the ledger has no entry for the row)."""
    replaces: dt.date | None = None
    """For a changed date: the date it replaced."""
    replaces_seq: int | None = None
    """For a changed date: the ledger entry of the date it replaced."""


class EventStore:
    """The ``report_events`` rows, written with their ledger entries in one transaction."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    def latest(self, report_id: str, name: str) -> ReportEvent | None:
        with self.store.database.session() as session:
            row = session.get(ReportEventRecord, (report_id, name))
            return None if row is None else ReportEvent(report_id, name, row.occurred_on)

    def record(self, report_id: str, name: str, on: dt.date) -> EventWrite:
        """Record ``name`` on ``on`` for the report: a first date, a new date that replaces the
        recorded one, or nothing at all when that date is already recorded."""
        event = ReportEvent(report_id, name, on)
        with self.store.database.session() as session:
            # Locking the report serializes the recordings of its events: two officers moving
            # one date cannot both name the same entry as the one they replace.
            if session.get(ReportRecord, report_id, with_for_update=True) is None:
                raise ReportNotFoundError(f"no report {report_id}; `quitus reports list` shows the ids")
            row = session.get(ReportEventRecord, (report_id, name), with_for_update=True)
            previous_seq = None if row is None else _latest_entry(session, report_id, name)
            if row is not None and row.occurred_on == on:
                return EventWrite(event, EventOutcome.ALREADY_RECORDED, previous_seq)
            details: dict[str, str | int | list[str]] = {"event": name, "on": on.isoformat()}
            replaces = None
            if row is None:
                session.add(
                    ReportEventRecord(report_id=report_id, name=name, occurred_on=on, recorded_at=utcnow())
                )
            else:
                replaces = row.occurred_on
                details["replaces"] = replaces.isoformat()
                if previous_seq is not None:
                    details["replaces_seq"] = previous_seq
                row.occurred_on, row.recorded_at = on, utcnow()
            [seq] = self.store.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.EVENT,
                        actor=self.store.actor,
                        outcome="recorded",
                        report_id=report_id,
                        details=details,
                    )
                ],
            )
        if replaces is None:
            return EventWrite(event, EventOutcome.RECORDED, seq)
        return EventWrite(event, EventOutcome.CHANGED, seq, replaces, previous_seq)


def event_dates(
    session: Session, report_ids: Sequence[str], *, dialect: str
) -> dict[str, dict[str, dt.date]]:
    """The latest date of each event of these reports, by report id then name: one query."""
    dates: dict[str, dict[str, dt.date]] = {}
    if not report_ids:
        return dates
    query = select(ReportEventRecord.report_id, ReportEventRecord.name, ReportEventRecord.occurred_on).where(
        is_one_of(ReportEventRecord.report_id, list(report_ids), dialect)
    )
    for report_id, name, occurred_on in session.execute(query):
        dates.setdefault(report_id, {})[name] = occurred_on
    return dates


def _latest_entry(session: Session, report_id: str, name: str) -> int | None:
    """The sequence number of the latest ledger entry that recorded a date for this event."""
    entries = session.execute(
        select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
        .where(LedgerEntryRecord.report_id == report_id, LedgerEntryRecord.step == LedgerStep.EVENT)
        .order_by(LedgerEntryRecord.seq.desc())
    )
    for seq, entry in entries:
        if decode_entry(entry).get("details", {}).get("event") == name:
            return int(seq)
    return None
