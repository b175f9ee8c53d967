"""Dated events that retention triggers wait for (``contract_end``, ``last_contact``…)."""

from __future__ import annotations

import datetime as dt
import re

from retention.errors import RetentionError
from storage.ledger.events import LedgerEvent
from storage.models import ReportEventRecord, utcnow
from storage.report_store import ReportStore

__all__ = ["record_report_event"]


def record_report_event(store: ReportStore, report_id: str, name: str, occurred_on: dt.date) -> None:
    """Record (or move) an event; the latest date recorded for a name is the one that counts."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,79}", name):
        raise RetentionError(f"event name '{name}' must be a code such as contract_end")
    store.get(report_id)
    with store.database.session() as session:
        row = session.get(ReportEventRecord, (report_id, name), with_for_update=True)
        if row is None:
            session.add(
                ReportEventRecord(
                    report_id=report_id, name=name, occurred_on=occurred_on, recorded_at=utcnow()
                )
            )
        else:
            row.occurred_on, row.recorded_at = occurred_on, utcnow()
        store.ledger.append(
            session,
            [
                LedgerEvent(
                    step="event",
                    actor=store.actor,
                    outcome="recorded",
                    report_id=report_id,
                    details={"event": name, "on": occurred_on.isoformat()},
                )
            ],
        )
