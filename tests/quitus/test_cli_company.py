"""Issue 18, findings 3 and 4, at the command line: ``quitus init --company`` seeds the company
identity, ``quitus company set/show`` keep it (SIRET and logo checked), and reports are listed,
shown and exported by their readable number."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus
from tests.storage.test_company import image_bytes

YEAR = dt.datetime.now(ZoneInfo("Europe/Paris")).year


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = run_quitus(home, "init", "--company", "Thermi'Clim Services")
    assert result.returncode == 0, result.stderr
    return home


def test_init_seeds_the_company_identity_and_company_set_completes_it(home: Path, tmp_path: Path) -> None:
    shown = run_quitus(home, "company", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["name"] == "Thermi'Clim Services"  # not "Entreprise de maintenance"

    bad = run_quitus(home, "company", "set", "--siret", "732 829 320 00075")
    assert bad.returncode == 2
    assert "--siret: 73282932000075 is not a valid SIRET" in bad.stderr

    (tmp_path / "logo.png").write_bytes(image_bytes((300, 120)))
    done = run_quitus(
        home,
        "company",
        "set",
        "--legal-form",
        "SARL",
        "--siret",
        "732 829 320 00074",
        "--address",
        "12 rue du Port, 69007 Lyon",
        "--phone",
        "04 72 00 00 00",
        "--attestation",
        "AC-69-2024-0042",
        "--logo",
        str(tmp_path / "logo.png"),
    )
    assert done.returncode == 0, done.stderr
    identity = json.loads(run_quitus(home, "company", "show", "--json").stdout)
    assert identity["siret"] == "73282932000074"
    assert identity["attestation"] == "AC-69-2024-0042"
    assert (home / "company" / f"logo-{identity['logo_sha256']}.png").is_file()
    text = run_quitus(home, "company", "show").stdout
    assert "SIRET" in text and "73282932000074" in text and "AC-69-2024-0042" in text

    (tmp_path / "big.gif").write_bytes(image_bytes(kind="GIF"))
    refused = run_quitus(home, "company", "set", "--logo", str(tmp_path / "big.gif"))
    assert refused.returncode == 2 and "give a PNG or JPEG file" in refused.stderr

    verified = run_quitus(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_reports_are_listed_and_found_by_their_number(home: Path, tmp_path: Path) -> None:
    samples = generate_samples(TemplateCatalog.load(), 8, seed=3, photo_size=(96, 72))
    valid = [s for s in samples if s.expected == "valid"][:2]
    invalid = [s for s in samples if s.expected != "valid"][:1]
    paths = []
    for index, sample in enumerate([valid[0], *invalid, valid[1]]):
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(sample.payload), encoding="utf-8")
        paths.append(str(path))
    ingested = run_quitus(home, "ingest", "--format", "jsonl", *paths)
    results = [json.loads(line) for line in ingested.stdout.splitlines() if line.startswith("{")]
    numbers = [r["number"] for r in results]
    assert numbers == [f"RI-{YEAR}-000001", None, f"RI-{YEAR}-000002"]  # a rejection takes no number

    listed = run_quitus(home, "reports", "list")
    assert f"RI-{YEAR}-000001" in listed.stdout and f"RI-{YEAR}-000002" in listed.stdout
    shown = run_quitus(home, "reports", "show", f"RI-{YEAR}-000002")
    assert shown.returncode == 0, shown.stderr
    assert results[2]["report_id"] in shown.stdout
    by_id = run_quitus(home, "reports", "show", results[0]["report_id"])
    assert f"RI-{YEAR}-000001" in by_id.stdout
    missing = run_quitus(home, "reports", "show", f"RI-{YEAR}-000009")
    assert missing.returncode == 3 and f"no report RI-{YEAR}-000009" in missing.stderr
