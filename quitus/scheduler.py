"""The embedded scheduler of ``quitus serve``: APScheduler, its jobs kept in our database.

* **intake** — every ``QUITUS_INTAKE_INTERVAL_MINUTES`` (default 5): the intake flow.
* **retention** — every night at 02:00 Europe/Paris: the retention flow.

Both schedules are :mod:`workflows.schedules`'s, which the Prefect deployments use too.

One scheduler per installation: a second ``quitus serve`` refuses to start (a file lock
in QUITUS_HOME, or a PostgreSQL advisory lock). Missed runs are coalesced into one
(``coalesce``), a job never runs twice at once (``max_instances=1``), and a run missed
by less than an hour (the machine was asleep) still happens.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from quitus.settings import Settings, load_settings

if TYPE_CHECKING:
    from workflows.schedules import FlowSchedule

__all__ = [
    "JOBS",
    "SchedulerLockedError",
    "apscheduler_trigger",
    "build_scheduler",
    "run_intake_job",
    "run_retention_job",
    "single_instance",
]

JOBS = ("quitus-intake", "quitus-retention")


class SchedulerLockedError(RuntimeError):
    """Another ``quitus serve`` already runs the scheduler of this installation."""


def run_intake_job() -> None:
    """Job target (importable by reference, as persistent job stores require)."""
    from quitus.flow_runtime import configure_flows  # noqa: PLC0415

    configure_flows(load_settings())
    from workflows.flows import intake_flow  # noqa: PLC0415

    intake_flow()


def run_retention_job() -> None:
    from quitus.flow_runtime import configure_flows  # noqa: PLC0415

    configure_flows(load_settings())
    from workflows.flows import retention_flow  # noqa: PLC0415

    retention_flow()


def build_scheduler(settings: Settings, *, blocking: bool = True) -> Any:
    """A scheduler with both jobs, its job store in the quitus database."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: PLC0415
    from apscheduler.schedulers.background import BackgroundScheduler  # noqa: PLC0415
    from apscheduler.schedulers.blocking import BlockingScheduler  # noqa: PLC0415

    from workflows.schedules import PARIS, RETENTION_SCHEDULE, intake_schedule  # noqa: PLC0415

    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        jobstores={
            "default": SQLAlchemyJobStore(url=settings.resolved_database_url, tablename="scheduler_jobs")
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=PARIS,
    )
    scheduler.add_job(
        run_intake_job,
        apscheduler_trigger(intake_schedule(settings.intake_interval_minutes)),
        id=JOBS[0],
        name="intake flow",
        replace_existing=True,
    )
    scheduler.add_job(
        run_retention_job,
        apscheduler_trigger(RETENTION_SCHEDULE),
        id=JOBS[1],
        name="nightly retention flow",
        replace_existing=True,
    )
    return scheduler


def apscheduler_trigger(schedule: FlowSchedule) -> Any:
    """The APScheduler trigger of a :class:`~workflows.schedules.FlowSchedule`."""
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415
    from apscheduler.triggers.interval import IntervalTrigger  # noqa: PLC0415

    if schedule.interval is not None:
        return IntervalTrigger(seconds=schedule.interval.total_seconds(), timezone=schedule.timezone)
    assert schedule.cron is not None
    return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)


@contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the installation's scheduler lock, or raise :class:`SchedulerLockedError`."""
    if settings.resolved_database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text  # noqa: PLC0415

        engine = create_engine(settings.resolved_database_url)
        with engine.connect() as connection:
            if not connection.execute(text("SELECT pg_try_advisory_lock(727200)")).scalar():
                raise SchedulerLockedError("another `quitus serve` runs the scheduler of this database")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(727200)"))
        engine.dispose()
        return
    path = settings.home / "scheduler.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise SchedulerLockedError(
                f"another `quitus serve` runs the scheduler of {settings.home}"
            ) from exc
        yield
    finally:
        os.close(fd)
