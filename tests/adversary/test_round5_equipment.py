"""Round-5 adversary: the equipment register, edited beside the ledger or imported from odd files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.adversary.round4_support import ingest_payloads, new_home, valid_samples
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow

HEADER = "category,brand,model,serial_number,installed_year\n"


def _home_with_a_unit(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A home with one accepted report naming a serial number: its unit is in the register."""
    home = new_home(tmp_path)
    (sample,) = [s for s in valid_samples(8) if s.payload["equipment"].get("serial_number")][:1]
    ingest_payloads(home, [sample.payload], tmp_path / "in")
    equipment = sample.payload["equipment"]
    unit = {
        "category": equipment["category"],
        "brand": equipment["brand"],
        "model": equipment["model"],
        "serial": equipment["serial_number"],
    }
    return home, unit


def _history(home: Path, unit: dict[str, str]) -> str:
    result = run_quitus(
        home,
        "equipment",
        "history",
        "--category",
        unit["category"],
        "--brand",
        unit["brand"],
        "--model",
        unit["model"],
        "--serial",
        unit["serial"],
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE equipment_interventions SET outcome = 'unfinished', day = '2020-01-01'",
        "DELETE FROM equipment_interventions",
        "UPDATE equipment SET unit_digest = 'f' || substr(unit_digest, 2)",
    ],
    ids=["outcome-and-day", "row-deleted", "unit-moved"],
)
def test_an_edited_equipment_history_is_seen_by_audit_verify(tmp_path: Path, edit: str) -> None:
    home, unit = _home_with_a_unit(tmp_path)
    before = _history(home, unit)
    assert "terminée" in before or "non terminée" in before, before
    assert run_quitus(home, "audit", "verify").returncode == 0

    with sqlite3.connect(home / "quitus.db") as db:
        db.execute(edit)
    assert _history(home, unit) != before  # the edit changed what the register answers

    verified = run_quitus(home, "audit", "verify")
    assert verified.returncode == 1, verified.stdout + verified.stderr


def test_an_import_row_with_an_extra_column_is_refused(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    csv = tmp_path / "parc.csv"
    csv.write_text(
        HEADER
        + "chaudiere_gaz,Saunier Duval,ThemaPlus Condens F25,SD-2019-1,2019,Mme Dupont 06 12 34 56 78\n"
    )
    result = run_quitus(home, "equipment", "import", str(csv))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dupont" not in result.stdout + result.stderr
    assert "06 12" not in result.stdout + result.stderr


def test_an_import_file_with_a_huge_field_is_refused_not_a_crash(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    csv = tmp_path / "parc.csv"
    csv.write_text(HEADER + "chaudiere_gaz," + "A" * 200_000 + ",ThemaPlus,SD-1,2019\n")
    result = run_quitus(home, "equipment", "import", str(csv))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "internal error" not in result.stdout + result.stderr
