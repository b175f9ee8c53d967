"""Dated events that retention triggers wait for (``contract_end``, ``last_contact``…).

An event is accepted when

* its name is one a policy in force waits for (:meth:`PolicySet.event_names`): a misspelt
  name would start no period and keep the report for ever, so it is refused with the
  known names and the closest one;
* its date is within the report's life: not before the intervention (the day the report
  was received, when the intervention date is unknown), and not after today (the clock's).

Recording another date for a name is a new ledger entry that names the one it replaces;
the date already recorded changes nothing (:mod:`storage.event_store`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

from policies.loading import PolicySet
from retention.clock import Clock, SystemClock
from retention.errors import EventError
from storage.event_store import EventOutcome, EventStore, EventWrite
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = ["EventOutcome", "EventWrite", "check_event_name", "record_report_event"]

_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")


def record_report_event(
    store: ReportStore,
    policies: PolicySet,
    report_id: str,
    name: str,
    occurred_on: dt.date,
    *,
    clock: Clock | None = None,
) -> EventWrite:
    """Record that ``name`` happened on ``occurred_on`` for the report, or raise
    :class:`EventError` saying what is wrong and what to do."""
    check_event_name(name, policies)
    report = store.get(report_id)
    if report.state == ReportState.ERASED:
        raise EventError(f"{report_id} was erased: no retention period runs for it any more")
    today = (clock or SystemClock()).today()
    if occurred_on > today:
        raise EventError(
            f"{name} on {occurred_on} is after today ({today}): record an event once it has happened"
        )
    if report.intervention_date is not None:
        first, what = report.intervention_date, f"the intervention of {report_id}"
    else:
        first, what = report.created_at.date(), f"the day {report_id} was received"
    if occurred_on < first:
        raise EventError(
            f"{name} on {occurred_on} is before {what} ({first}): an event about a report "
            "cannot precede it; check the date (YYYY-MM-DD)"
        )
    return EventStore(store).record(report_id, name, occurred_on)


def check_event_name(name: str, policies: PolicySet) -> None:
    """Refuse a name no policy in force waits for, naming those they do wait for."""
    known = policies.event_names()
    if name in known:
        return
    if not known:
        raise EventError(
            "no policy in force waits for an event (trigger kind: event), so recording one would "
            "change nothing; `quitus policies list` shows the policies in force"
        )
    listed = ", ".join(sorted(known))
    if not _CODE.fullmatch(name):
        raise EventError(
            f"event names are codes such as {min(known)}; the policies in force wait for: {listed}"
        )
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise EventError(f"unknown event '{name}': {hint}the policies in force wait for: {listed}")
