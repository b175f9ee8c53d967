"""Round-5 adversary: planned visits closed or annotated by someone they are not for."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow


def _home_with_planned_visit(tmp_path: Path) -> tuple[Path, str, str]:
    """A home with one accepted unfinished report and its visit planned for tech-001.

    Returns the home, the unfinished report's number and the visit id."""
    home = new_home(tmp_path)
    for handle in ("tech-001", "tech-002"):
        assert run_quitus(home, "users", "add", handle, "--role", "technician").returncode == 0
    (unfinished,) = valid_samples(1, unfinished=True)
    ingest_payloads(home, [unfinished.payload], tmp_path / "first")
    listed = run_quitus(home, "reports", "list", "--json")
    number = json.loads(listed.stdout)["reports"][0]["number"]
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    planned = run_quitus(
        home, "visits", "plan", number, "--day", day, "--slot", "matin", "--technician", "tech-001", "--json"
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    visit_id = json.loads(planned.stdout)["visit"]["id"]
    return home, number, visit_id


def _visit(home: Path, visit_id: str) -> dict[str, Any]:
    listed = run_quitus(home, "visits", "list", "--status", "all", "--from", "2000-01-01", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    (visit,) = [v for v in json.loads(listed.stdout)["visits"] if v["id"] == visit_id]
    return dict(visit)


def test_a_technician_not_on_the_visit_cannot_close_it(tmp_path: Path) -> None:
    home, number, visit_id = _home_with_planned_visit(tmp_path)
    (other,) = [
        s
        for s in valid_samples(6, unfinished=False)
        if s.payload["equipment"]["category"] != _visit(home, visit_id)["template"].split(".")[0]
    ][:1]
    payload = json.loads(json.dumps(other.payload))
    payload["submission_id"] = str(uuid.uuid4())
    payload["continues"] = number
    payload["technician"]["id"] = "tech-002"
    folder = tmp_path / "other"
    folder.mkdir()
    path = folder / "suite.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    sent = run_quitus(home, "--as", "tech-002", "ingest", str(path))
    assert "accepted" in sent.stdout, sent.stdout + sent.stderr

    visit = _visit(home, visit_id)
    # The visit is tech-001's, of another kind of intervention: tech-002's report must not close it.
    assert visit["status"] == "planned", visit
    assert visit["continued_by_report_id"] is None, visit


@pytest.mark.parametrize("reason", ["jean.dupont@exemple.fr", "06.12.34.56.78"])
def test_a_cancel_reason_that_is_personal_data_never_reaches_the_ledger(tmp_path: Path, reason: str) -> None:
    home, _number, visit_id = _home_with_planned_visit(tmp_path)
    cancelled = run_quitus(home, "visits", "cancel", visit_id, "--reason", reason)
    with sqlite3.connect(home / "quitus.db") as db:
        entries = [
            row[0] for row in db.execute("SELECT entry FROM ledger_entries WHERE step = 'visit.cancel'")
        ]
    assert not any(reason in entry for entry in entries), entries
    # Refused as an unknown reason code (docs/web.md: à la demande du client, à replanifier autrement,
    # plus nécessaire), without quoting it, and not a crash.
    assert cancelled.returncode not in (0, 5), cancelled.stdout + cancelled.stderr
    assert reason not in cancelled.stdout + cancelled.stderr
