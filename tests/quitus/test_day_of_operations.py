"""docs/day-of-operations.sh runs as an operator runs it: a fresh home, captures, intake, a
retention plan, a legal hold, a proof checked offline — every answer read with --json and jq."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "day-of-operations.sh"


def _env(home: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PREFECT_", "QUITUS_")) or name.startswith("QUITUS_TEST_")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["QUITUS_HOME"] = str(home)
    return env


@pytest.mark.slow
def test_a_day_of_operations_runs_end_to_end(tmp_path: Path) -> None:
    assert shutil.which("jq"), "jq is needed: make system-deps installs it"
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["reports"] == summary["archived"] == 4
    assert summary["hold"].startswith("hold-")
    assert summary["proof_ok"] is True and summary["proof_entries"] > 0
    assert summary["ledger_ok"] is True and summary["ledger_entries"] > summary["proof_entries"]
    assert "held" not in result.stdout  # stdout is the summary alone; the narration is on stderr
    assert "the plan shows it held" in result.stderr


def test_the_script_refuses_a_home_in_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "quitus.db").write_bytes(b"")
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=_env(home), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert (home / "quitus.db").exists()
