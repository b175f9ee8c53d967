"""Distributed mode end to end: a real Prefect server on loopback, ``quitus deploy``, two
``prefect worker`` processes and one PostgreSQL database.

Two intake runs, each claiming at most 10 reports per stage, take 20 reports through
redact → render → seal → archive at once. The ledger must show every step once per
report, done by both workers (each worker has its own ``QUITUS_ACTOR``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import free_port
from tests.conftest import POSTGRES_ADMIN_URL
from workflows.stages import STAGES

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPORTS = 20
BATCH = 10
WORKERS = ("worker-a", "worker-b")
STEPS = tuple(step.value for _, step in STAGES)
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class Processes:
    """Processes this test starts, each in its own session, all stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                args, env=env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, process))
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n" + (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]
            for name, _ in self.started
        )

    def stop_all(self) -> None:
        """The later processes (workers, their flow runs) first, then the first (the server).

        SIGINT, as Ctrl-C would; SIGKILL what still runs 5 s later.
        """
        workers, server = self.started[1:], self.started[:1]
        for wave in (workers, server):
            family = [pid for _, process in wave for pid in _descendants(process.pid)]
            for _, process in wave:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 5
            for _, process in wave:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            for pid in family:
                with contextlib.suppress(ProcessLookupError):  # already gone: fine
                    os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren… of ``pid`` (flow runs start their own sessions)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def quitus_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this installation alone."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"quitus_dist_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    return {**env, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "NO_COLOR": "1"}


