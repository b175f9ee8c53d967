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
    ("changes", "problem"),
    [
        ({}, None),
        ({"cron": None, "interval": dt.timedelta(minutes=5)}, None),
        ({"interval": dt.timedelta(minutes=5)}, "not both"),
        ({"cron": None}, "not both"),
        ({"entrypoint": "quitus/prefect_entry.py:intake_flow"}, "module path"),
        ({"entrypoint": "intake_flow"}, "module path"),
    ],
)
def test_a_deployment_has_one_schedule_and_a_module_path_entrypoint(
    changes: dict[str, Any], problem: str | None
) -> None:
    fields: dict[str, Any] = {
        "name": "retention",
        "flow": object(),
        "entrypoint": "quitus.prefect_entry.retention_flow",
        "cron": "0 2 * * *",
    }
    if problem is None:
        spec = DeploymentSpec(**(fields | changes))
        assert spec.timezone == "Europe/Paris"
        return
    with pytest.raises(ValueError, match=problem):
        DeploymentSpec(**(fields | changes))
