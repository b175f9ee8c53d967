"""Entry point of the Prefect deployments (``quitus deploy``): a worker imports this module.

It wires the flows from the worker's own environment (``QUITUS_*`` settings) before
exposing them, so a worker on another machine needs only the package and its settings.
"""

from __future__ import annotations

from quitus.flow_runtime import configure_flows
from quitus.logging_setup import configure_logging
from quitus.settings import load_settings

_settings = load_settings()
configure_logging(_settings.log_format)  # a worker's flow run logs INFO on its stderr
configure_flows(_settings)

from workflows.flows import intake_flow, retention_flow, subject_erasure_flow  # noqa: E402

__all__ = ["intake_flow", "retention_flow", "subject_erasure_flow"]
