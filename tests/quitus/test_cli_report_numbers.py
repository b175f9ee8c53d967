"""Report numbers from the command line: a number edited in the database is tampering, and
every command that names a report takes its number as well as its id."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    """An installation with four accepted reports: (id, number) of each."""
    root = tmp_path_factory.mktemp("numbers")
    home = root / "home"
    assert quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 4, seed=9, invalid_share=0, unfinished_share=0, photo_size=(96, 64)
    )
    for index, sample in enumerate(samples):
        (inbox / f"{index}.json").write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    ingested = quitus(home, "ingest", "--format", "jsonl", str(inbox))
    assert ingested.returncode == 0, ingested.stderr
    rows = [json.loads(line) for line in ingested.stdout.splitlines()]
    reports = [(row["report_id"], row["number"]) for row in rows]
    assert all(number and number.startswith("RI-") and len(number) == 14 for _, number in reports)
    return home, reports


def test_a_number_changed_with_sqlite3_is_named_by_audit_verify(
    numbered: tuple[Path, list[tuple[str, str]]],
) -> None:
    home, reports = numbered
    report_id, number = reports[0]
    assert quitus(home, "audit", "verify").returncode == 0
    with sqlite3.connect(home / "quitus.db") as connection:
        connection.execute("UPDATE reports SET number = 'RI-2026-999999' WHERE id = ?", (report_id,))
    try:
        result = quitus(home, "audit", "verify")
        assert result.returncode == 1
        [line] = [line for line in result.stderr.splitlines() if "RI-2026-999999" in line]
        assert line.startswith("TAMPERED:")
        assert report_id in line and number in line
    finally:
        with sqlite3.connect(home / "quitus.db") as connection:
            connection.execute("UPDATE reports SET number = ? WHERE id = ?", (number, report_id))
    assert quitus(home, "audit", "verify").returncode == 0


def test_retention_commands_take_a_number_and_show_numbers(
    numbered: tuple[Path, list[tuple[str, str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, reports = numbered
    (held_id, held_number), *others = reports
    placed = quitus(home, "holds", "place", "--reason", "RG-2026-7", "--report", held_number)
    assert placed.returncode == 0, placed.stderr
    plan = quitus(home, "retention", "plan", "--at", "2100-01-01")
    assert f"{held_number}  HELD" in plan.stdout
    assert held_id not in plan.stdout  # people read numbers; the id is in --json
    planned = json.loads(quitus(home, "retention", "plan", "--at", "2100-01-01", "--json").stdout)
    assert {(i["report_id"], i["number"]) for i in planned["items"]} == set(reports)
    shredded = [
        (report_id, number)
        for report_id, number in others
        if quitus(home, "reports", "shred", number, "--reason", "subject_request", "--yes").returncode == 0
    ]
    assert shredded, "no report of the installation could be shredded"
    erased_id, erased_number = shredded[0]
    target = tmp_path / "c.pdf"
    written = quitus(home, "retention", "certificate", erased_number, "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith(f"{erased_number}: certificat-disposition.pdf")
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert erased_number in text and erased_id in text
    # by default the file is named by the number
    monkeypatch.chdir(tmp_path)
    default = quitus(home, "retention", "certificate", erased_id)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / f"{erased_number}-certificat.pdf").read_bytes() == target.read_bytes()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    table = quitus(home, "retention", "disposed", "--since", today).stdout
    assert erased_number in table and erased_id not in table
    register = json.loads(quitus(home, "retention", "disposed", "--since", today, "--format", "json").stdout)
    assert {(r["report_id"], r["number"]) for r in register} == set(shredded)
    unknown = quitus(home, "retention", "certificate", "RI-2026-999999")
    assert unknown.returncode == 3 and "no report RI-2026-999999" in unknown.stderr


def test_explain_and_proof_export_take_a_number(
    numbered: tuple[Path, list[tuple[str, str]]], tmp_path: Path
) -> None:
    home, reports = numbered
    # reports[0] has its number edited by another test; the erasable ones may be shredded by
    # another: a report under a legal obligation stays (tests share the installation)
    kept = [
        r
        for r in reports[1:]
        if json.loads(quitus(home, "reports", "show", r[0], "--json").stdout)["state"] != "erased"
    ]
    report_id, number = kept[0]
    explained = quitus(home, "policies", "explain", number)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith(f"{number} — ") and report_id not in explained.stdout
    as_json = json.loads(quitus(home, "policies", "explain", number, "--json").stdout)
    assert (as_json["report_id"], as_json["number"]) == (report_id, number)
    bundle = tmp_path / "proof.zip"
    exported = quitus(home, "proof", "export", number, "-o", str(bundle), "--no-documents")
    assert exported.returncode == 0, exported.stderr
    fingerprint = exported.stdout.rsplit("--fingerprint ", 1)[1].split("`")[0]
    verified = quitus(home, "proof", "verify", str(bundle), "--fingerprint", fingerprint, "--json")
    assert json.loads(verified.stdout)["report_id"] == report_id, verified.stderr
    assert quitus(home, "policies", "explain", "RI-2026-999999").returncode == 3


def test_a_followup_is_named_by_its_number(numbered: tuple[Path, list[tuple[str, str]]]) -> None:
    home, _ = numbered
    unknown = quitus(home, "reports", "followup", "RI-2026-999999", "--status", "closed")
    assert unknown.returncode == 3 and "no report RI-2026-999999" in unknown.stderr
    listed = json.loads(quitus(home, "reports", "reschedule", "--status", "all", "--json").stdout)
    assert all("number" in f for f in listed["followups"])
