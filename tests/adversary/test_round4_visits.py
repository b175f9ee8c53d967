"""Round-4 adversary: planned visits (docs/api.md, *Planned visits*).

Found from the docs and the CLI alone: a technician's "identifier" may be an e-mail address,
a surname or a phone number, which then sits in the signed ledger for good; and the plan of a
visit shows a restricted report's personal data to the planner with no justification.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, process, valid_samples
from tests.cli_runner import run_quitus, serving_quitus

pytestmark = pytest.mark.slow


def _unfinished_report(tmp_path: Path) -> tuple[Path, str, dict[str, object]]:
    home = new_home(tmp_path)
    sample = valid_samples(1, unfinished=True, seed=12, category="pompe_a_chaleur")[0]
    # a heat pump: fr.fluides-frigorigenes (a legal obligation) keeps it, so an erasure restricts it
    assert sample.payload["equipment"]["category"] == "pompe_a_chaleur", sample.payload["equipment"]
    [report_id] = ingest_payloads(home, [sample.payload], tmp_path / "inbox")
    process(home)
    return home, report_id, sample.payload


def _ledger_text(home: Path) -> str:
    with sqlite3.connect(home / "quitus.db") as db:
        return "\n".join(row[0] for row in db.execute("SELECT entry FROM ledger_entries"))


@pytest.mark.parametrize("technician", ["jeanne.leroy@exemple.fr", "Dupont", "0611223344"])
def test_a_technician_identifier_that_is_personal_data_never_reaches_the_ledger(
    tmp_path: Path, technician: str
) -> None:
    """Found by the round-4 adversary; fixed by 53db3dc (enabled technician accounts only)."""
    home, report_id, _ = _unfinished_report(tmp_path)
    planned = run_quitus(
        home, "--as", "plan-1", "visits", "plan", report_id, "--day", "2030-01-07", "--technician", technician
    )
    listed = run_quitus(home, "visits", "list", "--from", "2030-01-01", "--status", "all", "--json")
    # refused like `users add` refuses such a handle (docs/api.md: "technicians are identifiers";
    # "User handles are staff identifiers (tech-042), never people's names")
    assert planned.returncode != 0, planned.stdout
    assert technician not in _ledger_text(home)
    assert technician not in listed.stdout


def _token(home: Path, handle: str, role: str) -> str:
    assert run_quitus(home, "users", "add", handle, "--role", role).returncode == 0
    created = run_quitus(home, "tokens", "create", handle, "--label", "adversary")
    match = re.search(r"qt_[A-Za-z0-9_-]+", created.stdout + created.stderr)
    assert match, created.stdout + created.stderr
    return match.group(0)


def test_the_plan_of_a_restricted_report_needs_a_justification(tmp_path: Path) -> None:
    """Found by the round-4 adversary (the planner read a restricted report's client through the
    plan); fixed meanwhile by e33b96c (409 visit_refused): kept as its regression test."""
    home, report_id, payload = _unfinished_report(tmp_path)
    client = payload["client"]
    assert isinstance(client, dict)
    planner = _token(home, "plan-1", "planner")
    officer = _token(home, "dpo-1", "compliance")
    _token(home, "tech-1", "technician")
    planned = run_quitus(
        home,
        "--as",
        "plan-1",
        "visits",
        "plan",
        report_id,
        "--day",
        "2030-01-07",
        "--technician",
        "tech-1",
        "--json",
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    visit_id = json.loads(planned.stdout)["visit"]["id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    with serving_quitus(env, tmp_path / "serve.log") as (base, _):
        api = f"{base}/api/v1"
        erased = httpx.post(
            f"{api}/subjects/erase",
            json={"name": client["name"], "confirm": True},
            headers={"Authorization": f"Bearer {officer}"},
            timeout=60,
        )
        assert erased.status_code == 200, erased.text
        assert erased.json()["outcomes"][0]["result"] == "restricted", erased.text
        content = httpx.get(
            f"{api}/reports/{report_id}/content", headers={"Authorization": f"Bearer {officer}"}, timeout=30
        )
        assert content.status_code == 403, content.text  # the rule the plan should follow
        plan = httpx.get(
            f"{api}/visits/{visit_id}", headers={"Authorization": f"Bearer {planner}"}, timeout=30
        )
    assert plan.status_code in (403, 409, 410), plan.text[:300]  # refused, whichever way
    assert client["name"] not in plan.text


def test_a_visit_team_edited_beside_the_ledger_opens_no_plan(tmp_path: Path) -> None:
    """Found by the round-4 adversary: the edited crew opened the plan to another technician and
    `audit verify` said intact. Fixed by storage/visit_integrity.py (the signed team decides)."""
    home = new_home(tmp_path)
    sample = valid_samples(1, unfinished=True, seed=12)[0]
    [report_id] = ingest_payloads(home, [sample.payload], tmp_path / "inbox")
    process(home)
    _token(home, "tech-2", "technician")
    intruder = _token(home, "tech-1", "technician")
    planned = run_quitus(
        home,
        "--as",
        "plan-1",
        "visits",
        "plan",
        report_id,
        "--day",
        "2030-01-07",
        "--technician",
        "tech-2",
        "--json",
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    visit_id = json.loads(planned.stdout)["visit"]["id"]
    with sqlite3.connect(home / "quitus.db") as db:
        db.execute(
            "UPDATE planned_visits SET technicians = ? WHERE id = ?", (json.dumps(["tech-1"]), visit_id)
        )
    verify = run_quitus(home, "audit", "verify", "--skip-blobs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    with serving_quitus(env, tmp_path / "serve.log") as (base, _):
        plan = httpx.get(
            f"{base}/api/v1/visits/{visit_id}", headers={"Authorization": f"Bearer {intruder}"}, timeout=30
        )
    assert plan.status_code == 404, plan.text[:300]  # not theirs by the signed visit.plan entry
    assert verify.returncode == 1, verify.stdout
