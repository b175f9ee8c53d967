"""``quitus run`` and ``quitus serve`` leave no process behind: Prefect's temporary server goes
with them on SIGTERM and on SIGKILL. Real processes, a real QUITUS_HOME, the process table
read from /proc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import free_port, run_quitus

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")

PREFECT_SERVER = b"prefect.server.api.server:create_app"


def _processes_of(home: Path) -> dict[int, str]:
    """Live processes whose environment names this QUITUS_HOME: pid → command line."""
    marker = f"QUITUS_HOME={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and marker in environ.split(b"\0"):
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "QUITUS_"))}
    return {**env, "QUITUS_HOME": str(home), "NO_COLOR": "1", **extra}


def _home_with_reports(tmp_path: Path, count: int = 4) -> Path:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), count, seed=9, invalid_share=0, photo_size=(96, 72))
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    run_quitus(home, "ingest", str(inbox))
    return home


def _wait_for(home: Path, process: subprocess.Popen[bytes], command: bytes, timeout: float) -> int:
    """The pid of the first process of ``home`` whose command line holds ``command``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"quitus stopped before {command!r} started"
        found = [pid for pid, cmd in _processes_of(home).items() if command.decode() in cmd]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{command!r} did not start within {timeout} s: {_processes_of(home)}")


def _assert_nothing_left(home: Path, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while (left := _processes_of(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == {}, f"left behind: {left}"


def _kill_and_check(
    home: Path, process: subprocess.Popen[bytes], signum: signal.Signals, when: bytes = PREFECT_SERVER
) -> None:
    _wait_for(home, process, when, timeout=240)
    assert any(PREFECT_SERVER.decode() in cmd for cmd in _processes_of(home).values())
    process.send_signal(signum)
    process.wait(timeout=60)
    _assert_nothing_left(home)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_quitus_run_killed_takes_prefects_server_with_it(tmp_path: Path, signum: signal.Signals) -> None:
    home = _home_with_reports(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "quitus.cli", "run", "intake"],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _kill_and_check(home, process, signum)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.slow
def test_quitus_run_killed_while_its_stage_pool_works_leaves_nothing_behind(tmp_path: Path) -> None:
    """The render and seal pool (QUITUS_INTAKE_PROCESSES): its forkserver and workers go too."""
    home = _home_with_reports(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "quitus.cli", "run", "intake"],
        env=_env(home, QUITUS_INTAKE_PROCESSES="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _kill_and_check(home, process, signal.SIGKILL, when=b"multiprocessing.forkserver")
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.slow
def test_quitus_run_that_ends_leaves_nothing_behind(tmp_path: Path) -> None:
    home = _home_with_reports(tmp_path, count=1)
    assert run_quitus(home, "run", "intake").returncode == 0
    _assert_nothing_left(home, within=10)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_quitus_serve_killed_takes_prefects_server_with_it(tmp_path: Path, signum: signal.Signals) -> None:
    """The scheduler's first intake run (after QUITUS_INTAKE_INTERVAL_MINUTES=1) starts the server."""
    home = _home_with_reports(tmp_path, count=1)
    process = subprocess.Popen(
        [sys.executable, "-m", "quitus.cli", "serve", "--port", str(free_port())],
        env=_env(home, QUITUS_INTAKE_INTERVAL_MINUTES="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _kill_and_check(home, process, signum)
    finally:
        if process.poll() is None:
            process.kill()
