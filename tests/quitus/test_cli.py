"""The command line as a user runs it: real processes, a fresh QUITUS_HOME each time."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quitus import __version__
from quitus.cli_support import report_json_schema
from tests.cli_runner import run_quitus

ROOT = Path(__file__).resolve().parents[2]


quitus = run_quitus


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = quitus(tmp_path / "home", "init")
    assert result.returncode == 0, result.stderr
    return tmp_path / "home"


def test_help_is_fast_because_nothing_heavy_is_imported() -> None:
    code = (
        "import sys, quitus.cli; heavy = {'sqlalchemy', 'PIL', 'pypdf', 'reportlab', 'prefect', 'spacy', "
        "'faker', 'cryptography'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_init_is_idempotent_and_says_what_it_created(tmp_path: Path) -> None:
    first = quitus(tmp_path / "h", "init")
    assert "kek.key" in first.stdout and first.returncode == 0
    second = quitus(tmp_path / "h", "init")
    assert second.returncode == 0 and "kek.key" not in second.stdout


def test_commands_before_init_say_to_run_init(tmp_path: Path) -> None:
    result = quitus(tmp_path / "never", "reports", "list")
    assert result.returncode == 2
    assert "quitus init" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_a_hand_made_bad_file_prints_a_precise_error(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"submission_id": "t-1", "company": {"name": "X"}, "arrival": "hier"}', encoding="utf-8")
    result = quitus(home, "ingest", str(bad))
    assert result.returncode == 1
    assert "rejected" in result.stdout
    assert "client: required field is missing [missing]" in result.stdout
    assert "arrival: " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ingest_mixed_inputs_keeps_going(home: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_bytes(b"\xff\xfe garbage")
    (tmp_path / "in" / "b.pdf").write_bytes(b"%PDF-1.4 not really")
    result = quitus(home, "ingest", str(tmp_path / "in"), str(tmp_path / "missing.json"))
    assert result.returncode == 1
    assert "not UTF-8" in result.stdout
    assert "pdf_corrupt" in result.stdout or "not_a_form" in result.stdout
    assert "missing.json: no such file or folder" in result.stderr
    assert "0 accepted, 2 rejected, 1 unreadable" in result.stdout


def test_ingest_from_stdin_as_jsonl(home: Path) -> None:
    result = quitus(home, "ingest", "--format", "jsonl", "-", stdin=b'{"submission_id": "s"}')
    assert result.returncode == 1
    line = json.loads(result.stdout.splitlines()[0])
    assert line["state"] == "rejected" and line["report_id"].startswith("RI-")
    listed = quitus(home, "reports", "show", line["report_id"])
    # The company is not asked of the sender (the server sets it): the client is still missing.
    assert "rejected" in listed.stdout and "client: required field is missing" in listed.stdout
    assert "company:" not in listed.stdout


def test_reports_show_unknown_id(home: Path) -> None:
    result = quitus(home, "reports", "show", "RI-NOPE")
    assert result.returncode == 3 and "no report RI-NOPE" in result.stderr


def test_forms_blank_writes_a_pdf_and_refuses_an_unknown_template(home: Path, tmp_path: Path) -> None:
    ok = quitus(home, "forms", "blank", "tableau_electrique.controle", "-o", str(tmp_path / "f.pdf"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    bad = quitus(home, "forms", "blank", "nope.nope", "-o", str(tmp_path / "g.pdf"))
    assert bad.returncode == 2 and "known templates" in bad.stderr
    assert not (tmp_path / "g.pdf").exists()


def test_bad_setting_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "QUITUS_HOME": str(tmp_path), "QUITUS_PHOTO_MAX_BYTES": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", "quitus.cli", "templates", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "QUITUS_PHOTO_MAX_BYTES" in result.stderr


def test_published_json_schema_matches_the_code() -> None:
    published = (ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8")
    assert published == report_json_schema(), "run: quitus schema -o docs/report.schema.json"
    assert '"x-personal-data": "contact"' in published


def test_version_is_printed_by_the_command_and_by_python_m(tmp_path: Path) -> None:
    """One version, in quitus/__init__.py: the package metadata, --version and python -m agree."""
    assert importlib.metadata.version("quitus") == __version__
    shown = run_quitus(tmp_path / "home", "--version")
    assert shown.returncode == 0 and shown.stdout == f"quitus {__version__}\n"
    as_module = subprocess.run(
        [sys.executable, "-m", "quitus", "--version"], capture_output=True, text=True, check=False
    )
    assert as_module.returncode == 0 and as_module.stdout == f"quitus {__version__}\n"
    assert not (tmp_path / "home").exists()  # printing the version touches no home


def test_an_unknown_setting_is_refused_with_the_one_it_was_meant_to_be(tmp_path: Path) -> None:
    """A typo must not silently leave a feature off (QUITUS_SMTP_HOTS: no e-mail at all)."""
    env = {**os.environ, "QUITUS_HOME": str(tmp_path), "QUITUS_SMTP_HOTS": "smtp.example"}
    result = subprocess.run(
        [sys.executable, "-m", "quitus.cli", "templates", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "QUITUS_SMTP_HOTS: no such setting (did you mean QUITUS_SMTP_HOST?)" in result.stderr
