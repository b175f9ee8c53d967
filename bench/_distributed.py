"""``bench/intake.py --distributed``: one Prefect server, 1 then 2 workers, PostgreSQL.

Two quitus installations hold the same captured reports, each in its own PostgreSQL
database (the scratch URL and the same name with ``_2``). A real Prefect server runs on
loopback (its own SQLite database, the scheduler off: only the runs made here), and
``quitus deploy`` registers the intake deployment. Then, for each installation in turn,
``prefect worker start --limit 1`` processes are started on it (1, then 2; each with
``QUITUS_INTAKE_PROCESSES=1``: the scale-out measured is the workers'), and once they
poll, enough intake runs are created to take every report to its final state: the runs
claim disjoint batches (``storage.claims``). The time from the first run created to the
last report in a final state is the figure; each flow run is a process of its own, so
its start (imports, the spaCy model) is part of it, as in production.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from _support import recreate_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["run_distributed"]

DISTRIBUTED_TARGET = 1.6
FINAL = ("archived", "rejected")
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def run_distributed(root: Path, count: int, batch_size: int, seed: int, postgres_url: str) -> None:
    from reports.samples import generate_samples  # noqa: PLC0415
    from reports.templates import TemplateCatalog  # noqa: PLC0415

    scratch = make_url(postgres_url)
    urls = [postgres_url, scratch.set(database=f"{scratch.database}_2").render_as_string(hide_password=False)]
    inbox = root / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), count, seed=seed)
    for number, sample in enumerate(samples):
        (inbox / f"{number:04d}.json").write_text(json.dumps(sample.payload, ensure_ascii=False), "utf-8")
    valid = sum(s.expected == "valid" for s in samples)
    runs = math.ceil(count / batch_size)
    print(
        f"{count} generated reports ({valid} valid), seed {seed}; intake runs of {batch_size} reports a stage"
    )
    print(f"  {os.cpu_count()} CPUs (shared: noisy); a Prefect server, quitus on PostgreSQL")

    processes = _Processes(root)
    try:
        port = _free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        base = _base_env()
        server = processes.start(
            "prefect-server",
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            {
                **base,
                "PREFECT_HOME": str(root / "prefect-server"),
                "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{root / 'prefect-server.db'}",
                "PREFECT_UI_ENABLED": "false",
                "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            },
        )
        envs = []
        for number, url in enumerate(urls, 1):
            recreate_postgres(url, create=True)
            env = {
                **base,
                "QUITUS_HOME": str(root / f"home{number}"),
                "QUITUS_DATABASE_URL": url,
                "QUITUS_INTAKE_PROCESSES": "1",
                "PREFECT_API_URL": api_url,
                "PREFECT_HOME": str(root / f"prefect-client{number}"),
            }
            _quitus(env, "init")
            started = time.perf_counter()
            ingest = _quitus(env, "ingest", str(inbox), check=False)
            if ingest.returncode not in (0, 1):  # 1: some reports were rejected, as generated
                raise SystemExit(f"quitus ingest failed:\n{ingest.stdout}{ingest.stderr}")
            if number == 1:
                print(f"  ingest: {count / (time.perf_counter() - started):.1f} reports/s (not timed below)")
            envs.append(env)
        api = httpx.Client(base_url=api_url, timeout=30)
        _wait_until_healthy(api, server, processes)
        _quitus(envs[0], "deploy", "--batch-size", str(batch_size))
        deployment = api.get("/deployments/name/quitus-intake/intake").json()["id"]

        walls: dict[int, float] = {}
        for workers, env, url in ((1, envs[0], urls[0]), (2, envs[1], urls[1])):
            names = [f"bench-w{workers}-{n}" for n in range(1, workers + 1)]
            worker = [sys.executable, "-m", "prefect", "worker", "start", "--pool", "quitus", "--limit", "1"]
            started_workers = [
                processes.start(
                    name,
                    [*worker, "--name", name],
                    {**env, "QUITUS_ACTOR": name, "PREFECT_WORKER_QUERY_SECONDS": "1"},
                )
                for name in names
            ]
            _wait_for_workers(api, names, processes)
            started = time.perf_counter()
            made = 0
            while True:
                ids = [_create_run(api, deployment) for _ in range(runs if made == 0 else workers)]
                made += len(ids)
                _wait_for_runs(api, ids, processes)
                states = _states(url)
                if sum(n for s, n in states.items() if s not in FINAL) == 0 or made > 4 * runs:
                    break
            walls[workers] = time.perf_counter() - started
            actors = _actors(url)
            row(
                f"{workers} worker{'s' if workers > 1 else ''}",
                f"{count / walls[workers]:6.2f} reports/s  {walls[workers]:6.1f} s  ({made} runs; states "
                f"{dict(states)}; steps by {dict(actors)})",
            )
            processes.stop(started_workers)
        ratio = walls[1] / walls[2]
        verdict = "PASS" if ratio >= DISTRIBUTED_TARGET else "FAIL"
        row("2 workers vs 1", f"{ratio:6.2f}×   target ≥ {DISTRIBUTED_TARGET}×: {verdict}")
    finally:
        processes.stop_all()
        for url in urls:
            with contextlib.suppress(Exception):
                recreate_postgres(url, create=False)


def row(label: str, figures: str) -> None:
    print(f"  {label:<34} {figures}")


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    return {**env, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "NO_COLOR": "1"}


def _quitus(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "quitus.cli", *args],
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"quitus {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(api: httpx.Client, server: subprocess.Popen[bytes], processes: _Processes) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the Prefect server stopped:\n" + processes.logs())
        with contextlib.suppress(httpx.TransportError):
            if api.get("/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("the Prefect server did not become healthy in 120 s:\n" + processes.logs())


def _wait_for_workers(api: httpx.Client, names: list[str], processes: _Processes) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            online = {
                w["name"]
                for w in api.post("/work_pools/quitus/workers/filter", json={}).json()
                if w.get("status") == "ONLINE"
            }
            if set(names) <= online:
                return
        time.sleep(0.5)
    raise SystemExit(f"workers {names} did not come online in 120 s:\n" + processes.logs())


def _create_run(api: httpx.Client, deployment: str) -> str:
    for attempt in range(6):
        with contextlib.suppress(httpx.TransportError):
            answer = api.post(f"/deployments/{deployment}/create_flow_run", json={})
            if answer.is_success:
                run_id: str = answer.json()["id"]
                return run_id
        time.sleep(1 + attempt)
    raise SystemExit("the Prefect server did not create a flow run")


def _wait_for_runs(api: httpx.Client, run_ids: list[str], processes: _Processes) -> None:
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            found = api.post("/flow_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}}).json()
            if len(found) == len(run_ids) and all(r["state"]["type"] in TERMINAL for r in found):
                failed = [r["state"]["type"] for r in found if r["state"]["type"] != "COMPLETED"]
                if failed:
                    raise SystemExit(f"intake runs ended {failed}:\n" + processes.logs())
                return
        time.sleep(0.5)
    raise SystemExit("the intake runs did not finish in an hour:\n" + processes.logs())


def _states(url: str) -> Counter[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT state, count(*) FROM reports GROUP BY state"))
            return Counter({str(state): int(count) for state, count in found})
    finally:
        engine.dispose()


def _actors(url: str) -> Counter[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT entry FROM ledger_entries WHERE step = 'archive'"))
            return Counter(json.loads(entry)["actor"] for (entry,) in rows)
    finally:
        engine.dispose()


class _Processes:
    """What this bench starts, each in its own session; stopped (SIGINT, then SIGKILL) at the end."""

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

    def stop(self, processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # its own session: its flow runs too
                process.wait()

    def stop_all(self) -> None:
        self.stop([p for _, p in reversed(self.started)][:-1])  # workers first
        self.stop([p for _, p in self.started[:1]])  # then the server
