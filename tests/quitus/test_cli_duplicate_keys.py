"""A key written twice in a YAML file is a validation error at the command line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run_quitus

quitus = run_quitus

POLICY = """\
id: acme.garantie
title: Garantie
legal_basis:
  text: Preuve de la garantie.
  references: [Code civil art. 1792]
duration: P5Y
trigger:
  kind: intervention_date
action: delete
duration: P10Y
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = quitus(tmp_path / "home", "init")
    assert result.returncode == 0, result.stderr
    return tmp_path / "home"


def test_policies_validate_names_the_key_written_twice(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "proposed"
    folder.mkdir()
    (folder / "garantie.yaml").write_text(POLICY, encoding="utf-8")
    result = quitus(home, "policies", "validate", str(folder))
    assert result.returncode == 1, result.stderr
    assert "garantie.yaml:10:1: duplicate key 'duration' (first at line 6): remove one" in result.stdout
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_template_with_a_key_written_twice_is_an_error_not_a_crash(home: Path) -> None:
    (home / "templates").mkdir(exist_ok=True)
    (home / "templates" / "vmc.entretien.yaml").write_text(
        "id: vmc.entretien\ntitle: Entretien VMC\nequipment_category: vmc\n"
        "intervention_type: entretien\ntitle: Autre\n",
        encoding="utf-8",
    )
    result = quitus(home, "templates", "list")
    assert result.returncode == 1  # the file is listed as broken; the other templates still work
    assert "vmc.entretien.yaml:5:1: duplicate key 'title' (first at line 2): remove one" in result.stdout
    assert "chaudiere_gaz.entretien_annuel" in result.stdout
    assert "internal error" not in result.stderr
