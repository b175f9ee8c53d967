"""``quitus ingest`` against hostile folders, as a user runs it (real processes).

Findings of issue 14: a file name holding Rich markup crashed the text output and
skipped the files after it; a JSON file nested 3,000 levels deep ended the run with
"internal error" (claiming "nothing was half-written" after storing it); attachments
were read from anywhere (the key file was copied into the data store).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer

from quitus.errors_boundary import run_with_error_boundary
from quitus.exit_codes import ExitCode
from tests import hostile_inputs as hostile
from tests.api_client import sample_reports
from tests.cli_runner import run_quitus


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli") / "home"
    result = run_quitus(home, "init")
    assert result.returncode == 0, result.stderr
    return home


def report(n: int = 0) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(json.dumps(sample_reports(3, seed=23)[n].payload))
    return payload


def test_markup_in_file_names_is_printed_as_it_is_and_the_batch_goes_on(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    (inbox / "a[").mkdir(parents=True)
    (inbox / "a[" / "z].json").write_text(json.dumps(report(0)))
    (inbox / "[bold]b.json").write_text(json.dumps(report(1)))
    (inbox / "c.json").write_text('{"submission_id": "cli-markup-c", "observations": "[red]x[/red]"}')
    result = run_quitus(home, "ingest", str(inbox))
    out = result.stdout + result.stderr
    assert "MarkupError" not in out and "internal error" not in out, out
    assert "a[/z].json" in result.stdout
    assert "[bold]b.json" in result.stdout
    assert "2 accepted, 1 rejected" in result.stdout, out
    assert result.returncode == 1


def test_deeply_nested_json_is_rejected_and_the_next_file_is_read(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1-deep.json").write_bytes(hostile.deep_json(5000))
    (inbox / "2-good.json").write_text(json.dumps(report(2)))
    result = run_quitus(home, "ingest", "--format", "jsonl", str(inbox))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["state"] for line in lines] == ["rejected", "validated"], result.stdout + result.stderr
    assert [i["code"] for i in lines[0]["issues"]] == ["json_too_deep"]
    assert "internal error" not in result.stderr
    assert result.returncode == 1


def test_an_attachment_outside_the_folder_is_refused_and_never_stored(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "deep" / "in"
    inbox.mkdir(parents=True)
    kek_path = home.parent / f"{home.name}-keys" / "kek.key"
    kek = kek_path.read_bytes()
    payload = report(0)
    relative = os.path.relpath(kek_path, inbox)
    payload["photos"][0]["image"] = {"file": relative}
    payload["submission_id"] = "cli-escape-0001"
    (inbox / "r.json").write_text(json.dumps(payload))
    assert (inbox / relative).resolve() == kek_path.resolve() and relative.startswith("../")
    result = run_quitus(home, "ingest", "--format", "jsonl", str(inbox / "r.json"))
    line = json.loads(result.stdout)
    assert "attachment_outside_folder" in {i["code"] for i in line["issues"]}, line
    stored = b"".join(p.read_bytes() for p in (home / "blobs").rglob("*") if p.is_file())
    assert kek not in stored and base64.b64encode(kek)[:20] not in stored


def test_the_boundary_says_what_is_kept_after_an_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = typer.Typer()

    @app.command()
    def boom() -> None:
        raise RuntimeError("Jeanne Lefèvre")  # a message may hold personal data

    monkeypatch.setattr("sys.argv", ["quitus"])
    with pytest.raises(SystemExit) as exited:
        run_with_error_boundary(app)
    err = capsys.readouterr().err
    assert exited.value.code == ExitCode.INTERNAL
    assert "nothing was half-written" not in err
    assert "what earlier steps stored is kept" in err
    assert "Lefèvre" not in err


@pytest.mark.slow
def test_an_interrupted_ingest_is_completed_by_the_intake_and_the_reingest_is_a_duplicate(
    home: Path, tmp_path: Path
) -> None:
    """A real interruption: the raw submission is stored, then the process stops."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    payload = report(1)
    payload["submission_id"] = "cli-interrupted-0001"
    for index, photo in enumerate(payload["photos"]):
        (inbox / f"p{index}.jpg").write_bytes(base64.b64decode(photo["image"]["content_base64"]))
        photo["image"] = {"file": f"p{index}.jpg"}
    (inbox / "r.json").write_text(json.dumps(payload))
    # Stop the run right after the raw submission is stored: the database refuses the capture.
    database = home / "quitus.db"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER stop_after_receive BEFORE UPDATE OF content_blob_id ON reports "
            "BEGIN SELECT RAISE(ABORT, 'interrupted'); END"
        )
    interrupted = run_quitus(home, "ingest", "--format", "jsonl", str(inbox / "r.json"))
    assert interrupted.returncode != 0
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER stop_after_receive")
        state, content = connection.execute(
            "SELECT state, content_blob_id FROM reports WHERE submission_id = 'cli-interrupted-0001'"
        ).fetchone()
    assert (state, content) == ("captured", None), "the raw submission was stored, nothing more"
    # The intake flow's first stage, with no folder: `quitus run intake`.
    flow = run_quitus(home, "run", "intake")
    assert flow.returncode == 0, flow.stdout + flow.stderr
    with sqlite3.connect(database) as connection:
        (state,) = connection.execute(
            "SELECT state FROM reports WHERE submission_id = 'cli-interrupted-0001'"
        ).fetchone()
    assert state not in ("rejected", "captured"), state
    again = run_quitus(home, "ingest", "--format", "jsonl", str(inbox / "r.json"))
    line = json.loads(again.stdout)
    assert (line["receipt"], line["issues"]) == ("duplicate", []), line
