"""Run ``quitus`` as a user does: a real process, a given QUITUS_HOME, no inherited Prefect
or database settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def run_quitus(
    home: Path, *args: str, stdin: bytes | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUITUS_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", *args],
        env=env,
        capture_output=True,
        input=stdin.decode() if stdin is not None else None,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving_quitus(env: Mapping[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``quitus serve --no-scheduler`` on a free port, its output in ``log``; yields its base URL
    once it answers, and stops it on leaving (the log is then complete)."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "quitus.cli", "serve", "--no-scheduler", "--port", str(port)],
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, f"quitus serve stopped: {log.read_text()}"
            assert time.monotonic() < deadline, f"quitus serve did not answer: {log.read_text()}"
            time.sleep(0.2)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
