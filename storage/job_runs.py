"""When each job last started, succeeded and failed — seen the same from every process.

The flows record it (:func:`workflows.runtime.runs_as_job`), wherever they run: embedded,
``quitus serve``'s scheduler, a Prefect worker on another machine. ``/metrics`` and ``quitus
status`` read it, so "the nightly retention job has not succeeded for 26 hours" is seen
whichever machine should have run it. A row holds dates, counts and an exception's class:
no personal data.

:data:`OVERDUE_AFTER` is the one rule for "this job is overdue".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import JobRunRecord, LedgerEntryRecord, utcnow

__all__ = ["OVERDUE_AFTER", "JobName", "JobRunStatus", "JobRuns"]


class JobName(StrEnum):
    """The jobs (flows) whose runs are recorded; a flow's ``runs_as_job`` name is one of these."""

    INTAKE = "intake"
    RETENTION = "retention"
    SUBJECT_ERASURE = "subject-erasure"


OVERDUE_AFTER: Mapping[JobName, dt.timedelta] = {JobName.RETENTION: dt.timedelta(hours=26)}
"""A job that has not succeeded for this long is overdue (STALE): retention runs nightly at 02:00,
so 26 hours leave two hours to a late run. The other jobs are shown, never judged overdue."""


@dataclass(frozen=True)
class JobRunStatus:
    """What is known of one job's runs, and whether it is overdue at ``now``."""

    job: JobName
    last_started_at: dt.datetime | None
    """When a run last started (it may be running, or have died without a word)."""
    last_succeeded_at: dt.datetime | None
    last_failed_at: dt.datetime | None
    last_error: str | None
    """The exception class of the last failed run (``module.Class``)."""
    last_counts: Mapping[str, int]
    """What the last successful run counted (per stage, per action)."""
    overdue_since: dt.datetime | None
    """When the job became overdue (its last success, or the installation's start, plus the
    allowed gap); None when it is not overdue now or is never judged so."""
    overdue_reported_at: dt.datetime | None
    """When a run last reported it overdue (the Prefect event)."""

    @property
    def stale(self) -> bool:
        """Overdue now: no success within :data:`OVERDUE_AFTER`."""
        return self.overdue_since is not None


class JobRuns:
    """The ``job_runs`` table: one row per job, updated by each run's start and end."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def started(self, job: JobName, *, at: dt.datetime | None = None) -> None:
        self._update(job, last_started_at=at or utcnow())

    def succeeded(self, job: JobName, counts: Mapping[str, int], *, at: dt.datetime | None = None) -> None:
        """The run ended and returned ``counts``: the job is no longer overdue."""
        self._update(
            job,
            last_succeeded_at=at or utcnow(),
            last_counts={str(k): int(v) for k, v in counts.items()},
            overdue_reported_at=None,
        )

    def failed(self, job: JobName, error: BaseException, *, at: dt.datetime | None = None) -> None:
        """The run raised ``error``: its class is kept, never its message (it may quote a value)."""
        name = f"{error.__class__.__module__}.{error.__class__.__name__}"[:160]
        self._update(job, last_failed_at=at or utcnow(), last_error=name)

    def reported_overdue(self, job: JobName, *, at: dt.datetime | None = None) -> None:
        self._update(job, overdue_reported_at=at or utcnow())

    def status(self, *, now: dt.datetime | None = None) -> dict[JobName, JobRunStatus]:
        """Every job's status at ``now``, the jobs that never ran included."""
        now = now or utcnow()
        with self.database.session() as session:
            rows = {row.job: row for row in session.scalars(select(JobRunRecord))}
            installed_at = _installed_at(session)
        statuses = {}
        for job in JobName:
            row = rows.get(job.value)
            succeeded = _aware(row.last_succeeded_at) if row else None
            statuses[job] = JobRunStatus(
                job=job,
                last_started_at=_aware(row.last_started_at) if row else None,
                last_succeeded_at=succeeded,
                last_failed_at=_aware(row.last_failed_at) if row else None,
                last_error=row.last_error if row else None,
                last_counts=dict(row.last_counts or {}) if row else {},
                overdue_since=_overdue_since(job, succeeded, installed_at, now),
                overdue_reported_at=_aware(row.overdue_reported_at) if row else None,
            )
        return statuses

    def _update(self, job: JobName, **values: object) -> None:
        job = JobName(job)
        for _ in range(2):  # a first run of a job on two machines at once: one inserts, one updates
            try:
                with self.database.session() as session:
                    _write(session, job, values)
            except IntegrityError:
                continue
            return
        raise RuntimeError(f"could not record the {job} run in job_runs")  # pragma: no cover


def _write(session: Session, job: JobName, values: Mapping[str, object]) -> None:
    result = session.execute(update(JobRunRecord).where(JobRunRecord.job == job.value).values(**values))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(JobRunRecord(job=job.value, **values))


def _installed_at(session: Session) -> dt.datetime | None:
    """The time of the ledger's first entry: when the installation started recording."""
    first = session.scalar(select(LedgerEntryRecord.recorded_at).where(LedgerEntryRecord.seq == 0))
    return _aware(first)


def _overdue_since(
    job: JobName, succeeded: dt.datetime | None, installed_at: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    allowed = OVERDUE_AFTER.get(job)
    if allowed is None:
        return None
    since = succeeded or installed_at
    if since is None:  # an empty installation: nothing to keep, nothing overdue
        return None
    due = since + allowed
    return due if now > due else None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
