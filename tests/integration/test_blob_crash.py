"""A process killed between writing a blob and recording it leaves an orphan that
`quitus audit verify` explains (and that is never mistaken for tampering)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

KILLER = textwrap.dedent("""
    import os, signal, sys
    from quitus.settings import load_settings
    from quitus.wiring import open_app
    from storage.blobs import LocalBlobBackend

    original_put = LocalBlobBackend.put

    def put_then_die(self, report_id, blob_id, data):
        original_put(self, report_id, blob_id, data)
        os.kill(os.getpid(), signal.SIGKILL)  # the blob is on disk, its row is not committed

    LocalBlobBackend.put = put_then_die
    app = open_app(load_settings())
    app.store.receive(b"raw submission", source="json", submission_id="crash-1")
""")


def run(home: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUITUS_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("QUITUS_DATABASE_URL", None)
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "quitus.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_killed_between_blob_write_and_row_insert(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    killed = run(home, code=KILLER)
    assert killed.returncode == -9
    orphans = [p for p in (home / "blobs").rglob("*") if p.is_file()]
    assert len(orphans) == 1
    verify = run(home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "orphan from an interrupted write" in verify.stdout
    assert "ledger verified" in verify.stdout
    listed = run(home, "reports", "list")
    assert "no reports yet" in listed.stdout
