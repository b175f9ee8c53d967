"""The flow commands.

* :func:`run_flow` (``quitus run``) — run a flow now, embedded (Prefect's ephemeral
  server, nothing to start);
* :func:`serve` — the embedded scheduler alone;
* :func:`deploy` (``quitus deploy``) — register the flows on a Prefect server for remote
  workers (:mod:`quitus.commands.deploy`, re-exported here).
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from quitus.cli_support import JsonOption, console, err_console, fail, settings_or_fail
from quitus.commands.deploy import deploy
from quitus.exit_codes import ExitCode

__all__ = ["deploy", "run_flow"]


def run_flow(
    name: Annotated[Literal["intake", "retention"], typer.Argument(help="intake or retention")],
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Intake: reports per stage.")] = 200,
    at: Annotated[
        str | None, typer.Option("--at", hidden=True, help="Refused: retention runs at today's date.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the intake flow (captured → archived) or the retention flow (what is due today) in Prefect."""
    if at is not None:
        fail(
            f"--at {at}: the retention flow carries out what is due today, never as of another date; "
            f"`quitus retention plan --at {at}` shows what would be due then (it changes nothing)"
        )
    from quitus.flow_runtime import configure_flows  # noqa: PLC0415

    configure_flows(settings_or_fail())
    from workflows.flows import intake_flow, retention_flow  # noqa: PLC0415 - Prefect after its settings

    if as_json:  # no spinner: stdout is the JSON document alone
        counts = intake_flow(batch_size=batch_size) if name == "intake" else retention_flow()
        from quitus.cli_json import FlowRun, emit  # noqa: PLC0415

        emit(FlowRun(flow=name, counts=counts))
    else:
        with console.status(f"running the {name} flow (Prefect, embedded)…"):
            counts = intake_flow(batch_size=batch_size) if name == "intake" else retention_flow()
        console.print(
            f"{name} flow: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do")
        )
    if counts.get("tampered"):
        err_console.print(
            f"[red]TAMPERING FOUND:[/] {counts['tampered']} report(s) due today were not disposed of: what "
            "their disposal rests on differs from the ledger (see the flow's log); run `quitus audit verify`",
            soft_wrap=True,
        )
    if counts.get("unreadable"):
        err_console.print(
            f"[red]UNREADABLE:[/] {counts['unreadable']} report(s) due today could not be anonymized: their "
            "content cannot be read (see the flow's log); restore their blobs and run `quitus audit verify`",
            soft_wrap=True,
        )
    if counts.get("witness_failed"):
        # The dispositions are done and recorded; what failed is the independent cosignature.
        err_console.print(
            "[red]WITNESS FAILED:[/] the ledger's checkpoint is signed but not cosigned by the witness "
            "(see the flow's log); run `quitus audit checkpoint --witness` once it is reachable",
            soft_wrap=True,
        )
    if counts.get("tampered") or counts.get("unreadable") or counts.get("witness_failed"):
        raise typer.Exit(ExitCode.REJECTED)
