"""Invariant 5: a crash never loses or duplicates a report (real processes, SIGKILL)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "QUITUS_HOME": str(home)}
    env.pop("QUITUS_DATABASE_URL", None)
    return env


@pytest.mark.slow
def test_killed_ingest_then_rerun_leaves_exactly_one_final_report_per_submission(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), 30, seed=5, photo_size=(200, 150))
    for number, sample in enumerate(samples):
        (inbox / f"{number:03d}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    (inbox / "zz-broken.json").write_bytes(b'{"submission_id": "broken-1", ')
    home = tmp_path / "home"
    command = [sys.executable, "-m", "quitus.cli"]
    subprocess.run([*command, "init"], env=_env(home), check=True, capture_output=True)
    rng = random.Random(1)
    for _ in range(3):
        process = subprocess.Popen(
            [*command, "ingest", str(inbox)],
            env=_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.8, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = subprocess.run(
        [*command, "ingest", "--format", "jsonl", str(inbox)],
        env=_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [json.loads(line) for line in final.stdout.splitlines()]
    assert len(lines) == len(samples) + 1
    assert {line["state"] for line in lines} <= {"validated", "rejected"}
    with sqlite3.connect(home / "quitus.db") as connection:
        states = connection.execute("SELECT state, count(*) FROM reports GROUP BY state").fetchall()
        with_id = connection.execute("SELECT count(DISTINCT submission_id) FROM reports").fetchone()[0]
    assert sum(count for _, count in states) == len(samples) + 1, "a report was lost or duplicated"
    assert with_id == len(samples)  # the unreadable one has no readable submission_id
    assert dict(states).keys() <= {"validated", "rejected"}
    expected_valid = sum(s.expected == "valid" for s in samples)
    assert dict(states).get("validated") == expected_valid
