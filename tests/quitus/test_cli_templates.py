"""Templates through real processes (issue 18): units shown as written, a broken file listed
without disabling the others, a template added while ``quitus serve`` runs is seen."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus, serving_quitus

COMPANY_TEMPLATE = """\
id: vmc.entretien
title: Entretien VMC [bold]hebdo[/bold]
equipment_category: vmc
intervention_type: entretien
checklist:
  - id: nettoyage_bouches
    label: Nettoyage des bouches
measurements:
  - id: courant
    label: Courant moteur
    unit: mA
    min: 10
    max: 900
"""

BROKEN_TEMPLATE = """\
id: vmc.depannage
title: Dépannage VMC
equipment_category: vmc
intervention_type: depannage
checklist:
  - id: diagnostic
    label: Diagnostic
    colour: red
measurements:
  - id: debit
    label: Débit
    unit: m3/h
    min: 45
    max: 10
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    return home


def test_templates_show_prints_every_unit_as_written(home: Path) -> None:
    (home / "templates").mkdir(exist_ok=True)
    (home / "templates" / "vmc.entretien.yaml").write_text(COMPANY_TEMPLATE, encoding="utf-8")
    catalog = TemplateCatalog.load(home / "templates")
    for template in catalog:
        shown = run_quitus(home, "templates", "show", template.id)
        assert shown.returncode == 0, shown.stderr
        for m in template.measurements:
            assert f"[{m.unit}]" in shown.stdout, (template.id, m.unit, shown.stdout)
    shown = run_quitus(home, "templates", "show", "vmc.entretien").stdout
    assert "Entretien VMC [bold]hebdo[/bold]" in shown and "[mA] 10..900" in shown
    boiler = run_quitus(home, "templates", "show", "chaudiere_gaz.entretien_annuel").stdout
    assert "seuil > 50 ppm: Danger grave et immédiat" in boiler
    assert "appareil_mis_a_l_arret fait + commentaire" in boiler


def test_a_broken_template_is_listed_and_the_other_commands_still_work(home: Path, tmp_path: Path) -> None:
    (home / "templates").mkdir(exist_ok=True)
    (home / "templates" / "vmc.depannage.yaml").write_text(BROKEN_TEMPLATE, encoding="utf-8")
    listed = run_quitus(home, "templates", "list")
    assert listed.returncode == 1, listed.stderr  # listed, and a script sees it
    assert "chaudiere_gaz.entretien_annuel" in listed.stdout
    assert "vmc.depannage" in listed.stdout and "BROKEN" in listed.stdout
    # both problems of the file, each with its line, in one pass
    assert "vmc.depannage.yaml:8: checklist.0.colour: Extra inputs are not permitted" in listed.stdout
    assert "vmc.depannage.yaml:10: measurements.0: 'min' is greater than 'max'" in listed.stdout

    blank = run_quitus(
        home, "forms", "blank", "chaudiere_gaz.entretien_annuel", "-o", str(tmp_path / "f.pdf")
    )
    assert blank.returncode == 0, blank.stderr
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    followups = run_quitus(home, "reports", "reschedule")
    assert followups.returncode == 0, followups.stderr

    shown = run_quitus(home, "templates", "show", "vmc.depannage")
    assert shown.returncode == 2
    assert "template 'vmc.depannage' is broken; fix" in shown.stderr
    assert "vmc.depannage.yaml:8: checklist.0.colour" in shown.stderr.replace("\n", "")


def test_a_template_added_while_quitus_serve_runs_is_seen(home: Path, tmp_path: Path) -> None:
    for args in (("users", "add", "tech-042", "--role", "technician"),):
        assert run_quitus(home, *args).returncode == 0
    created = run_quitus(home, "tokens", "create", "tech-042", "--label", "test")
    token = created.stdout.strip().splitlines()[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}
    env["QUITUS_HOME"] = str(home)
    with (
        serving_quitus(env, tmp_path / "serve.log") as (base, _),
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
    ):
        assert client.get("/api/v1/templates/vmc.entretien").status_code == 404
        (home / "templates").mkdir(exist_ok=True)
        (home / "templates" / "vmc.entretien.yaml").write_text(COMPANY_TEMPLATE, encoding="utf-8")
        deadline = time.monotonic() + 10
        while (answer := client.get("/api/v1/templates/vmc.entretien")).status_code != 200:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.3)
        assert answer.json()["measurements"][0]["unit"] == "mA"
        assert "vmc.entretien" in {t["id"] for t in client.get("/api/v1/templates").json()}
