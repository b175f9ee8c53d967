"""``quitus status``: what ``/metrics`` says, for a person (or a script, ``--json``).

The last successful intake and retention runs (whichever process ran them), the backlog
per report state, and the ledger's counts. A job that has not succeeded within its allowed
gap — the nightly retention job after 26 hours — is shown **STALE** and the command exits 1
(:attr:`~quitus.exit_codes.ExitCode.REJECTED`, a check that failed), so a cron job or a
monitoring probe can run ``quitus status`` and alert on its exit code.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer

from quitus.cli_support import JsonOption, console, err_console, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:  # imported when the command runs: `quitus --help` stays light
    from quitus.operations import OperationsSnapshot
    from storage.job_runs import JobRunStatus

__all__ = ["status"]


def status(as_json: JsonOption = False) -> None:
    """Show the last intake and retention runs, the backlog per state and the ledger's counts.

    Exits 1 when a job is STALE (retention: no success for 26 h).
    """
    from quitus.operations import status_report, take_snapshot  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415

    app = open_app(settings_or_fail())
    try:
        snapshot = take_snapshot(app.store)
    finally:
        app.close()
    if as_json:
        import sys  # noqa: PLC0415

        sys.stdout.write(status_report(snapshot).model_dump_json(indent=2) + "\n")
    else:
        _print(snapshot)
    if snapshot.stale_jobs:
        for stale in snapshot.stale_jobs:
            err_console.print(f"[red]STALE:[/] {_stale_sentence(stale)}", soft_wrap=True)
        raise typer.Exit(ExitCode.REJECTED)


def _ago(when: dt.datetime, now: dt.datetime) -> str:
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def _when(when: dt.datetime | None, now: dt.datetime) -> str:
    if when is None:
        return "never"
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({_ago(when, now)})"


def _stale_sentence(status: JobRunStatus) -> str:
    from storage.job_runs import OVERDUE_AFTER  # noqa: PLC0415

    allowed = int(OVERDUE_AFTER[status.job].total_seconds() // 3600)
    last = (
        f"last success {status.last_succeeded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        if status.last_succeeded_at
        else "it never succeeded"
    )
    return (
        f"the {status.job} job has not succeeded for more than {allowed} h ({last}): data may be kept past "
        f"its retention date; check `quitus serve`'s scheduler or the Prefect deployment, then "
        f"`quitus run {status.job}` (docs/operations.md, 'Observability')"
    )


def _print(snapshot: OperationsSnapshot) -> None:
    from rich.table import Table  # noqa: PLC0415

    now = snapshot.taken_at
    jobs = Table(title="jobs", title_justify="left", show_edge=False)
    for column in ("job", "last success", "last failure", "state"):
        jobs.add_column(column)
    for job in snapshot.jobs.values():
        if job.stale:
            verdict = "[red]STALE[/]"
        elif job.last_failed_at and (not job.last_succeeded_at or job.last_failed_at > job.last_succeeded_at):
            verdict = f"[yellow]last run failed[/] ({job.last_error})"
        else:
            verdict = "ok"
        jobs.add_row(
            job.job.value, _when(job.last_succeeded_at, now), _when(job.last_failed_at, now), verdict
        )
    console.print(jobs)
    backlog = ", ".join(f"{state.value} {n}" for state, n in snapshot.reports_by_state.items())
    console.print(f"reports: {backlog}")
    sent, undelivered = snapshot.deliveries.get("sent", 0), snapshot.deliveries.get("failed", 0)
    console.print(
        f"ledger: {snapshot.ledger_size} entries; captures {snapshot.captures}, rejections "
        f"{sum(snapshot.rejections.values())}, stage failures {sum(snapshot.stage_failures.values())}, "
        f"deliveries sent {sent} (failed {undelivered}), dispositions {sum(snapshot.dispositions.values())}",
        soft_wrap=True,
    )
