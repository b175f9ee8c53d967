"""Round-4 adversary: report numbers (docs/company.md) edited beside the ledger.

An intruder with the database file (not the key folder) swaps the ``number`` of two reports.
`audit verify` sees it, but `reports shred RI-2026-000001` — the number a client's request
names — destroys the report the ledger numbered RI-2026-000002, and its signed certificate of
disposition and the register of disposed items name it RI-2026-000001. The disposal gate
refuses every purpose "as tampered first" (docs/retention.md) but does not compare the number.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, process, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow


def _state(home: Path, report_id: str) -> str:
    shown = run_quitus(home, "reports", "show", report_id, "--json")
    state: str = json.loads(shown.stdout)["state"]
    return state


def test_a_shred_by_number_refuses_a_number_edited_beside_the_ledger(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    samples = valid_samples(2, unfinished=False, category="chaudiere_gaz")  # no legal obligation: erasable
    first, second = ingest_payloads(home, [s.payload for s in samples], tmp_path / "inbox")
    process(home)
    assert (
        json.loads(run_quitus(home, "reports", "show", first, "--json").stdout)["number"] == "RI-2026-000001"
    )
    with sqlite3.connect(home / "quitus.db") as db:
        db.execute("UPDATE reports SET number = 'RI-2026-999999' WHERE id = ?", (first,))
        db.execute("UPDATE reports SET number = 'RI-2026-000001' WHERE id = ?", (second,))
        db.execute("UPDATE reports SET number = 'RI-2026-000002' WHERE id = ?", (first,))
    verify = run_quitus(home, "audit", "verify", "--skip-blobs")
    assert verify.returncode == 1 and "number" in verify.stdout + verify.stderr  # audit verify sees it

    shred = run_quitus(home, "--as", "dpo-1", "reports", "shred", "RI-2026-000001", "--yes")

    assert shred.returncode != 0, shred.stdout  # refused as tampered, like any other edited fact
    assert _state(home, second) == "archived"
    assert _state(home, first) == "archived"


@pytest.mark.parametrize("edit", ["last = last + 4", "last = 0"])
def test_a_number_counter_edited_beside_the_ledger_is_reported_as_tampering(
    tmp_path: Path, edit: str
) -> None:
    home = new_home(tmp_path)
    samples = valid_samples(2, unfinished=False, category="chaudiere_gaz")
    ingest_payloads(home, [samples[0].payload], tmp_path / "inbox-1")
    process(home)
    with sqlite3.connect(home / "quitus.db") as db:
        db.execute(f"UPDATE report_number_counters SET {edit}")
    ingest_payloads(home, [samples[1].payload], tmp_path / "inbox-2")
    run_quitus(home, "process")
    numbers = json.loads(run_quitus(home, "reports", "list", "--json").stdout)["reports"]
    series = sorted(r["number"] for r in numbers if r["number"])

    verify = run_quitus(home, "audit", "verify", "--skip-blobs")

    # the ledger's validate entries number 1 and then 5 (a gap), or a second report cannot be
    # accepted at all: either way the counter is not what the ledger says it is
    assert series != ["RI-2026-000001", "RI-2026-000002"]
    assert verify.returncode == 1, verify.stdout
