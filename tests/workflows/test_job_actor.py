"""A flow's steps name its job in the ledger (``job:intake``), unless the process names an actor."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import workflows.runtime as runtime
from quitus.settings import load_settings
from quitus.wiring import open_app
from reports.intake import Intake
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.events import decode_entry
from storage.report_store import ReportStore
from tests.cli_runner import run_quitus
from workflows.runtime import Services, configure, runs_as_job, services
from workflows.stages import Pipeline

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow


@pytest.fixture
def base(
    store: ReportStore,
    intake: Intake,
    catalog: TemplateCatalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Services:
    for name in ("_factory", "_services", "_name_jobs", "_as_job"):  # leave the process as it was
        monkeypatch.setattr(runtime, name, getattr(runtime, name))
    monkeypatch.setattr(runtime, "_as_job", {})
    return Services(
        store=store,
        intake=intake,
        pipeline=Pipeline(store, catalog, tmp_path / "seal"),
        policies=lambda: None,
    )


@runs_as_job("retention")
def actors_seen_by_a_flow() -> tuple[str, str, str]:
    svc = services()
    return svc.store.actor, svc.intake.store.actor, svc.pipeline.store.actor


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_inside_a_flow_every_service_records_the_job(base: Services) -> None:
    configure(lambda: base)
    assert actors_seen_by_a_flow() == ("job:retention",) * 3
    assert services() is base and base.store.actor == "test"  # outside a flow: the process's actor
    assert services().intake.store is base.store  # the job's copies left the originals alone


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_named_actor_is_recorded_instead_of_the_job(base: Services) -> None:
    configure(lambda: base, name_jobs=False)  # QUITUS_ACTOR=worker@host, or quitus --as dpo-01 run …
    assert actors_seen_by_a_flow() == ("test",) * 3


@pytest.mark.slow
def test_the_scheduled_intake_job_records_job_intake(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (sample,) = generate_samples(
        TemplateCatalog.load(), 1, seed=3, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    (inbox / "0.json").write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "QUITUS_ACTOR" and not k.startswith("PREFECT_")}
    env["QUITUS_HOME"] = str(home)
    ingested = subprocess.run(
        [sys.executable, "-m", "quitus.cli", "ingest", "--format", "jsonl", str(inbox)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report_id = json.loads(ingested.stdout)["report_id"]
    job = subprocess.run(
        [sys.executable, "-c", "from quitus.scheduler import run_intake_job; run_intake_job()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert job.returncode == 0, job.stderr

    app = open_app(load_settings({"QUITUS_HOME": str(home)}))
    try:
        events = [decode_entry(e.entry) for e in app.ledger.entries_for_report(report_id)]
    finally:
        app.close()
    by_step = {e["step"]: e["actor"] for e in events}
    assert by_step["archive"] == "job:intake", events
    flow_steps = {step for step, actor in by_step.items() if actor == "job:intake"}
    assert {"redact", "render", "seal", "archive"} <= flow_steps
    assert set(by_step.values()) == {"job:intake", f"os:{getpass.getuser()}"}  # the rest: ingested by hand
