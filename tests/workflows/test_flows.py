"""The Prefect flows as a user runs them (embedded mode, real Prefect), and the scheduler."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from quitus.scheduler import JOBS, SchedulerLockedError, build_scheduler, single_instance
from quitus.settings import load_settings
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow

quitus = run_quitus


@pytest.mark.slow
def test_intake_and_retention_flows_embedded_leave_no_personal_data_in_prefect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert quitus(home, "init", "--simulation").returncode == 0  # retention runs in 2045 here
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
    quitus(home, "ingest", str(inbox))
    run = quitus(home, "run", "intake")
    assert run.returncode == 0, run.stderr
    accepted = sum(s.expected == "valid" for s in samples)
    assert f"archive {accepted}" in run.stdout
    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", "2045-01-01")
    retention = quitus(home, "run", "retention")
    assert retention.returncode == 0, retention.stderr
    assert "dispositions" in retention.stdout
    assert "dispositions 0" not in retention.stdout
    prefect_files = [p for p in (home / "prefect").rglob("*") if p.is_file()]
    assert any(p.name.startswith("prefect.db") for p in prefect_files)
    blob = b"".join(p.read_bytes() for p in prefect_files)
    leaked = [value for value in personal if value.encode() in blob]
    assert leaked == [], "personal data reached Prefect's database or files"
    assert quitus(home, "audit", "verify").returncode == 0
    with sqlite3.connect(home / "quitus.db") as connection:
        claimed = connection.execute("SELECT count(*) FROM reports WHERE claimed_by IS NOT NULL").fetchone()
    assert claimed == (0,), "the intake flow left claims behind"
    # the nightly job issued every disposal's sealed certificate (a certify entry each)
    with sqlite3.connect(home / "quitus.db") as connection:
        erased = connection.execute("SELECT count(*) FROM reports WHERE state = 'erased'").fetchone()[0]
        issued = connection.execute("SELECT count(*) FROM disposition_certificates WHERE pdf IS NOT NULL")
        certified = issued.fetchone()[0]
        entries = connection.execute("SELECT count(*) FROM ledger_entries WHERE step = 'certify'")
        certify = entries.fetchone()[0]
    assert erased > 0 and certified == erased == certify


def test_the_scheduler_keeps_its_jobs_in_our_database_and_runs_once(tmp_path: Path) -> None:
    settings = load_settings({"QUITUS_HOME": str(tmp_path)})
    tmp_path.mkdir(exist_ok=True)
    scheduler = build_scheduler(settings, blocking=False)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == set(JOBS)
        nightly = jobs["quitus-retention"].next_run_time.astimezone(ZoneInfo("Europe/Paris"))
        assert (nightly.hour, nightly.minute) == (2, 0)
        intake = jobs["quitus-intake"]
        assert intake.coalesce and intake.max_instances == 1
        assert intake.next_run_time - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=5)
    finally:
        scheduler.shutdown(wait=False)
    with sqlite3.connect(tmp_path / "quitus.db") as connection:
        stored = {row[0] for row in connection.execute("SELECT id FROM scheduler_jobs")}
    assert stored == set(JOBS)
    with single_instance(settings), pytest.raises(SchedulerLockedError), single_instance(settings):
        pass
