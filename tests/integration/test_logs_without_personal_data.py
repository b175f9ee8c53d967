"""No personal data in any log line: a day's work with JSON logs (QUITUS_LOG_FORMAT=json) — a
report captured through the API, the intake flow run — and every line written searched for
the client's name and phone, on stderr and stdout and in Prefect's run logs and events."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api_client import sample_reports
from tests.cli_runner import run_quitus, serving_quitus

NAME = "Gwendoline Kerhervé"
PHONE = "06 71 82 93 04"
PERSONAL = (NAME, "Kerhervé", "Gwendoline", PHONE, "0671829304", "+33671829304", "71 82 93 04")


def _leaks(text: str) -> list[str]:
    compact = text.replace(" ", "").lower()
    return [v for v in PERSONAL if v.lower() in text.lower() or v.replace(" ", "").lower() in compact]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    return {**env, "QUITUS_HOME": str(home), "QUITUS_LOG_FORMAT": "json", "NO_COLOR": "1"}


def _token(home: Path) -> str:
    assert run_quitus(home, "users", "add", "tech-01", "--role", "technician").returncode == 0
    created = run_quitus(home, "tokens", "create", "tech-01")
    (token,) = re.findall(r"qt_\S+", created.stdout)
    return token


@pytest.mark.slow
def test_a_days_logs_hold_no_personal_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    token = _token(home)
    accepted = sample_reports(1, seed=41)[0].payload
    accepted["client"]["name"], accepted["client"]["phone"] = NAME, PHONE
    rejected = json.loads(json.dumps(accepted))
    rejected["submission_id"] = "rejected-one"
    rejected["measurements"] = "not a list"
    rid = "4bf92f3577b34da6a3ce929d0e0e4736"
    serve_log = tmp_path / "serve.log"
    with serving_quitus(_env(home), serve_log) as (base_url, _):
        for payload in (accepted, rejected):
            answer = httpx.post(
                f"{base_url}/api/v1/reports",
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "X-Request-ID": rid,
                },
                timeout=60,
            )
            assert answer.status_code == 202, answer.text
            assert answer.headers["X-Request-ID"] == rid
    run = subprocess.run(
        [sys.executable, "-m", "quitus.cli", "run", "intake"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "archive 1" in run.stdout

    served = serve_log.read_text()
    lines = [json.loads(line) for line in served.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "quitus.api.access"]
    assert [line["request_id"] for line in access if "POST /api/v1/reports" in str(line["message"])] == [
        rid,
        rid,
    ]
    with sqlite3.connect(home / "prefect" / "prefect.db") as prefect:
        run_logs = prefect.execute("SELECT name, message, flow_run_id FROM log").fetchall()
        events = prefect.execute("SELECT event, resource_id, payload FROM events").fetchall()
    ours = [
        (name, message) for name, message, flow_run in run_logs if name.startswith("workflows") and flow_run
    ]
    assert ("workflows.runtime", "intake run started") in ours, run_logs  # workflows.* INFO in the run's logs
    assert any(event == "quitus.report.rejected" for event, _, _ in events), events

    everything = "\n".join(
        [served, run.stdout, run.stderr]
        + [f"{name} {message}" for name, message, _ in run_logs]
        + [f"{event} {resource} {payload}" for event, resource, payload in events]
    )
    assert _leaks(everything) == []
