"""What a flow needs at run time, provided by the application (``quitus``) at start-up.

Flows and tasks take ids and dates as parameters, never objects or personal data, so
they look their collaborators up here. The application shell calls :func:`configure`
once per process (the embedded runner, ``quitus serve``, or a Prefect worker importing
``quitus.prefect_entry``).

**Who the ledger names.** A flow function is decorated with :func:`runs_as_job`: while
it runs, :func:`services` record ``job:<name>`` (``job:retention``), so an auditor tells
the nightly job from an operator. When the application named an actor for the process
(``QUITUS_ACTOR=worker@host`` on a worker, ``quitus --as dpo-01 run retention``), flows
record that actor instead.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

from policies.loading import PolicySet
from reports.intake import Intake
from retention.clock import Clock, SystemClock
from storage.job_runs import JobName, JobRuns
from storage.ledger.witness_client import WitnessEndpoint
from storage.report_store import ReportStore
from workflows.stages import Pipeline

__all__ = [
    "JOB_ACTOR_PREFIX",
    "RUN_LOGGED_PACKAGES",
    "Services",
    "configure",
    "prefect_environment",
    "runs_as_job",
    "services",
]

RUN_LOGGED_PACKAGES = ("workflows", "retention", "storage")
"""Loggers whose records, logged while a flow runs, go to the run's logs in Prefect (ids and codes only)."""

JOB_ACTOR_PREFIX = "job:"
"""A flow's actor in the ledger is this prefix and the job's name: ``job:intake``."""

_log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass
class Services:
    store: ReportStore
    intake: Intake
    pipeline: Pipeline
    policies: Callable[[], PolicySet]
    deliver: Callable[[int], dict[str, int]] | None = None
    """Deliver up to N due reports by e-mail (counts only); None when e-mail is not configured.

    It records as the running flow's services do (it looks them up when called)."""
    clock: Clock = field(default_factory=SystemClock)
    """Today's date as retention sees it: the system's, but in a simulation home."""
    witness: WitnessEndpoint | None = None
    """The witness the nightly job has its checkpoint cosigned by (``QUITUS_WITNESS_URL``); None: none."""

    def acting_as(self, actor: str) -> Services:
        """The same services recording ``actor`` in the ledger (database, keys, catalog shared)."""
        if actor == self.store.actor:
            return self
        store = self.store.acting_as(actor)
        intake, pipeline = copy.copy(self.intake), copy.copy(self.pipeline)
        intake.store = pipeline.store = store
        return replace(self, store=store, intake=intake, pipeline=pipeline)


_factory: Callable[[], Services] | None = None
_services: Services | None = None
_name_jobs = True
_as_job: dict[str, Services] = {}
_running_job: ContextVar[str | None] = ContextVar("quitus_running_job", default=None)


def configure(factory: Callable[[], Services], *, name_jobs: bool = True) -> None:
    """``factory`` builds the services on first use.

    ``name_jobs=False`` when the application named an actor for the process (the
    factory's store records it): flows then record that actor, not their job name.
    """
    global _factory, _services, _name_jobs
    _factory, _services, _name_jobs = factory, None, name_jobs
    _as_job.clear()


def services() -> Services:
    """The services of the running flow (recording ``job:<name>``), else the process's own."""
    global _services  # noqa: PLW0603
    if _services is None:
        if _factory is None:
            raise RuntimeError("workflows.runtime.configure() was not called: start flows through quitus")
        _services = _factory()
    job = _running_job.get()
    if job is None or not _name_jobs:
        return _services
    if job not in _as_job:
        _as_job[job] = _services.acting_as(JOB_ACTOR_PREFIX + job)
    return _as_job[job]


def runs_as_job(name: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a flow function (under ``@flow``): its steps record ``job:<name>`` in the ledger.

    The job is kept in a context variable, which Prefect carries into the flow's tasks.
    Each run is recorded in ``job_runs`` (started, succeeded with its counts, or failed with
    its exception's class: what ``/metrics`` and ``quitus status`` show), logged, and followed
    by its Prefect events (:mod:`workflows.events`). ``name`` is a
    :class:`~storage.job_runs.JobName`.
    """

    job = JobName(name)

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def run_as_job(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            token = _running_job.set(name)
            try:
                runs = JobRuns(services().store.database)
                runs.started(job)
                _log.info("%s run started", job)
                try:
                    result = function(*args, **kwargs)
                except BaseException as exc:
                    _record_failure(runs, job, exc)
                    raise
                counts = _counts_of(result)
                runs.succeeded(job, counts)
                _log.info(
                    "%s run done: %s", job, ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing"
                )
                _emit_after_run(runs, job, counts)
                return result
            finally:
                _running_job.reset(token)

        return run_as_job

    return decorate


def _counts_of(result: object) -> dict[str, int]:
    """A flow's result as counts (flows return counts per stage or action)."""
    if not isinstance(result, Mapping):
        return {}
    return {str(k): int(v) for k, v in result.items() if isinstance(v, int)}


def _record_failure(runs: JobRuns, job: JobName, exc: BaseException) -> None:
    """Record and announce a failed run; never let that hide the run's own exception."""
    error = f"{exc.__class__.__module__}.{exc.__class__.__name__}"
    _log.error("%s run failed: %s", job, error)  # the class, not the message: it may quote a value
    try:
        runs.failed(job, exc)
        if _in_flow_run():
            from workflows.events import emit_job_event  # noqa: PLC0415

            emit_job_event(job, error=error)
    except Exception as problem:  # noqa: BLE001 - the run's exception is what the caller must see
        _log.warning("%s run failure not recorded: %s", job, problem.__class__.__name__)


def _in_flow_run() -> bool:
    if "prefect.context" not in sys.modules:
        return False
    from prefect.context import FlowRunContext  # noqa: PLC0415

    return FlowRunContext.get() is not None


def _emit_after_run(runs: JobRuns, job: JobName, counts: Mapping[str, int]) -> None:
    """The run's events: its summary, the ledger's new rejections, failures, disposals, overdue jobs.

    Best effort: the run is done and recorded; an event Prefect cannot take is logged and lost."""
    from workflows.events import emit_job_event, emit_ledger_events, emit_overdue_jobs  # noqa: PLC0415

    if not _in_flow_run():  # called as a plain function (a test): Prefect is not there to take events
        return
    try:
        emitted = emit_ledger_events(runs.database)
        emit_job_event(job, counts=counts)
        overdue = emit_overdue_jobs(runs)
    except Exception as problem:  # noqa: BLE001 - alerting must never fail a run that succeeded
        _log.warning("%s run: events not emitted (%s)", job, problem.__class__.__name__)
        return
    if emitted:
        _log.info("%s run: events %s", job, ", ".join(f"{k} {v}" for k, v in sorted(emitted.items())))
    for late in overdue:
        _log.warning("%s is overdue: it has not succeeded within its allowed gap (quitus status)", late)


def prefect_environment(home: Path) -> dict[str, str]:
    """Prefect settings for embedded mode: home inside QUITUS_HOME, no telemetry, no results kept,
    our packages' log records in the runs' logs.

    Set in ``os.environ`` before Prefect is imported; values already set by the operator win.
    """
    wanted = {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # The INFO lines of our flows' code (workflows.delivery…) in the flow run's logs; the same
        # loggers outside a run (``quitus deliver``) are not an error.
        "PREFECT_LOGGING_EXTRA_LOGGERS": ",".join(RUN_LOGGED_PACKAGES),
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    applied = {}
    for name, value in wanted.items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    return applied
