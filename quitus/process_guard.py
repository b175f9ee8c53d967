"""A watchdog that stops a quitus process's children when it dies, however it dies.

Prefect's temporary server (embedded mode) is a child process that Prefect stops at a
normal exit (``atexit``). A ``quitus run`` or ``quitus serve`` killed by SIGKILL, the OOM
killer or a SIGTERM that Python does not turn into an exit never gets there, and the server
lived on as an orphan, holding its port and ``$QUITUS_HOME/prefect``.

:func:`start_process_guard` (called before Prefect starts its server) marks the process's
environment with a random token — every child started from then on inherits it — and
starts a small watchdog, in its own session, that holds the read end of a pipe whose only
write end is the quitus process's. The kernel closes that end when the process dies, by
any signal: the watchdog reads end-of-file, sends SIGTERM to every process still carrying
the token (found in ``/proc/<pid>/environ``: the server, and whatever it started), waits
up to :data:`GRACE_SECONDS`, sends SIGKILL to those left, and exits. At a normal exit
Prefect has stopped its server already: the watchdog finds nothing and exits.

The watchdog is a module run as ``python -m quitus.process_guard``: the standard library
only, a few megabytes. Linux only (``/proc``); elsewhere the guard is not started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["GRACE_SECONDS", "GUARD_VARIABLE", "marked_processes", "start_process_guard"]

GUARD_VARIABLE = "_QUITUS_PROCESS_GUARD"
"""The environment variable carrying the token (not ``QUITUS_*``: it is no setting)."""
GRACE_SECONDS = 5.0
"""How long a child has to stop after SIGTERM before SIGKILL."""

_guarded_pid: int | None = None
_write_end: int | None = None


def start_process_guard() -> bool:
    """Start this process's watchdog (once per process); whether one is running for it."""
    global _guarded_pid, _write_end
    if _guarded_pid == os.getpid():
        return True
    if not Path("/proc/self/environ").exists():
        return False
    token = secrets.token_hex(16)
    read_end, write_end = os.pipe()  # both close-on-exec: no child but the watchdog holds either
    child_env = {k: v for k, v in os.environ.items() if k != GUARD_VARIABLE}
    try:
        subprocess.Popen(  # noqa: S603 - our own module, with our own interpreter
            [sys.executable, "-m", "quitus.process_guard", str(read_end), token, str(os.getpid())],
            pass_fds=(read_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C or a signal to the terminal's group is for quitus, not it
            env=child_env,
        )
    finally:
        os.close(read_end)
    os.environ[GUARD_VARIABLE] = token  # the children started from now on carry it
    _guarded_pid, _write_end = os.getpid(), write_end
    return True


def marked_processes(token: str, *, exclude: int | None = None) -> Iterator[int]:
    """The pids of the live processes whose environment carries ``token`` (readable ones: ours)."""
    marker = f"{GUARD_VARIABLE}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == exclude:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or another user's
            continue
        if state != "Z" and marker in environ.split(b"\0"):
            yield int(entry.name)


def _signal_all(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def stop_marked(token: str) -> None:
    """SIGTERM the processes carrying ``token``, then SIGKILL those left after the grace period."""
    me = os.getpid()
    left = list(marked_processes(token, exclude=me))
    if not left:
        return
    _signal_all(left, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = list(marked_processes(token, exclude=me))
    _signal_all(left, signal.SIGKILL)


def _watch(read_end: int, token: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's Ctrl-C: act when the parent is gone
    while True:
        try:
            if not os.read(read_end, 1):
                break  # end of file: the process that held the write end is gone
        except InterruptedError:
            continue
    stop_marked(token)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), sys.argv[2])
