"""``quitus equipment import|history`` as an operator runs them (real subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quitus.exit_codes import ExitCode
from tests.api_client import sample_reports
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow  # a few quitus processes


def test_import_then_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    sample = sample_reports(1, seed=23)[0]
    unit = {**sample.payload["equipment"], "serial_number": "SN-CLI-7"}
    csv = tmp_path / "parc.csv"
    csv.write_text(
        "category;brand;model;serial_number;installed_year\n"
        f"{unit['category']};{unit['brand']};{unit['model']};SN-CLI-7;2015\n"
        "pompe_a_chaleur;Daikin;Altherma 3 H;DK-1;\n",
        encoding="utf-8",
    )
    first = run_quitus(home, "equipment", "import", str(csv))
    assert first.returncode == 0 and "imported 2 unit(s); 0 already known" in first.stdout, first.stderr
    again = run_quitus(home, "equipment", "import", str(csv))
    assert "imported 0 unit(s); 2 already known" in again.stdout
    lookup = [
        "equipment",
        "history",
        "--category",
        unit["category"],
        "--brand",
        unit["brand"],
        "--model",
        unit["model"],
        "--serial",
        "SN-CLI-7",
    ]
    assert run_quitus(home, *lookup).returncode == ExitCode.NOT_FOUND  # imported, no report yet
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "r.json").write_text(json.dumps({**sample.payload, "equipment": unit}), encoding="utf-8")
    ingested = json.loads(run_quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()[0])
    shown = run_quitus(home, *lookup)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Dernière intervention : ") and ingested["number"] in shown.stdout

    bad = tmp_path / "clients.csv"
    bad.write_text(
        "category,brand,model,serial_number,proprietaire\nchaudiere_gaz,A,B,C,Mme Dupont\n", encoding="utf-8"
    )
    refused = run_quitus(home, "equipment", "import", str(bad))
    assert refused.returncode == ExitCode.REJECTED
    assert "column(s) 5 are not equipment columns" in refused.stderr and "Dupont" not in refused.stderr