def _quitus(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", *args],
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _wait_until_healthy(api: httpx.Client, server: subprocess.Popen[bytes], processes: Processes) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, "the Prefect server stopped:\n" + processes.logs()
        try:
            if api.get("/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail("the Prefect server did not become healthy in 90 s:\n" + processes.logs())


def _create_flow_run(api: httpx.Client, deployment_id: str, processes: Processes) -> str:
    """A run of the deployment; a busy server (its SQLite locked on a loaded machine) is asked again."""
    answer = None
    for attempt in range(6):
        try:
            answer = api.post(f"/deployments/{deployment_id}/create_flow_run", json={}, timeout=30)
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.is_success:
            run_id: str = answer.json()["id"]
            return run_id
        time.sleep(1 + attempt)
    detail = f"{answer.status_code} {answer.text[:500]}" if answer is not None else "no answer"
    pytest.fail(f"the Prefect server did not create a flow run: {detail}\n" + processes.logs())


def _wait_for_runs(api: httpx.Client, run_ids: list[str], processes: Processes) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        runs = api.post("/flow_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}}).json()
        if len(runs) == len(run_ids) and all(r["state"]["type"] in TERMINAL for r in runs):
            return {r["id"]: r for r in runs}
        time.sleep(1)
    pytest.fail("the intake runs did not finish in 180 s:\n" + processes.logs())


def test_two_workers_take_disjoint_batches_of_one_database(
    tmp_path: Path, processes: Processes, quitus_database_url: str
) -> None:
    port = free_port()
    base = _base_env()
    server = processes.start(
        "prefect-server",
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        {
            **base,
            "PREFECT_HOME": str(tmp_path / "prefect-server"),
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect-server.db'}",
            "PREFECT_UI_ENABLED": "false",
            # Only the runs this test makes: no scheduled intake run may compete for the reports.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        },
    )
    env = {
        **base,
        "QUITUS_HOME": str(tmp_path / "home"),
        "QUITUS_DATABASE_URL": quitus_database_url,
        "QUITUS_INTAKE_INTERVAL_MINUTES": "10",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
    }

    # While the server starts: a quitus installation on PostgreSQL with 20 valid reports.
    assert _quitus(env, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), REPORTS, seed=77, invalid_share=0, unfinished_share=0, photo_size=(120, 90)
    )
    personal: set[str] = set()
    for number, sample in enumerate(samples):
        (inbox / f"{number:02d}.json").write_text(json.dumps(sample.payload, ensure_ascii=False), "utf-8")
        client = sample.payload["client"]
        personal |= {client["name"], client["address"]["street"]}
    ingest = _quitus(env, "ingest", str(inbox))
    assert f"{REPORTS} accepted" in ingest.stdout, ingest.stdout + ingest.stderr

    api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=10)
    _wait_until_healthy(api, server, processes)
    deploy = _quitus(env, "deploy", "--batch-size", str(BATCH))
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "registered quitus-intake/intake" in deploy.stdout
    assert "registered quitus-retention/retention" in deploy.stdout

    intake = api.get("/deployments/name/quitus-intake/intake").json()
    retention = api.get("/deployments/name/quitus-retention/retention").json()
    assert intake["entrypoint"] == "quitus.prefect_entry.intake_flow"
    assert intake["work_pool_name"] == "quitus" and intake["job_variables"] == {}
    assert intake["parameters"] == {"batch_size": BATCH, "lease_minutes": 15}
    assert [(s["schedule"]["interval"], s["schedule"]["timezone"]) for s in intake["schedules"]] == [
        (600, "Europe/Paris")
    ]
    assert [s["schedule"] for s in retention["schedules"]] == [
        {"cron": "0 2 * * *", "timezone": "Europe/Paris", "day_or": True}
    ]
    assert api.get("/work_pools/quitus").json()["type"] == "process"

    run_ids = [_create_flow_run(api, intake["id"], processes) for _ in WORKERS]
    for name in WORKERS:  # one run at a time each: the second run must go to the other worker
        processes.start(
            name,
            [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                "quitus",
                "--name",
                name,
                "--limit",
                "1",
            ],
            {**env, "QUITUS_ACTOR": name, "PREFECT_WORKER_QUERY_SECONDS": "1"},
        )
    runs = _wait_for_runs(api, run_ids, processes)
    assert {r["state"]["type"] for r in runs.values()} == {"COMPLETED"}, processes.logs()

    # Every report went through every step exactly once, and both workers did some of it.
    engine = create_engine(quitus_database_url)
    with engine.connect() as connection:
        states = Counter(state for (state,) in connection.execute(text("SELECT state FROM reports")))
        claimed = connection.execute(
            text("SELECT count(*) FROM reports WHERE claimed_by IS NOT NULL")
        ).scalar()
        events = [
            (report_id, step, json.loads(entry)["actor"])
            for report_id, step, entry in connection.execute(
                text(f"SELECT report_id, step, entry FROM ledger_entries WHERE step IN {STEPS}")
            )
        ]
    engine.dispose()
    assert states == {"archived": REPORTS}
    assert claimed == 0, "claims were left behind"
    per_step = Counter((report_id, step) for report_id, step, _ in events)
    assert len(per_step) == REPORTS * len(STEPS) and set(per_step.values()) == {1}
    actors = Counter(actor for *_, actor in events)
    assert set(actors) == set(WORKERS), actors

    # Each run claimed under its own worker id, and at most a batch per stage.
    artifacts = api.post(
        "/artifacts/filter",
        json={"artifacts": {"key": {"any_": ["intake-summary"]}, "flow_run_id": {"any_": run_ids}}},
    ).json()
    claimers = {a["data"].split("`")[1] for a in artifacts}
    assert len(artifacts) == len(run_ids) and len(claimers) == len(run_ids)
    for artifact in artifacts:
        counts = {
            cells[0]: int(cells[1])
            for line in artifact["data"].splitlines()
            if len(cells := [c.strip() for c in line.strip("|").split("|")]) == 2 and cells[1].isdigit()
        }
        assert 0 < counts["archive"] <= BATCH and max(counts.values()) <= BATCH

    prefect_files = [p for p in tmp_path.glob("prefect-*") if p.is_file()]
    prefect_files += [p for p in tmp_path.glob("prefect-*/**/*") if p.is_file()]
    prefect_files += [tmp_path / f"{name}.log" for name in ("prefect-server", *WORKERS)]
    blob = b"".join(p.read_bytes() for p in prefect_files)
    assert [value for value in personal if value.encode() in blob] == [], "personal data reached Prefect"
