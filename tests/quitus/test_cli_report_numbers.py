"""Report numbers from the command line: a number edited in the database is tampering, and
every command that names a report takes its number as well as its id."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    """An installation with two accepted reports: (id, number) of each."""
    root = tmp_path_factory.mktemp("numbers")
    home = root / "home"
    assert quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), 2, seed=5, invalid_share=0, photo_size=(96, 64))
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
