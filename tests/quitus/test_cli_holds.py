"""Legal holds from the command line, as a compliance officer places them (and as someone
with the database file might try to lift one)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus
REASON = "Litige Mme Julien, courrier recommandé du 3 mars"


@pytest.fixture
def installation(tmp_path: Path) -> tuple[Path, list[str]]:
    home = tmp_path / "home"
    assert quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 2, seed=9, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    lines = quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    return home, [json.loads(line)["report_id"] for line in lines]


def test_a_hold_with_a_free_text_reason_is_placed_listed_and_kept_encrypted(
    installation: tuple[Path, list[str]],
) -> None:
    home, ids = installation
    placed = quitus(home, "holds", "place", "--reason", REASON, "--report", ids[0])
    assert placed.returncode == 0, placed.stderr
    hold_id = re.search(r"placed (hold-[0-9a-f]+)", placed.stdout)
    assert hold_id is not None and "Julien" not in placed.stdout
    listed = quitus(home, "holds", "list")
    assert listed.returncode == 0 and hold_id.group(1) in listed.stdout and REASON in listed.stdout
    for path in home.rglob("*"):
        if path.is_file():
            assert b"Julien" not in path.read_bytes(), path  # database, WAL, keys, logs


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        pytest.param(
            ["--template", "climatisation.mise_en_servise"],
            "did you mean climatisation.mise_en_service?",
            id="unknown-template",
        ),
        pytest.param(
            ["--email", "personne@nulle-part.example"], "no report matches this person", id="nobody"
        ),
        pytest.param(["--until", "2001-01-01"], "no report matches this query", id="query-matching-nothing"),
    ],
)
def test_a_hold_that_covers_nothing_is_refused_unless_allowed(
    installation: tuple[Path, list[str]], scope: list[str], message: str
) -> None:
    home, _ = installation
    refused = quitus(home, "holds", "place", "--reason", REASON, *scope)
    assert refused.returncode == 1, refused.stderr
    assert message in refused.stderr and "internal error" not in refused.stderr
    assert "personne@" not in refused.stderr
    allowed = quitus(home, "holds", "place", "--reason", REASON, *scope, "--allow-empty")
    if scope[0] == "--template":
        assert allowed.returncode == 1 and message in allowed.stderr  # a typo is never allowed
        assert "known templates:" in allowed.stderr
        assert "no legal hold" in quitus(home, "holds", "list").stdout
    else:
        assert allowed.returncode == 0, allowed.stderr
        assert "placed hold-" in allowed.stdout


def test_deleting_a_hold_row_lifts_nothing_and_audit_verify_reports_it(
    installation: tuple[Path, list[str]],
) -> None:
    home, ids = installation
    placed = quitus(home, "holds", "place", "--reason", REASON, "--report", ids[0])
    assert placed.returncode == 0, placed.stderr
    hold_id = placed.stdout.split()[1].rstrip(":")
    assert quitus(home, "audit", "verify").returncode == 0
    with sqlite3.connect(home / "quitus.db") as connection:
        connection.execute("DELETE FROM legal_holds")
    connection.close()

    verified = quitus(home, "audit", "verify")
    assert verified.returncode == 1
    assert f"legal hold {hold_id}: placed by ledger entry" in verified.stderr
    assert "row was deleted from legal_holds" in verified.stderr
    plan = quitus(home, "retention", "plan", "--at", "2070-01-01")
    number = json.loads(quitus(home, "reports", "show", ids[0], "--json").stdout)["number"]
    assert f"{number}  HELD {hold_id}" in plan.stdout
    assert hold_id in quitus(home, "holds", "list").stdout
    release = quitus(home, "holds", "release", hold_id)
    assert release.returncode == 1 and "audit verify" in release.stderr
