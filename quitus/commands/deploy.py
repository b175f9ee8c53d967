"""``quitus deploy``: register the flows on a Prefect server, for workers on other machines.

Registered in ``quitus/cli.py``::

    app.command("deploy")(deploy.deploy)

The deployments carry no setting: each worker reads its own ``QUITUS_*`` environment
(database URLs, key folder), which never reaches Prefect's database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import console, fail, plain, settings_or_fail

if TYPE_CHECKING:
    from quitus.settings import Settings
    from workflows.deployments import DeploymentSpec

__all__ = ["ENTRYPOINTS", "deploy", "deployment_specs"]

ENTRYPOINTS = {
    "intake": "quitus.prefect_entry.intake_flow",
    "retention": "quitus.prefect_entry.retention_flow",
}
"""Module paths the workers import: ``quitus.prefect_entry`` wires the flows from the worker's settings."""


def deployment_specs(settings: Settings, *, batch_size: int, lease_minutes: int) -> list[DeploymentSpec]:
    """The intake deployment (every QUITUS_INTAKE_INTERVAL_MINUTES) and the nightly retention one."""
    from workflows.deployments import DeploymentSpec  # noqa: PLC0415
    from workflows.flows import intake_flow, retention_flow  # noqa: PLC0415
    from workflows.schedules import RETENTION_SCHEDULE, intake_schedule  # noqa: PLC0415

    return [
        DeploymentSpec(
            name="intake",
            flow=intake_flow,
            entrypoint=ENTRYPOINTS["intake"],
            schedule=intake_schedule(settings.intake_interval_minutes),
            parameters={"batch_size": batch_size, "lease_minutes": lease_minutes},
        ),
        DeploymentSpec(
            name="retention",
            flow=retention_flow,
            entrypoint=ENTRYPOINTS["retention"],
            schedule=RETENTION_SCHEDULE,
            # Dispositions are not meant to race each other: one run at a time.
            concurrency_limit=1,
        ),
    ]


def deploy(
    pool: Annotated[
        str, typer.Option(help="Prefect work pool of the workers (process type; created if missing).")
    ] = "quitus",
    batch_size: Annotated[
        int, typer.Option(min=1, max=5000, help="Intake: reports a run claims per stage.")
    ] = 200,
    lease_minutes: Annotated[
        int,
        typer.Option(
            min=1,
            max=1440,
            help="Intake: how long a claim holds when its worker dies (must outlast a batch).",
        ),
    ] = 15,
) -> None:
    """Register the intake and retention deployments on the Prefect server of PREFECT_API_URL."""
    from quitus import __version__  # noqa: PLC0415
    from workflows.deployments import (  # noqa: PLC0415
        DeploymentError,
        ensure_process_pool,
        prefect_server_url,
        register_deployments,
    )

    settings = settings_or_fail()
    try:
        url = prefect_server_url()
        specs = deployment_specs(settings, batch_size=batch_size, lease_minutes=lease_minutes)
        created = ensure_process_pool(pool)
        registered = register_deployments(specs, pool=pool, version=__version__, tags=["quitus"])
    except DeploymentError as exc:
        fail(str(exc))
    console.print(
        f"Prefect server {plain(url)}; work pool {plain(repr(pool))} "
        f"({'created' if created else 'exists'}, process)"
    )
    for item in registered:
        console.print(
            f"registered {item.full_name}: {item.spec.schedule_text}, "
            f"entrypoint {item.spec.entrypoint}, parameters {dict(item.spec.parameters) or '{}'}"
        )
    console.print(
        f"Start workers with the quitus package and its QUITUS_* settings: prefect worker start --pool {pool}"
    )
