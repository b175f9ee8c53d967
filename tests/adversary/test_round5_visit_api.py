"""Round-5 adversary: the visit API's reads of a plan, as a load balancer's probe makes them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, valid_samples
from tests.cli_runner import run_quitus, serving_quitus

pytestmark = pytest.mark.slow


def _reads(home: Path) -> int:
    with sqlite3.connect(home / "quitus.db") as db:
        (count,) = db.execute("SELECT count(*) FROM ledger_entries WHERE step = 'read'").fetchone()
    return int(count)


def test_head_on_a_visit_plan_records_no_read(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    assert run_quitus(home, "users", "add", "tech-001", "--role", "technician").returncode == 0
    assert run_quitus(home, "users", "add", "plan-01", "--role", "planner").returncode == 0
    created = run_quitus(home, "tokens", "create", "plan-01", "--label", "bureau")
    match = re.search(r"qt_[A-Za-z0-9_-]+", created.stdout)
    assert match, created.stdout + created.stderr
    token = match.group(0)
    (unfinished,) = valid_samples(1, unfinished=True)
    ingest_payloads(home, [unfinished.payload], tmp_path / "in")
    number = json.loads(run_quitus(home, "reports", "list", "--json").stdout)["reports"][0]["number"]
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    planned = run_quitus(home, "visits", "plan", number, "--day", day, "--technician", "tech-001", "--json")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    visit_id = json.loads(planned.stdout)["visit"]["id"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    with serving_quitus(env, tmp_path / "serve.log") as (base_url, _process):
        before = _reads(home)
        head = httpx.head(
            f"{base_url}/api/v1/visits/{visit_id}", headers={"Authorization": f"Bearer {token}"}
        )
        after = _reads(home)
    assert after == before, f"HEAD answered {head.status_code} and recorded {after - before} read(s)"
    assert head.status_code == 405
