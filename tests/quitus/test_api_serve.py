"""``quitus serve`` as an operator runs it: a real process on a free port, a capture over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_client import sample_reports
from tests.cli_runner import run_quitus, serving_quitus


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes], Path]]:
    home = tmp_path / "home"
    for args in (("init",), ("users", "add", "tech-042", "--role", "technician")):
        result = run_quitus(home, *args)
        assert result.returncode == 0, result.stderr
    created = run_quitus(home, "tokens", "create", "tech-042", "--label", "test")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    log = tmp_path / "serve.log"
    with serving_quitus(env, log) as (base, server):
        yield base, token, server, log


def test_quitus_serve_captures_over_http(served: tuple[str, str, subprocess.Popen[bytes], Path]) -> None:
    base, token, server, log = served
    payload = sample_reports(1, seed=41)[0].payload
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        answer = client.post(
            "/api/v1/reports",
            content=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 202, answer.text
        status = client.get(answer.json()["status_url"])
        assert status.json()["state"] == "captured"
        assert status.headers["x-frame-options"] == "DENY"
        assert client.get("/api/v1/me").json() == {"handle": "tech-042", "role": "technician"}
        assert client.get("/api/v1/me", headers={"Authorization": "Bearer qt_wrong"}).status_code == 401
        probe = client.head("/api/v1/health")  # a load balancer's probe, through the real server
        assert probe.status_code == 200 and probe.content == b""
        assert client.get("/api/v1/health").status_code == 200  # the connection survived the HEAD
    server.terminate()
    server.wait(timeout=30)
    stderr = log.read_text()
    assert "POST /api/v1/reports 202 " in stderr and "tech-042" in stderr
    assert "GET /api/v1/reports/{report_id} 200 " in stderr
    assert "HEAD /api/v1/health 200 " in stderr  # the access log names the route the HEAD took
    assert payload["client"]["name"] not in stderr and answer.json()["report_id"] not in stderr
