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
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

from policies.loading import PolicySet
from reports.intake import Intake
from retention.clock import Clock, SystemClock
from storage.ledger.witness_client import WitnessEndpoint
from storage.report_store import ReportStore
from workflows.stages import Pipeline

__all__ = ["JOB_ACTOR_PREFIX", "Services", "configure", "prefect_environment", "runs_as_job", "services"]

JOB_ACTOR_PREFIX = "job:"
"""A flow's actor in the ledger is this prefix and the job's name: ``job:intake``."""

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
    """

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def run_as_job(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            token = _running_job.set(name)
            try:
                return function(*args, **kwargs)
            finally:
                _running_job.reset(token)

        return run_as_job

    return decorate


def prefect_environment(home: Path) -> dict[str, str]:
    """Prefect settings for embedded mode: home inside QUITUS_HOME, no telemetry, no results kept.

    Set in ``os.environ`` before Prefect is imported; values already set by the operator win.
    """
    wanted = {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    applied = {}
    for name, value in wanted.items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    return applied
