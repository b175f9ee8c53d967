"""Round-4 adversary: the database rolled back to a copy from before a legal hold.

The intruder has the database file, not the key folder: they restore yesterday's copy, which
lifts a hold placed since. `retention run` sees the rollback against ``checkpoints.log`` and
refuses (this held). But `retention plan` — the DPO's dry run, which docs/retention.md says
makes "the same comparison" as the gate — lists the held reports as simply **due**, with no
hold, no TAMPERED mark, exit 0: the officer reading it is told they will be anonymized tonight.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, process, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow


def _rolled_back_home(tmp_path: Path) -> tuple[Path, str]:
    home = new_home(tmp_path)
    sample = valid_samples(1, unfinished=False, category="chaudiere_gaz", day="2014-01-15")[0]
    [report_id] = ingest_payloads(home, [sample.payload], tmp_path / "inbox")  # due since 2019
    process(home)
    database = home / "quitus.db"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(database, tmp_path / "yesterday.db")
    held = run_quitus(
        home, "--as", "dpo-1", "holds", "place", "--reason", "Contentieux RG-2026-118", "--report", report_id
    )
    assert held.returncode == 0, held.stderr
    shutil.copyfile(tmp_path / "yesterday.db", database)
    for suffix in ("-wal", "-shm"):
        (home / f"quitus.db{suffix}").unlink(missing_ok=True)
    return home, report_id


def test_the_run_refuses_a_rolled_back_database(tmp_path: Path) -> None:
    """What held: the run sees the rollback and disposes of nothing."""
    home, report_id = _rolled_back_home(tmp_path)
    run = run_quitus(home, "retention", "run")
    assert run.returncode != 0
    assert json.loads(run_quitus(home, "reports", "show", report_id, "--json").stdout)["state"] == "archived"


def test_the_plan_of_a_rolled_back_database_shows_no_report_as_simply_due(tmp_path: Path) -> None:
    home, report_id = _rolled_back_home(tmp_path)
    plan = run_quitus(home, "retention", "plan", "--json")
    statuses = {
        item["report_id"]: item["status"] for item in json.loads(plan.stdout or "{}").get("items", [])
    }
    assert plan.returncode != 0 or statuses.get(report_id) != "due", plan.stdout
