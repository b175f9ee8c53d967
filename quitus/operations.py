"""How the installation is doing, as ``/metrics`` (Prometheus) and ``quitus status`` show it.

:func:`take_snapshot` reads it all from the database — the ledger's counts per step and
outcome, the reports per state, the ledger's size, each job's last runs — so every process
(``quitus serve``, a worker, the CLI) shows the same figures, whoever did the work. Counts,
states, dates and ids of jobs only: no personal data.

The Prometheus text format (version 0.0.4) is written here rather than through
``prometheus_client``: every value is computed from the database at each scrape, so the
client library's in-process metric objects would hold nothing; a few lines of formatting
are all that is needed (a test reads the output with Prometheus's own parser).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.delivery_store import DeliveryStatus
from storage.job_runs import OVERDUE_AFTER, JobName, JobRuns, JobRunStatus
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.ledger_outcomes import LedgerOutcomeTally
from storage.models import utcnow
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = [
    "JOB_LABEL",
    "PROMETHEUS_CONTENT_TYPE",
    "JobStatusEntry",
    "OperationsSnapshot",
    "StatusReport",
    "prometheus_text",
    "status_report",
    "take_snapshot",
]

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
JOB_LABEL = "quitus_job"
"""The label naming a quitus job (intake, retention…): not ``job``, which Prometheus gives the scrape job."""
_DESTROYED = "destroyed"  # storage.erasure: a disposal that destroyed the data key (not "already_destroyed")


@dataclass(frozen=True)
class OperationsSnapshot:
    """The figures at :attr:`taken_at`; counters only grow (they count ledger entries)."""

    taken_at: dt.datetime
    ledger_size: int
    reports_by_state: Mapping[ReportState, int]
    """The backlog: how many reports are in each state (every state, 0 included)."""
    captures: int
    """Submissions received and stored (each one: new, a correction, a conflict), valid or not."""
    rejections: Mapping[str, int]
    """Reports rejected, per step that rejected them (``capture``, ``validate``)."""
    stage_failures: Mapping[str, int]
    """Steps that failed on a report (unreadable data, a missing key…), per step."""
    deliveries: Mapping[str, int]
    """Delivery attempts recorded, per outcome (``sent``, ``failed``, ``pending``, ``skipped``)."""
    dispositions: Mapping[str, int]
    """Reports disposed of, per step: ``dispose`` (retention, an approved review), ``shred`` (erasure)."""
    jobs: Mapping[JobName, JobRunStatus]

    @property
    def stale_jobs(self) -> list[JobRunStatus]:
        return [status for status in self.jobs.values() if status.stale]


def take_snapshot(
    store: ReportStore, *, tally: LedgerOutcomeTally | None = None, now: dt.datetime | None = None
) -> OperationsSnapshot:
    """The installation's figures now (``tally``: a long-lived one reads only the new entries)."""
    now = now or utcnow()
    tally = tally or LedgerOutcomeTally(store.database)
    size, counts = tally.counts()
    by_state = store.count_by_state()
    return OperationsSnapshot(
        taken_at=now,
        ledger_size=size,
        reports_by_state={state: by_state.get(state, 0) for state in ReportState},
        captures=sum(n for (step, _), n in counts.items() if step == LedgerStep.RECEIVE),
        rejections=_per_step(counts, outcome="rejected", steps=(LedgerStep.CAPTURE, LedgerStep.VALIDATE)),
        stage_failures=_per_step(counts, outcome="failed"),
        deliveries={
            status.value: counts.get((LedgerStep.DELIVER.value, status.value), 0) for status in DeliveryStatus
        },
        dispositions=_per_step(counts, outcome=_DESTROYED, steps=sorted(DISPOSAL_STEPS)),
        jobs=JobRuns(store.database).status(now=now),
    )


def _per_step(
    counts: Mapping[tuple[str, str], int], *, outcome: str, steps: Iterable[str] | None = None
) -> dict[str, int]:
    wanted = None if steps is None else {str(s) for s in steps}
    found: dict[str, int] = {str(s): 0 for s in wanted or ()}
    for (step, result), n in counts.items():
        if result == outcome and (wanted is None or step in wanted):
            found[step] = found.get(step, 0) + n
    return dict(sorted(found.items()))


# -- Prometheus ---------------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(
    lines: list[str],
    name: str,
    kind: Literal["counter", "gauge"],
    help_text: str,
    samples: Iterable[tuple[Mapping[str, str], float]],
) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        number = str(int(value)) if float(value).is_integer() else repr(float(value))
        lines.append(f"{name}{{{label_text}}} {number}" if label_text else f"{name} {number}")


def _seconds(value: dt.datetime) -> float:
    return round(value.timestamp(), 3)


