"""``/metrics`` and ``quitus status``: the figures from the database, and a stale retention job seen."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from quitus.settings import load_settings
from quitus.wiring import open_app
from storage.job_runs import JobName, JobRuns
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.ledger_outcomes import LedgerOutcomeTally
from storage.models import utcnow
from tests.api_client import ApiHarness, open_harness, sample_reports
from tests.cli_runner import run_quitus


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home") as harness:
        yield harness


def _metrics(
    harness: ApiHarness, who: str = "auditor"
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = harness.client.get("/metrics", headers=harness.auth(who))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    for family in text_string_to_metric_families(answer.text):  # Prometheus's own parser
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _runs(harness: ApiHarness) -> JobRuns:
    return JobRuns(harness.context.app.store.database)


def test_metrics_admit_auditors_and_admins_only(harness: ApiHarness) -> None:
    assert harness.client.get("/metrics").status_code == 401
    assert harness.client.get("/metrics", headers=harness.auth("technician")).status_code == 403
    assert harness.client.get("/metrics", headers=harness.auth("compliance")).status_code == 403
    assert _metrics(harness, "admin")
    assert _metrics(harness, "auditor")


def test_metrics_count_captures_rejections_and_the_backlog_per_state(harness: ApiHarness) -> None:
    before = _metrics(harness)
    assert before[("quitus_captures_total", ())] == 0
    for sample in sample_reports(2):
        harness.capture(sample.payload)
    invalid: dict[str, Any] = json.loads(json.dumps(sample_reports(1, seed=5)[0].payload))
    invalid["measurements"] = "not a list"
    answer = harness.client.post(
        "/api/v1/reports",
        content=json.dumps(invalid).encode(),
        headers={**harness.auth("technician"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 202, answer.text  # kept, rejected: nothing is lost
    assert answer.json()["state"] == "rejected"
    after = _metrics(harness)
    assert after[("quitus_captures_total", ())] == 3
    rejected = after[("quitus_reports", (("state", "rejected"),))]
    assert after[("quitus_reports", (("state", "captured"),))] + rejected == 3
    assert after[("quitus_rejections_total", (("step", "capture"),))] == rejected
    assert after[("quitus_ledger_entries", ())] > before[("quitus_ledger_entries", ())]
    assert after[("quitus_dispositions_total", (("step", "dispose"),))] == 0
    assert after[("quitus_deliveries_total", (("outcome", "sent"),))] == 0


def test_metrics_show_the_last_runs_recorded_by_any_process_and_a_stale_retention_job(
    harness: ApiHarness,
) -> None:
    runs = _runs(harness)  # another process's view of the same database
    recent = utcnow() - dt.timedelta(hours=3)
    runs.succeeded(JobName.INTAKE, {"archive": 4}, at=recent)
    runs.succeeded(JobName.RETENTION, {"dispositions": 1}, at=recent)
    fresh = _metrics(harness)
    assert fresh[("quitus_job_last_success_timestamp_seconds", (("quitus_job", "intake"),))] == pytest.approx(
        recent.timestamp(), abs=0.01
    )
    assert fresh[("quitus_job_stale", (("quitus_job", "retention"),))] == 0
    assert ("quitus_job_stale", (("quitus_job", "intake"),)) not in fresh  # intake is shown, never judged

    runs.succeeded(JobName.RETENTION, {"dispositions": 0}, at=utcnow() - dt.timedelta(hours=27))
    runs.failed(JobName.RETENTION, RuntimeError("nothing personal"))
    stale = _metrics(harness)
    assert stale[("quitus_job_stale", (("quitus_job", "retention"),))] == 1
    assert ("quitus_job_last_failure_timestamp_seconds", (("quitus_job", "retention"),)) in stale


def test_a_job_that_never_succeeded_is_stale_26_hours_after_the_installation_started(
    harness: ApiHarness,
) -> None:
    runs = _runs(harness)
    now = utcnow()
    assert not runs.status(now=now)[JobName.RETENTION].stale  # a new installation: not yet due
    later = runs.status(now=now + dt.timedelta(hours=27))[JobName.RETENTION]
    assert later.stale and later.last_succeeded_at is None
    assert later.overdue_since is not None and later.overdue_since < now + dt.timedelta(hours=27)


def test_metrics_hold_no_personal_data(harness: ApiHarness) -> None:
    sample = sample_reports(1, seed=23)[0]
    harness.capture(sample.payload)
    text = harness.client.get("/metrics", headers=harness.auth("admin")).text
    client = sample.payload["client"]
    for value in (client["name"], client["address"]["street"], client.get("phone"), client.get("email")):
        assert not value or value not in text


def _stale_home(home: Path, *, hours: float) -> None:
    assert run_quitus(home, "init").returncode == 0
    app = open_app(load_settings({"QUITUS_HOME": str(home)}))
    try:
        JobRuns(app.store.database).succeeded(
            JobName.RETENTION, {"dispositions": 2}, at=utcnow() - dt.timedelta(hours=hours)
        )
    finally:
        app.close()


@pytest.mark.slow
def test_quitus_status_shows_a_stale_retention_run_and_exits_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _stale_home(home, hours=30)
    shown = run_quitus(home, "status")
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "STALE" in shown.stdout
    assert "STALE: the retention job has not succeeded for more than 26 h" in shown.stderr
    as_json = run_quitus(home, "status", "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    (retention,) = [job for job in report["jobs"] if job["job"] == "retention"]
    assert retention["stale"] is True and retention["last_counts"] == {"dispositions": 2}


@pytest.mark.slow
def test_quitus_status_is_ok_after_a_recent_retention_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _stale_home(home, hours=2)
    shown = run_quitus(home, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["ok"] is True
    assert {job["job"]: job["stale"] for job in report["jobs"]}["retention"] is False


def test_the_tally_counts_steps_and_outcomes_and_then_only_what_was_appended(ledger: Ledger) -> None:
    """On SQLite and PostgreSQL (each reads the outcome from the entry's JSON its own way)."""
    tally = LedgerOutcomeTally(ledger.database)
    assert tally.counts() == (0, {})
    ledger.record(
        LedgerEvent(step=LedgerStep.RECEIVE, actor="t", outcome="captured", report_id="RI-1"),
        LedgerEvent(step=LedgerStep.VALIDATE, actor="t", outcome="rejected", report_id="RI-1"),
        LedgerEvent(step=LedgerStep.REDACT, actor="t", outcome="failed", report_id="RI-2"),
    )
    assert tally.counts() == (
        3,
        {("receive", "captured"): 1, ("validate", "rejected"): 1, ("redact", "failed"): 1},
    )
    ledger.record(LedgerEvent(step=LedgerStep.VALIDATE, actor="t", outcome="rejected", report_id="RI-3"))
    size, counts = tally.counts()
    assert size == 4 and counts[("validate", "rejected")] == 2
    assert LedgerOutcomeTally(ledger.database).counts() == (size, counts)  # a fresh count agrees
