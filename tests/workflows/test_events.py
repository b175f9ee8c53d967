"""Prefect events from the flows (real Prefect, embedded): rejected reports, failed stages,
disposals, a job's summary, and an overdue retention job — ids and codes only, each once."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from quitus.settings import load_settings
from quitus.wiring import open_app
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.job_runs import JobName, JobRuns
from storage.models import utcnow
from tests.cli_runner import run_quitus

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow


def _events(home: Path) -> list[tuple[str, str, dict[str, Any]]]:
    with sqlite3.connect(home / "prefect" / "prefect.db") as prefect:
        rows = prefect.execute(
            "SELECT event, resource_id, payload FROM events WHERE event LIKE 'quitus.%' ORDER BY occurred"
        ).fetchall()
    return [(event, resource, json.loads(payload)) for event, resource, payload in rows]


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_flows_emit_events_for_rejections_failures_disposals_and_an_overdue_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init", "--simulation").returncode == 0  # retention runs in 2045 here
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), 6, seed=31, photo_size=(120, 90))
    personal: set[str] = set()
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
        client = sample.payload["client"]
        personal |= {client["name"], client["address"]["street"]} | {
            v for v in (client.get("email"), client.get("phone")) if v
        }
    run_quitus(home, "ingest", str(inbox))  # exits 1: some are rejected
    with sqlite3.connect(home / "quitus.db") as db:
        states = dict(db.execute("SELECT id, state FROM reports").fetchall())
        corrupted, blob_id = db.execute(
            "SELECT id, content_blob_id FROM reports WHERE state = 'validated' ORDER BY id LIMIT 1"
        ).fetchone()
    blob = home / "blobs" / corrupted / blob_id
    intact = blob.read_bytes()
    _corrupt(blob)
    rejected = {report_id for report_id, state in states.items() if state == "rejected"}
    assert rejected, "the samples hold invalid reports"

    assert run_quitus(home, "run", "intake").returncode == 0
    intake = _events(home)
    by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for event, resource, payload in intake:
        by_name.setdefault(event, []).append((resource, payload))
    assert {r for r, _ in by_name["quitus.report.rejected"]} == {f"quitus.report.{i}" for i in rejected}
    assert all(p["step"] == "validate" and p["issues"] for _, p in by_name["quitus.report.rejected"])
    assert by_name["quitus.report.stage-failed"] == [
        (f"quitus.report.{corrupted}", {"stage": "redact", "error": "blob_unreadable"})
    ]
    ((resource, summary),) = by_name["quitus.job.succeeded"]
    assert resource == "quitus.job.intake" and summary["counts"]["redact_failed"] == 1

    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", "2045-01-01")
    seen = len(_events(home))
    refused = run_quitus(home, "run", "retention")  # the corrupted report alone is refused, loudly
    assert refused.returncode == 1 and "UNREADABLE" in refused.stderr, refused.stderr
    with sqlite3.connect(home / "quitus.db") as db:
        (state,) = db.execute("SELECT state FROM reports WHERE id = ?", (corrupted,)).fetchone()
    assert state != "erased"
    blob.write_bytes(intact)  # restored from the backup
    assert run_quitus(home, "run", "retention").returncode == 0
    new = _events(home)[seen:]
    disposed = [(r, p) for e, r, p in new if e == "quitus.report.disposed"]
    assert disposed and all(
        p["step"] == "dispose" and p["action"] in ("delete", "anonymize") for _, p in disposed
    )
    assert all(p["policy"] for _, p in disposed)
    assert not any(e == "quitus.report.rejected" for e, _, _ in new)  # each entry's event once
    with sqlite3.connect(home / "quitus.db") as db:
        erased = {i for (i,) in db.execute("SELECT id FROM reports WHERE state = 'erased'")}
    assert {r for r, _ in disposed} == {f"quitus.report.{i}" for i in erased}

    app = open_app(load_settings({"QUITUS_HOME": str(home)}))
    try:  # the nightly job did not run for 30 h: the next run of any job says so, once
        JobRuns(app.store.database).succeeded(JobName.RETENTION, {}, at=utcnow() - dt.timedelta(hours=30))
    finally:
        app.close()
    monkeypatch.delenv("QUITUS_SIMULATED_TODAY")
    before = len(_events(home))
    assert run_quitus(home, "run", "intake").returncode == 0
    assert run_quitus(home, "run", "intake").returncode == 0
    overdue = [(r, p) for e, r, p in _events(home)[before:] if e == "quitus.job.overdue"]
    assert len(overdue) == 1, overdue
    ((resource, payload),) = overdue
    assert resource == "quitus.job.retention" and payload["job"] == "retention"
    assert dt.datetime.fromisoformat(payload["overdue_since"]) < utcnow()

    everything = json.dumps(_events(home), ensure_ascii=False)
    assert [value for value in personal if value in everything] == []
