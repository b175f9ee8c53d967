"""Run ``quitus`` as a user does: a real process, a given QUITUS_HOME, no inherited Prefect
or database settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_quitus(
    home: Path, *args: str, stdin: bytes | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUITUS_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", *args],
        env=env,
        capture_output=True,
        input=stdin.decode() if stdin is not None else None,
        text=True,
        timeout=timeout,
        check=False,
    )
