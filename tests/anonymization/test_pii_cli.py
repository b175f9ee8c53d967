"""``quitus pii detect`` and ``quitus pii redact``: the contract other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anonymization.engine import PiiEngine
from quitus.commands.pii import app


@pytest.fixture
def runner(pii_engine: PiiEngine) -> CliRunner:
    """The model is already loaded (session fixture): the commands reuse the process-wide cache."""
    return CliRunner()


def test_detect_writes_one_line_per_input_line_with_offsets(runner: CliRunner, tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": "Rappeler Mme Leroy au 06 12 34 56 78."},
        {"id": "b", "text": ""},
        {"id": "c", "text": "Chaudière Saunier Duval ThemaPlus Condens F25, 1,2 bar."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    result = runner.invoke(app, ["detect", str(source)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[1]["entities"] == [] and out[2]["entities"] == []
    text = lines[0]["text"]
    assert [(e["type"], text[e["start"] : e["end"]]) for e in out[0]["entities"]] == [
        ("PERSON", "Leroy"),
        ("PHONE_NUMBER", "06 12 34 56 78"),
    ]
    assert all(
        set(e) == {"type", "start", "end", "score"} and 0 < e["score"] <= 1 for e in out[0]["entities"]
    )


def test_detect_reads_stdin_and_reports_bad_lines_without_stopping(runner: CliRunner) -> None:
    stdin = "\n".join(
        [
            '{"id": "1", "text": "tél 06 12 34 56 78"}',
            "this is not json",
            '{"id": 2, "text": "id is a number"}',
            '{"id": "3"}',
            '["not", "an", "object"]',
            '{"id": "4", "text": "Mail : jean.dupont@orange.fr"}',
        ]
    )
    result = runner.invoke(app, ["detect", "-"], input=stdin)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o.get("id") for o in out] == ["1", None, None, "3", None, "4"]
    assert [o.get("line") for o in out] == [None, 2, 3, 4, 5, None]
    assert "not JSON" in out[1]["error"] and '"text" must be a string' in out[3]["error"]
    assert out[5]["entities"][0]["type"] == "EMAIL_ADDRESS"
    assert "this is not json" not in result.output  # errors never echo the input


def test_detect_on_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_redact_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["redact"], input="Clés chez M. Martin, 12 rue des Lilas. Fluide R32, 1,2 kg.\n"
    )
    assert result.exit_code == 0
    assert result.stdout == "Clés chez M. <PERSONNE_1>, <ADRESSE_1>. Fluide R32, 1,2 kg.\n"


def test_redact_can_mask(runner: CliRunner) -> None:
    result = runner.invoke(app, ["redact", "--mask", "PHONE_NUMBER"], input="au 06 12 34 56 78")
    assert result.stdout == "au 06 •• •• •• 78"
    bad = runner.invoke(app, ["redact", "--mask", "PERSON"], input="x")
    assert bad.exit_code == 2 and "cannot mask" in bad.output