def prometheus_text(snapshot: OperationsSnapshot) -> str:
    """The snapshot in the Prometheus text exposition format (``/metrics``)."""
    lines: list[str] = []
    _family(
        lines, "quitus_ledger_entries", "gauge", "Entries in the audit ledger.", [({}, snapshot.ledger_size)]
    )
    _family(
        lines,
        "quitus_reports",
        "gauge",
        "Reports per state (the backlog of each stage).",
        [({"state": state.value}, n) for state, n in snapshot.reports_by_state.items()],
    )
    _family(
        lines,
        "quitus_captures_total",
        "counter",
        "Submissions received and stored, valid or not.",
        [({}, snapshot.captures)],
    )
    _family(
        lines,
        "quitus_rejections_total",
        "counter",
        "Reports rejected, per step that rejected them.",
        [({"step": step}, n) for step, n in snapshot.rejections.items()],
    )
    _family(
        lines,
        "quitus_stage_failures_total",
        "counter",
        "Steps that failed on a report (it keeps its state; the next run retries it).",
        [({"stage": step}, n) for step, n in snapshot.stage_failures.items()],
    )
    _family(
        lines,
        "quitus_deliveries_total",
        "counter",
        "Delivery attempts recorded, per outcome.",
        [({"outcome": outcome}, n) for outcome, n in snapshot.deliveries.items()],
    )
    _family(
        lines,
        "quitus_dispositions_total",
        "counter",
        "Reports disposed of (data key destroyed): dispose = retention or review, shred = erasure.",
        [({"step": step}, n) for step, n in snapshot.dispositions.items()],
    )
    jobs = list(snapshot.jobs.values())
    for name, attribute, help_text in (
        ("quitus_job_last_success_timestamp_seconds", "last_succeeded_at", "When the job last succeeded."),
        ("quitus_job_last_start_timestamp_seconds", "last_started_at", "When a run of the job last started."),
        ("quitus_job_last_failure_timestamp_seconds", "last_failed_at", "When a run of the job last failed."),
    ):
        _family(
            lines,
            name,
            "gauge",
            f"{help_text} Unix time; absent when it never did.",
            [({JOB_LABEL: s.job.value}, _seconds(when)) for s in jobs if (when := getattr(s, attribute))],
        )
    _family(
        lines,
        "quitus_job_stale",
        "gauge",
        "1 when the job has not succeeded within its allowed gap (retention: 26 h), else 0.",
        [({JOB_LABEL: s.job.value}, int(s.stale)) for s in jobs if s.job in OVERDUE_AFTER],
    )
    return "\n".join(lines) + "\n"


# -- quitus status --json -----------------------------------------------------------------


class JobStatusEntry(BaseModel):
    """One job in ``quitus status --json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: str = Field(description="intake, retention or subject-erasure.")
    last_succeeded_at: dt.datetime | None = Field(description="When it last succeeded (UTC); null: never.")
    last_started_at: dt.datetime | None = Field(description="When a run last started (UTC).")
    last_failed_at: dt.datetime | None = Field(description="When a run last failed (UTC).")
    last_error: str | None = Field(description="The exception class of the last failed run.")
    last_counts: dict[str, int] = Field(description="What the last successful run counted.")
    stale: bool = Field(
        description="True when it has not succeeded within its allowed gap (retention: 26 h)."
    )
    overdue_since: dt.datetime | None = Field(description="When it became overdue (UTC), if stale.")


class StatusReport(BaseModel):
    """``quitus status --json``: the figures of ``/metrics``, for a person or a script."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    taken_at: dt.datetime
    ok: bool = Field(description="False when a job is stale (the command then exits 1).")
    ledger_entries: int
    reports_by_state: dict[str, int]
    captures: int
    rejections: dict[str, int]
    stage_failures: dict[str, int]
    deliveries: dict[str, int]
    dispositions: dict[str, int]
    jobs: list[JobStatusEntry]


def status_report(snapshot: OperationsSnapshot) -> StatusReport:
    return StatusReport(
        taken_at=snapshot.taken_at,
        ok=not snapshot.stale_jobs,
        ledger_entries=snapshot.ledger_size,
        reports_by_state={state.value: n for state, n in snapshot.reports_by_state.items()},
        captures=snapshot.captures,
        rejections=dict(snapshot.rejections),
        stage_failures=dict(snapshot.stage_failures),
        deliveries=dict(snapshot.deliveries),
        dispositions=dict(snapshot.dispositions),
        jobs=[
            JobStatusEntry(
                job=s.job.value,
                last_succeeded_at=s.last_succeeded_at,
                last_started_at=s.last_started_at,
                last_failed_at=s.last_failed_at,
                last_error=s.last_error,
                last_counts=dict(s.last_counts),
                stale=s.stale,
                overdue_since=s.overdue_since,
            )
            for s in snapshot.jobs.values()
        ],
    )
