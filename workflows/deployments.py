"""Prefect deployments on a Prefect server, run by workers on other machines.

A deployment names its flow by *module path* (``quitus.prefect_entry.intake_flow``): a
``prefect worker`` of a *process* work pool imports it from the installed package. A
worker machine therefore needs the package and its own ``QUITUS_*`` settings — no copy
of a source tree, no pull steps, no Docker image.

Settings are never put in a deployment (its ``job_variables``): they hold database URLs
and keys, which must not reach Prefect's database. A worker's flow runs inherit the
worker's environment.

Errors::

    DeploymentError
    └── PrefectServerError   PREFECT_API_URL unset, or the server does not answer
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from workflows.schedules import PARIS, FlowSchedule

if TYPE_CHECKING:
    from prefect import Flow

__all__ = [
    "PARIS",
    "DeploymentError",
    "DeploymentSpec",
    "PrefectServerError",
    "Registered",
    "ensure_process_pool",
    "prefect_server_url",
    "register_deployments",
]


class DeploymentError(Exception):
    """A deployment could not be registered."""


class PrefectServerError(DeploymentError):
    """No Prefect server to register on: PREFECT_API_URL unset or unreachable."""


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment to register: which flow, how a worker finds it, when it runs."""

    name: str
    """The deployment's name; Prefect shows it as ``<flow name>/<name>``."""
    flow: Flow[..., Any]
    """The flow object (its parameter schema and description are sent to the server)."""
    entrypoint: str
    """Module path a worker imports the flow by, e.g. ``quitus.prefect_entry.intake_flow``."""
    schedule: FlowSchedule
    """When it runs (:mod:`workflows.schedules`: the same the embedded scheduler uses)."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Default parameters of the runs: ids, counts and dates only."""
    concurrency_limit: int | None = None
    """At most this many runs at once (None: no limit)."""

    def __post_init__(self) -> None:
        if ":" in self.entrypoint or "." not in self.entrypoint:
            raise ValueError(f"deployment {self.name}: the entrypoint is a module path (package.module.flow)")

    @property
    def schedule_text(self) -> str:
        return self.schedule.describe()


@dataclass(frozen=True)
class Registered:
    """A deployment the server now holds."""

    full_name: str
    """``<flow name>/<deployment name>``, as ``prefect deployment run`` takes it."""
    deployment_id: UUID
    spec: DeploymentSpec


def prefect_server_url() -> str:
    """The Prefect server's API URL, checked to answer; :class:`PrefectServerError` otherwise.

    Without ``PREFECT_API_URL`` Prefect would start a throw-away local server and the
    deployments would vanish with it, so its absence is an error here.
    """
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL  # noqa: PLC0415

    url = PREFECT_API_URL.value()
    if not url:
        raise PrefectServerError(
            "PREFECT_API_URL is not set: point it at the Prefect server's API, "
            "e.g. PREFECT_API_URL=http://prefect.internal:4200/api"
        )
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise PrefectServerError(
            f"the Prefect server at {url} does not answer ({problem.__class__.__name__}); "
            "is `prefect server start` running there, and is PREFECT_API_URL right?"
        ) from problem
    return str(url)


def ensure_process_pool(name: str) -> bool:
    """Create the *process* work pool ``name`` unless it exists; whether it was created."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.actions import WorkPoolCreate  # noqa: PLC0415
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound  # noqa: PLC0415
    from prefect.workers.process import ProcessWorker  # noqa: PLC0415

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            pass
        else:
            if pool.type != ProcessWorker.type:
                raise DeploymentError(
                    f"work pool {name!r} is of type {pool.type!r}, not {ProcessWorker.type!r}: "
                    "choose another pool with --pool"
                )
            return False
        try:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=ProcessWorker.type,
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                    description=f"quitus flows, run by `prefect worker start --pool {name}`",
                )
            )
        except ObjectAlreadyExists:  # another `quitus deploy` created it meanwhile
            return False
    return True


def register_deployments(
    specs: Sequence[DeploymentSpec], *, pool: str, version: str, tags: Sequence[str] = ()
) -> list[Registered]:
    """Create or update each deployment on the server of PREFECT_API_URL, for ``pool``.

    Registering again updates the deployments in place (same names): schedules,
    parameters and entrypoints follow the new specs.
    """
    from prefect.client.schemas.objects import VersionInfo  # noqa: PLC0415
    from prefect.deployments.runner import RunnerDeployment  # noqa: PLC0415
    from prefect.schedules import Cron, Interval  # noqa: PLC0415
    from prefect.types.entrypoint import EntrypointType  # noqa: PLC0415

    registered = []
    for spec in specs:
        when = spec.schedule
        if when.interval is not None:
            schedule = Interval(when.interval, timezone=when.timezone)
        else:
            assert when.cron is not None  # one or the other: checked by FlowSchedule
            schedule = Cron(when.cron, timezone=when.timezone)
        deployment = RunnerDeployment.from_flow(
            spec.flow,
            name=spec.name,
            schedule=schedule,
            parameters=dict(spec.parameters),
            concurrency_limit=spec.concurrency_limit,
            tags=list(tags),
            version=version,
            work_pool_name=pool,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        # The flow object lives in `workflows`; a worker must import it through the module that
        # wires the services first.
        deployment.entrypoint = spec.entrypoint
        # A plain version, given: Prefect would otherwise infer one from git metadata
        # (authors, branches) of whatever folder the command runs in.
        deployment_id = deployment.apply(
            work_pool_name=pool, version_info=VersionInfo(type="prefect:simple", version=version)
        )
        assert isinstance(deployment_id, UUID)  # called from sync code: not a coroutine
        registered.append(Registered(deployment.full_name, deployment_id, spec))
    return registered
