"""``quitus serve`` as an operator runs it: a real process on a free port, a capture over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_client import sample_reports
from tests.cli_runner import run_quitus


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    home = tmp_path / "home"
    for args in (("init",), ("users", "add", "tech-042", "--role", "technician")):
        result = run_quitus(home, *args)
        assert result.returncode == 0, result.stderr
    created = run_quitus(home, "tokens", "create", "tech-042", "--label", "test")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    server = subprocess.Popen(
        [sys.executable, "-m", "quitus.cli", "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "quitus serve did not answer within 60 s"
            time.sleep(0.2)
        yield base, token, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_quitus_serve_captures_over_http(served: tuple[str, str, subprocess.Popen[str]]) -> None:
    base, token, server = served
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
    server.terminate()
    _, stderr = server.communicate(timeout=30)
    assert "POST /api/v1/reports 202 " in stderr and "tech-042" in stderr
    assert "GET /api/v1/reports/{report_id} 200 " in stderr
    assert payload["client"]["name"] not in stderr and answer.json()["report_id"] not in stderr
