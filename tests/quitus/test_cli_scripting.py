"""The command line as a script drives it: whole lines through a pipe, completion, exit codes
that tell a usage error from a missing report from a rule's refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quitus.exit_codes import ExitCode
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    base = tmp_path_factory.mktemp("scripting")
    home = base / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = base / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 3, seed=15, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    (inbox / "bad.json").write_text('{"submission_id": "s-bad"}', encoding="utf-8")
    lines = run_quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    return home, [json.loads(line)["report_id"] for line in lines]


def _piped(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``quitus`` with stdout a pipe and no COLUMNS: what ``quitus … | cat`` sees."""
    env = {**os.environ, "QUITUS_HOME": str(home), "NO_COLOR": "1"}
    for name in list(env):
        if name.startswith("PREFECT_") or name in {"QUITUS_DATABASE_URL", "COLUMNS", "LINES"}:
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus", *args], env=env, capture_output=True, text=True, check=False
    )


def test_a_piped_table_is_printed_whole(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    listed = _piped(home, "reports", "list")
    assert listed.returncode == 0, listed.stderr
    assert "…" not in listed.stdout
    assert "rejected" in listed.stdout
    assert all(report_id in listed.stdout for report_id in ids)
    rows = [line for line in listed.stdout.splitlines() if any(i in line for i in ids)]
    assert len(rows) == len(ids)  # one line a report, never wrapped
    assert max(len(line) for line in rows) > 80


def test_completion_script_is_shown() -> None:
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "quitus"), "--show-completion", "bash"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "_QUITUS_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _quitus_completion quitus" in shown.stdout
    helped = run_quitus(Path("/nonexistent"), "--help")
    assert "--install-completion" in helped.stdout


def test_exit_codes_tell_usage_from_not_found_from_refused(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    assert run_quitus(home, "reports", "list", "--limit", "zero").returncode == ExitCode.USAGE
    assert run_quitus(home, "reports", "list", "--state", "nope").returncode == ExitCode.USAGE
    missing = run_quitus(home, "reports", "show", "RI-NOPE")
    assert missing.returncode == ExitCode.NOT_FOUND and "no report RI-NOPE" in missing.stderr
    assert run_quitus(home, "policies", "show", "no.such.policy").returncode == ExitCode.NOT_FOUND
    assert run_quitus(home, "retention", "certificate", "RI-NOPE").returncode == ExitCode.NOT_FOUND
    hold = run_quitus(home, "holds", "place", "--report", ids[0], "--reason", "litige client")
    assert hold.returncode == 0, hold.stderr
    shred = run_quitus(home, "reports", "shred", ids[0], "--reason", "subject_request", "--yes")
    assert shred.returncode == ExitCode.REFUSED, shred.stderr
    assert "not shredded" in shred.stderr


def test_exit_codes_are_documented() -> None:
    doc = (ROOT / "docs" / "cli-json.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}` |" in doc
