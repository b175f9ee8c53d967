"""Hostile uploads against a real ``quitus serve`` and ``quitus ingest``: peak memory and the refusal.

Feeds each file of the hostile corpus (``tests/hostile_inputs.py``: a 2 MB PDF form whose
30 embedded files inflate to 70 MiB of zeros each, a form with 400 attachments or 2,000
pages, a content stream of 200 MiB of zeros, photos declaring enormous canvases, JSON
nested 100,000 levels deep or holding millions of values) to

* ``POST /api/v1/reports`` on a ``quitus serve --no-scheduler`` started for the run, as a
  technician: the server's peak RSS during the request (``VmHWM``, reset before each
  file through ``/proc/PID/clear_refs``), the peak memory of its whole process tree
  (the sum of PSS — shared pages counted once — sampled every 10 ms: the forkserver and
  the form reader's child included), the status and the code. Photos are only stored at
  capture over HTTP (the intake flow decodes them): ``captured`` is the expected answer;
  the ``ingest`` line shows their decoding;
* ``quitus ingest FILE`` in a fresh process: its peak RSS (the largest of it and its
  children: ``RUSAGE_CHILDREN``), the state and the issue codes — photos are decoded there.

Target: below 300 MB for any upload within the request size limit, and every file
refused with its code (the 39 Mpx PNG is a legitimate, if large, photo: accepted).
``--source DIR`` runs another checkout (e.g. ``git archive`` of an older commit) to
measure "before"; every process under test gets an address-space cap (``--cap-mb``) so
that a blow-up cannot take the machine down.

    .venv/bin/python bench/capture_bombs.py [--only pdf] [--skip-cli] [--source DIR] [--cap-mb 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/hostile_inputs when run as a script

from tests.hostile_inputs import HOSTILE, LARGE, Hostile  # noqa: E402

TARGET_MB = 300


@dataclass
class Measure:
    status: str
    codes: str
    peak_mb: float
    tree_mb: float
    seconds: float


def _limit(cap_mb: int) -> Callable[[], None]:
    def apply() -> None:
        cap = cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return apply


def _quitus(source: Path, env: dict[str, str], *args: str, cap_mb: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", *args],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=_limit(cap_mb),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _status_kb(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (a forked child's) counted once across the tree."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            pending += children
    return found


class TreeSampler:
    """The largest summed PSS of a process and its descendants, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_pss_kb(p) for p in [self.pid, *_descendants(self.pid)])
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(0.01)


class Server:
    def __init__(self, source: Path, env: dict[str, str], log: Path, cap_mb: int) -> None:
        self.source, self.env, self.log, self.cap_mb = source, env, log, cap_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "quitus.cli", "serve", "--no-scheduler", "--port", str(port)],
                cwd=self.source,
                env=self.env,
                stdout=log,
                stderr=log,
                preexec_fn=_limit(self.cap_mb),  # noqa: PLW1509
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"quitus serve stopped; see {self.log}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit("quitus serve did not answer within 120 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, item: Hostile, body: bytes, token: str) -> Measure:
        assert self.process is not None
        pid = self.process.pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        started = time.monotonic()
        with TreeSampler(pid) as sampler:
            try:
                response = httpx.post(
                    f"{self.base}/api/v1/reports",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": item.media_type},
                    timeout=180,
                )
                status, codes = str(response.status_code), _codes(response)
            except httpx.TransportError as exc:
                status, codes = "no answer", exc.__class__.__name__
        seconds = time.monotonic() - started
        peak = _status_kb(pid, "VmHWM") / 1024
        if self.process.poll() is not None:
            status, codes = "server died", f"exit {self.process.returncode}"
            self.start()
        return Measure(status, codes, peak, sampler.peak_kb / 1024, seconds)


def _codes(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:40]
    if "error" in body:
        return str(body["error"]["code"])
    issues = [i["code"] for i in body.get("issues", [])]
    return ",".join(issues) or body.get("state", "?")


