"""What a flow needs at run time, provided by the application (``quitus``) at start-up.

Flows and tasks take ids and dates as parameters, never objects or personal data, so
they look their collaborators up here. The application shell calls :func:`configure`
once per process (the embedded runner, ``quitus serve``, or a Prefect worker importing
``quitus.prefect_entry``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policies.loading import PolicySet
from reports.intake import Intake
from storage.report_store import ReportStore
from workflows.stages import Pipeline

__all__ = ["Services", "configure", "prefect_environment", "services"]


@dataclass
class Services:
    store: ReportStore
    intake: Intake
    pipeline: Pipeline
    policies: Callable[[], PolicySet]
    deliver: Callable[[int], dict[str, int]] | None = None
    """Deliver up to N due reports by e-mail (counts only); None when e-mail is not configured."""


_factory: Callable[[], Services] | None = None
_services: Services | None = None


def configure(factory: Callable[[], Services]) -> None:
    global _factory, _services
    _factory, _services = factory, None


def services() -> Services:
    global _services  # noqa: PLW0603
    if _services is None:
        if _factory is None:
            raise RuntimeError("workflows.runtime.configure() was not called: start flows through quitus")
        _services = _factory()
    return _services


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
