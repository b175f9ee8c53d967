"""``quitus deploy`` without a Prefect server, and what a deployment spec accepts.

The deployments themselves, registered on a real server and run by two workers, are
tested in ``tests/integration/test_distributed.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workflows.deployments import DeploymentSpec
from workflows.schedules import RETENTION_SCHEDULE, FlowSchedule


def _deploy(tmp_path: Path, **prefect: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    env |= {
        "QUITUS_HOME": str(tmp_path / "home"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", "deploy"],
        env=env | prefect,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_needs_prefect_api_url(tmp_path: Path) -> None:
    result = _deploy(tmp_path)
    assert result.returncode == 2
    assert "PREFECT_API_URL is not set" in result.stderr


def test_deploy_says_when_the_prefect_server_does_not_answer(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _deploy(tmp_path, PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    assert result.returncode == 2
    assert f"the Prefect server at http://127.0.0.1:{port}/api does not answer" in result.stderr


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"cron": "0 2 * * *"}, None),
        ({"interval": dt.timedelta(minutes=5)}, None),
        ({"cron": "0 2 * * *", "interval": dt.timedelta(minutes=5)}, "not both"),
        ({}, "not both"),
        ({"cron": "0 2 * *"}, "five fields"),
        ({"interval": dt.timedelta(0)}, "positive"),
    ],
)
def test_a_schedule_is_a_cron_or_an_interval(fields: dict[str, Any], problem: str | None) -> None:
    if problem is None:
        assert FlowSchedule(**fields).timezone == "Europe/Paris"
        return
    with pytest.raises(ValueError, match=problem):
        FlowSchedule(**fields)


@pytest.mark.parametrize(
    ("entrypoint", "problem"),
    [
        ("quitus.prefect_entry.retention_flow", None),
        ("quitus/prefect_entry.py:intake_flow", "module path"),
        ("intake_flow", "module path"),
    ],
)
def test_a_deployment_names_its_flow_by_module_path(entrypoint: str, problem: str | None) -> None:
    fields: dict[str, Any] = {
        "name": "retention",
        "flow": object(),
        "entrypoint": entrypoint,
        "schedule": RETENTION_SCHEDULE,
    }
    if problem is None:
        assert DeploymentSpec(**fields).schedule_text == "cron '0 2 * * *' (Europe/Paris)"
        return
    with pytest.raises(ValueError, match=problem):
        DeploymentSpec(**fields)


def test_the_embedded_scheduler_and_the_deployments_share_one_schedule(tmp_path: Path) -> None:
    """The nightly run is written once (workflows.schedules): APScheduler fires it when the
    Prefect deployment's cron does, 02:00 Paris time, summer and winter alike."""
    from zoneinfo import ZoneInfo

    from prefect.schedules import Cron

    from quitus.commands.deploy import deployment_specs
    from quitus.scheduler import JOBS, build_scheduler
    from quitus.settings import load_settings

    settings = load_settings({"QUITUS_HOME": str(tmp_path), "QUITUS_INTAKE_INTERVAL_MINUTES": "7"})
    specs = {spec.name: spec for spec in deployment_specs(settings, batch_size=10, lease_minutes=30)}
    assert specs["retention"].schedule is RETENTION_SCHEDULE
    assert specs["intake"].schedule.interval == dt.timedelta(minutes=7)
    tmp_path.mkdir(exist_ok=True)
    scheduler = build_scheduler(settings, blocking=False)
    scheduler.start(paused=True)
    try:
        triggers = {job.id: job.trigger for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    paris = ZoneInfo("Europe/Paris")
    for start in (dt.datetime(2026, 1, 10, 12, tzinfo=paris), dt.datetime(2026, 7, 10, 12, tzinfo=paris)):
        fired = triggers[JOBS[1]].get_next_fire_time(None, start)
        assert (fired.hour, fired.minute, fired.date()) == (2, 0, start.date() + dt.timedelta(days=1))
    cron = Cron(RETENTION_SCHEDULE.cron, timezone=RETENTION_SCHEDULE.timezone)
    assert cron.cron == RETENTION_SCHEDULE.cron and cron.timezone == "Europe/Paris"
    assert triggers[JOBS[0]].interval == dt.timedelta(minutes=7)


def test_only_prefects_public_api_is_used() -> None:
    """``prefect._internal`` changes without notice between releases: never imported."""
    import ast

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("workflows", "quitus", "retention", "storage", "reports", "anonymization", "policies"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith("prefect._")]
    assert offenders == []