def ingest(source: Path, env: dict[str, str], path: Path, cap_mb: int) -> Measure:
    """``quitus ingest`` in a fresh process; its peak RSS (and its children's) from a wrapper."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.stdout, end='')\n"
        "sys.stderr.write(r.stderr)\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            wrapper,
            sys.executable,
            "-m",
            "quitus.cli",
            "ingest",
            "--format",
            "jsonl",
            str(path),
        ],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=_limit(cap_mb),
    )
    seconds = time.monotonic() - started
    lines = result.stdout.splitlines()
    peak_mb = int(lines[0]) / 1024 if lines and lines[0].isdigit() else 0.0
    try:
        answer = json.loads(lines[1])
        status = answer.get("state") or "unreadable"
        codes = ",".join(i["code"] for i in answer.get("issues", [])) or str(answer.get("error") or "")[:40]
    except (IndexError, ValueError):
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        status, codes = "crashed", last[:60]
    return Measure(status, codes, peak_mb, peak_mb, seconds)


def prepare(source: Path, env: dict[str, str], cap_mb: int) -> str:
    for args in (("init",), ("users", "add", "bench-tech", "--role", "technician")):
        done = _quitus(source, env, *args, cap_mb=cap_mb)
        if done.returncode != 0:
            raise SystemExit(f"quitus {' '.join(args)} failed: {done.stderr}")
    created = _quitus(source, env, "tokens", "create", "bench-tech", cap_mb=cap_mb)
    lines = [line.strip() for line in created.stdout.splitlines() if line.strip()]
    if created.returncode != 0 or not lines:
        raise SystemExit(f"quitus tokens create failed: {created.stderr}")
    return lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="only the hostile files whose name holds this text")
    parser.add_argument("--skip-cli", action="store_true", help="leave out quitus ingest")
    parser.add_argument("--large", action="store_true", help="also 60 MB uploads (within the request limit)")
    parser.add_argument("--skip-api", action="store_true", help="leave out quitus serve")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="the quitus checkout to run (default: this one)"
    )
    parser.add_argument(
        "--cap-mb", type=int, default=6000, help="address-space cap of each process under test"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="quitus-bench-bombs-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    env["QUITUS_HOME"] = str(folder / "home")
    token = prepare(args.source, env, args.cap_mb)
    server = Server(args.source, env, folder / "serve.log", args.cap_mb)
    if not args.skip_api:
        server.start()
    items = [h for h in (*HOSTILE, *(LARGE if args.large else ())) if args.only in h.name]
    print(f"source {args.source}; target: peak RSS < {TARGET_MB} MB; cap {args.cap_mb} MB per process\n")
    header = (
        f"{'hostile file':<62} {'size':>8}  {'where':<6} {'answer':<12} {'code':<26} "
        f"{'peak MB':>8} {'tree MB':>8} {'s':>6}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    try:
        for item in items:
            body = item.build()
            size = f"{len(body) / 1024 / 1024:.1f}M"
            runs: list[tuple[str, Measure]] = []
            if not args.skip_api:
                runs.append(("api", server.post(item, body, token)))
            if not args.skip_cli:
                path = (
                    folder
                    / "in"
                    / ("hostile.pdf" if item.media_type == "application/pdf" else "hostile.json")
                )
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(body)
                runs.append(("ingest", ingest(args.source, env, path, args.cap_mb)))
            for where, measure in runs:
                worst = max(worst, measure.tree_mb, measure.peak_mb)
                photo_over_http = (
                    where == "api" and item.name.startswith("photo") and measure.codes == "captured"
                )
                refused = (
                    photo_over_http
                    or any(code in measure.codes.split(",") for code in item.codes)
                    or ("accepted" in item.codes and measure.status in ("202", "validated"))
                )
                flag = "" if refused and max(measure.peak_mb, measure.tree_mb) < TARGET_MB else "  <-- !"
                print(
                    f"{item.name[:62]:<62} {size:>8}  {where:<6} {measure.status:<12} "
                    f"{measure.codes[:26]:<26} {measure.peak_mb:>8.0f} {measure.tree_mb:>8.0f} "
                    f"{measure.seconds:>6.1f}{flag}",
                    flush=True,
                )
    finally:
        server.stop()
    print(
        f"\nworst peak: {worst:.0f} MB "
        f"({'within' if worst < TARGET_MB else 'ABOVE'} the {TARGET_MB} MB target)"
    )


if __name__ == "__main__":
    main()
