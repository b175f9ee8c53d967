"""The flow commands.

* :func:`run_flow` (``quitus run``) — run a flow now, embedded (Prefect's ephemeral
  server, nothing to start);
* :func:`serve` — the embedded scheduler alone;
* :func:`deploy` (``quitus deploy``) — register the flows on a Prefect server for remote
  workers (:mod:`quitus.commands.deploy`, re-exported here).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import typer

from quitus.cli_support import console, settings_or_fail
from quitus.commands.deploy import deploy

__all__ = ["deploy", "run_flow"]


def run_flow(
    name: Annotated[Literal["intake", "retention"], typer.Argument(help="intake or retention")],
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Intake: reports per stage.")] = 200,
    at: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Retention: as of this date.")
    ] = None,
) -> None:
    """Run the intake flow (captured → archived) or the retention flow, as a Prefect flow run."""
    from quitus.flow_runtime import configure_flows  # noqa: PLC0415

    configure_flows(settings_or_fail())
    from workflows.flows import intake_flow, retention_flow  # noqa: PLC0415 - Prefect after its settings

    with console.status(f"running the {name} flow (Prefect, embedded)…"):
        if name == "intake":
            counts = intake_flow(batch_size=batch_size)
        else:
            counts = retention_flow(at=at.date().isoformat() if at else None)
    console.print(f"{name} flow: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do"))
