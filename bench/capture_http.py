"""Capture over HTTP: requests per second and latency against a real ``quitus serve``.

Starts ``quitus serve --no-scheduler`` on a fresh installation and drives it with an
async load generator (httpx, N concurrent connections) posting distinct generated
reports (photos and signatures inline, as a tablet sends them) for a fixed duration.

* **baseline** — ``GET /api/v1/health`` on the same server, same connections: the floor
  of the framework, the middleware and the loopback (no token, no database);
* **capture** — ``POST /api/v1/reports``: authenticate, check the body is a report,
  store the raw submission encrypted, answer 202;
* **capture + intake** — the same while a separate process does the intake flow's work
  (read and sanitize the photos, validate, redact with spaCy, render, seal, archive) on
  what arrives: capture only
  persists, so its latency must stay low while the pipeline runs beside it.

The load generator runs on the same machine as the server: on a small machine it takes
a share of the CPU, so the figures are a lower bound.

    .venv/bin/python bench/capture_http.py [--duration 20] [--concurrency 16]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1/quitus_bench_http]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/_support when run as a script

from bench._support import recreate_postgres, require_scratch_url  # noqa: E402

Sender = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
"""Sends request number ``i`` on the client."""


@dataclass
class Run:
    label: str
    latencies: list[float]
    errors: int
    seconds: float

    def line(self) -> str:
        done = len(self.latencies)
        ordered = sorted(self.latencies) or [0.0]
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = done / self.seconds
        return (
            f"  {self.label:<34} {done:>7} req  {rate:8.1f} req/s   p50 {p50:7.1f} ms   "
            f"p99 {p99:7.1f} ms   errors {self.errors}"
        )


async def drive(
    base: str,
    *,
    label: str,
    duration: float,
    concurrency: int,
    request: Sender,
    ok: int,
) -> Run:
    latencies: list[float] = []
    errors = 0
    counter = 0
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                started = time.perf_counter()
                try:
                    response = await request(client, counter)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                if status == ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Run(label, latencies, errors, elapsed)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("quitus serve stopped; see its log")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("quitus serve did not answer within 120 s")


def prepare(
    home: Path, database_url: str | None, pool: int, photo_size: tuple[int, int]
) -> tuple[str, list[bytes]]:
    """Initialize the installation, add a technician with a token, generate the submissions."""
    from quitus.settings import Settings  # noqa: PLC0415
    from quitus.wiring import initialize, open_app  # noqa: PLC0415
    from reports.samples import generate_samples  # noqa: PLC0415
    from reports.templates import TemplateCatalog  # noqa: PLC0415
    from storage.access_store import AccessStore, Role  # noqa: PLC0415

    settings = Settings(home=home, database_url=database_url)
    initialize(settings)
    app = open_app(settings)
    try:
        access = AccessStore(app.store)
        access.add_user("bench-tech", Role.TECHNICIAN, actor="bench")
        _, token = access.create_token("bench-tech", actor="bench")
    finally:
        app.close()
    samples = generate_samples(
        TemplateCatalog.load(), pool, seed=13, invalid_share=0.0, photo_size=photo_size
    )
    bodies = [json.dumps(s.payload, ensure_ascii=False).encode() for s in samples]
    return token, bodies


def intake_worker() -> None:
    """The intake flow's work on what arrives, in its own process, until terminated."""
    from quitus.settings import load_settings  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.states import ReportState  # noqa: PLC0415

    app = open_app(load_settings())
    pipeline = app.pipeline()
    pipeline.run_pending(batch_size=1)  # loads the PII model before saying ready
    print("ready", flush=True)
    while True:
        ids = app.store.ids_in_state(ReportState.CAPTURED, limit=50)
        for report_id in ids:
            app.intake.validate(report_id)
        counts = pipeline.run_pending(batch_size=50)
        if not ids and not any(counts.values()):
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pool", type=int, default=60, help="distinct generated reports to cycle through")
    parser.add_argument("--photo-size", default="640x480", help="photos as WxH (the generator's default)")
    parser.add_argument(
        "--postgres-url", default=None, help="scratch database (name with 'bench'); default SQLite"
    )
    parser.add_argument("--skip-intake", action="store_true", help="leave out the run with the intake worker")
    parser.add_argument("--intake-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.intake_worker:
        intake_worker()
        return
    if args.postgres_url:
        require_scratch_url(parser, args.postgres_url)
        recreate_postgres(args.postgres_url, create=True)
    width, height = (int(x) for x in args.photo_size.split("x"))
    folder = Path(tempfile.mkdtemp(prefix="quitus-bench-http-"))
    home = folder / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    env["QUITUS_HOME"] = str(home)
    if args.postgres_url:
        env["QUITUS_DATABASE_URL"] = args.postgres_url
    processes: list[subprocess.Popen[bytes]] = []
    try:
        token, bodies = prepare(home, args.postgres_url, args.pool, (width, height))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        with (folder / "serve.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "quitus.cli", "serve", "--no-scheduler", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        processes.append(server)
        _wait_until_up(base, server)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        originals = [json.loads(b)["submission_id"].encode() for b in bodies]

        def capture(run: str) -> Sender:
            def post(client: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
                k = i % len(bodies)
                body = bodies[k].replace(originals[k], f"bench-{run}-{i}".encode(), 1)
                return client.post("/api/v1/reports", content=body, headers=headers)

            return post

        def health(client: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return client.get("/api/v1/health")

        database = "PostgreSQL" if args.postgres_url else "SQLite"
        average = sum(len(b) for b in bodies) // len(bodies)
        print(
            f"quitus serve (1 process, {database}), {args.concurrency} connections, "
            f"{args.duration:.0f} s per run, {os.cpu_count()} CPUs shared with the load generator; "
            f"{len(bodies)} distinct reports cycled, "
            f"{average // 1024} KiB each on average (photos {args.photo_size} inline)"
        )
        runs = [
            asyncio.run(
                drive(
                    base,
                    label="baseline: GET /api/v1/health",
                    duration=args.duration,
                    concurrency=args.concurrency,
                    request=health,
                    ok=200,
                )
            ),
            asyncio.run(
                drive(
                    base,
                    label="capture: POST /api/v1/reports",
                    duration=args.duration,
                    concurrency=args.concurrency,
                    request=capture("a"),
                    ok=202,
                )
            ),
        ]
        print(runs[0].line())
        print(runs[1].line())
        if not args.skip_intake:
            worker = subprocess.Popen(
                [sys.executable, __file__, "--intake-worker"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            processes.append(worker)
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != b"ready":
                raise SystemExit("the intake worker did not start")
            run = asyncio.run(
                drive(
                    base,
                    label="capture + intake worker running",
                    duration=args.duration,
                    concurrency=args.concurrency,
                    request=capture("b"),
                    ok=202,
                )
            )
            print(run.line())
            from quitus.settings import Settings  # noqa: PLC0415
            from quitus.wiring import open_app  # noqa: PLC0415

            app = open_app(Settings(home=home, database_url=args.postgres_url))
            try:
                counts = {s.value: n for s, n in app.store.count_by_state().items()}
            finally:
                app.close()
            print(f"  states at the end: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)
        if args.postgres_url:
            recreate_postgres(args.postgres_url, create=False)


if __name__ == "__main__":
    main()
