"""Prefect events a Prefect automation can alert on: rejected reports, failed stages,
dispositions, a job that failed or is overdue. Ids, step names, codes and counts only.

Per-report events are derived from the **ledger**, not from one run's return value: at the
end of each flow run, :func:`emit_ledger_events` takes the entries appended since the
previous emission (the ``event_cursor`` row, moved forward in one transaction, so two runs
at once never emit an entry twice) and emits an event for each rejection, failed step and
disposal among them — those of the API, ``quitus ingest`` or ``reports shred`` too, which
run no flow. An upgraded installation starts from its ledger's size at the upgrade
(migration 0014), never replaying its history. Emission is best effort: an event that
Prefect cannot take is lost; the ledger and ``job_runs`` (``/metrics``) still say what
happened.

=================================  ===========================================================
event                              resource, payload
=================================  ===========================================================
``quitus.report.rejected``         ``quitus.report.<id>``; ``step`` (capture/validate), ``issues``
``quitus.report.stage-failed``     ``quitus.report.<id>``; ``stage``, ``error`` (a code)
``quitus.report.disposed``         ``quitus.report.<id>``; ``step``, ``action``, ``policy``
``quitus.ledger.events-skipped``   ``quitus.ledger``; ``skipped`` per event, past the cap per run
``quitus.job.succeeded``           ``quitus.job.<job>``; ``counts``
``quitus.job.failed``              ``quitus.job.<job>``; ``error`` (an exception class)
``quitus.job.overdue``             ``quitus.job.<job>``; ``last_succeeded_at``, ``overdue_since``
=================================  ===========================================================
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.job_runs import JobName, JobRuns, JobRunStatus
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.ledger_outcomes import entries_between, ledger_size
from storage.models import EventCursorRecord, utcnow

__all__ = [
    "EVENTS_PER_RUN",
    "OVERDUE_REPEAT",
    "QuitusEvent",
    "emit_job_event",
    "emit_ledger_events",
    "emit_overdue_jobs",
]


class QuitusEvent(StrEnum):
    """The names of the events quitus emits (see the module docstring)."""

    REPORT_REJECTED = "quitus.report.rejected"
    STAGE_FAILED = "quitus.report.stage-failed"
    REPORT_DISPOSED = "quitus.report.disposed"
    EVENTS_SKIPPED = "quitus.ledger.events-skipped"
    JOB_SUCCEEDED = "quitus.job.succeeded"
    JOB_FAILED = "quitus.job.failed"
    JOB_OVERDUE = "quitus.job.overdue"


EVENTS_PER_RUN = 200
"""Per-report events emitted by one run at most; the rest are counted in one ``events-skipped``."""
OVERDUE_REPEAT = dt.timedelta(hours=6)
"""An overdue job is reported again after this long while it stays overdue."""

_WATCHED_STEPS = sorted(
    {
        LedgerStep.CAPTURE,
        LedgerStep.VALIDATE,
        LedgerStep.REDACT,
        LedgerStep.RENDER,
        LedgerStep.SEAL,
        LedgerStep.ARCHIVE,
        LedgerStep.DELIVER,
        *DISPOSAL_STEPS,
    }
)


def _emit(event: QuitusEvent, resource_id: str, payload: Mapping[str, Any]) -> None:
    from prefect.events import emit_event  # noqa: PLC0415 - flows have imported Prefect already

    emit_event(event=event.value, resource={"prefect.resource.id": resource_id}, payload=dict(payload))


def _event_of(entry: Mapping[str, Any]) -> tuple[QuitusEvent, dict[str, Any]] | None:
    """The event an entry calls for, if any, with its payload (codes from the entry only)."""
    details = entry.get("details") or {}
    step, outcome = entry.get("step"), entry.get("outcome")
    if outcome == "rejected" and step in (LedgerStep.CAPTURE, LedgerStep.VALIDATE):
        return QuitusEvent.REPORT_REJECTED, {"step": step, "issues": list(details.get("issues", []))}
    if outcome == "failed":
        return QuitusEvent.STAGE_FAILED, {"stage": step, "error": details.get("error")}
    if step in DISPOSAL_STEPS and outcome == "destroyed":
        return QuitusEvent.REPORT_DISPOSED, {
            "step": step,
            "action": details.get("action"),
            "policy": entry.get("policy"),
        }
    return None


def _claim_range(database: Database) -> tuple[int, int] | None:
    """The ledger range ``[start, end)`` this caller emits for; the cursor moves past it."""
    end = ledger_size(database)
    try:
        with database.session() as session:
            start = session.scalar(select(EventCursorRecord.emitted_to).where(EventCursorRecord.id == 1))
            if start is None:  # migration 0014 writes the row; without it, from the start (bounded below)
                session.add(EventCursorRecord(id=1, emitted_to=end))
                start = 0
            elif end <= start:
                return None
            else:
                # Compare and set: of two runs ending at once, one moves the cursor, the other emits nothing.
                moved = session.execute(
                    update(EventCursorRecord)
                    .where(EventCursorRecord.id == 1, EventCursorRecord.emitted_to == start)
                    .values(emitted_to=end)
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    return None
    except IntegrityError:  # another run created the cursor at the same time
        return None
    return start, end


def emit_ledger_events(database: Database, *, limit: int = EVENTS_PER_RUN) -> dict[str, int]:
    """Emit the events of the entries appended since the last emission; the count per event."""
    claimed = _claim_range(database)
    if claimed is None:
        return {}
    emitted: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for entry in entries_between(database, *claimed, _WATCHED_STEPS):
        found = _event_of(entry)
        if found is None or not entry.get("report"):
            continue
        event, payload = found
        if sum(emitted.values()) >= limit:
            skipped[event.value] += 1
            continue
        _emit(event, f"quitus.report.{entry['report']}", payload)
        emitted[event.value] += 1
    if skipped:
        _emit(QuitusEvent.EVENTS_SKIPPED, "quitus.ledger", {"skipped": dict(skipped), "limit": limit})
    return dict(emitted)


def emit_job_event(
    job: JobName, *, counts: Mapping[str, int] | None = None, error: str | None = None
) -> None:
    """A run of ``job`` ended: succeeded with ``counts``, or failed with ``error`` (a class name)."""
    if error is not None:
        _emit(QuitusEvent.JOB_FAILED, f"quitus.job.{job.value}", {"job": job.value, "error": error})
    else:
        _emit(
            QuitusEvent.JOB_SUCCEEDED,
            f"quitus.job.{job.value}",
            {"job": job.value, "counts": dict(counts or {})},
        )


def emit_overdue_jobs(runs: JobRuns, *, now: dt.datetime | None = None) -> list[JobName]:
    """Emit ``quitus.job.overdue`` for each overdue job not reported within :data:`OVERDUE_REPEAT`.

    Any job's run checks, so a nightly retention run that never started (the scheduler or
    the machine was down) is reported by the next intake run."""
    now = now or utcnow()
    reported = []
    for status in runs.status(now=now).values():
        if not status.stale or _reported_recently(status, now):
            continue
        _emit(
            QuitusEvent.JOB_OVERDUE,
            f"quitus.job.{status.job.value}",
            {
                "job": status.job.value,
                "last_succeeded_at": status.last_succeeded_at.isoformat()
                if status.last_succeeded_at
                else None,
                "overdue_since": status.overdue_since.isoformat() if status.overdue_since else None,
            },
        )
        runs.reported_overdue(status.job, at=now)
        reported.append(status.job)
    return reported


def _reported_recently(status: JobRunStatus, now: dt.datetime) -> bool:
    return status.overdue_reported_at is not None and now - status.overdue_reported_at < OVERDUE_REPEAT
