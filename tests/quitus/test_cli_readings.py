"""``quitus reports show --reveal`` prints each reading with its verdict (issue 18)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_runner import run_quitus
from tests.reports.test_readings import boiler


def test_reports_show_prints_the_readings_as_judged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    shutdown = {"status": "fait", "comment": "Chaudière arrêtée, occupant informé, aérer le logement."}
    report = tmp_path / "co.json"
    report.write_text(json.dumps(boiler("62", shutdown=shutdown), ensure_ascii=False), encoding="utf-8")
    ingested = run_quitus(home, "ingest", str(report))
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    report_id = re.search(r"RI-[\w-]+", ingested.stdout)
    assert report_id, ingested.stdout
    shown = run_quitus(home, "reports", "show", report_id.group(0), "--reveal")
    assert shown.returncode == 0, shown.stderr
    readings = shown.stdout[shown.stdout.index("\nreadings\n") :]
    assert re.search(r"co_ambiant = 62 ppm  ✗ hors plage; ✗ seuil > 50 ppm : Danger grave", readings), (
        readings
    )
    assert "dans la plage" in readings  # the other readings, judged the same way
