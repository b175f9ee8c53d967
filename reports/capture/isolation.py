"""Running a decoder of hostile input in a process that may run out of memory alone.

Budgets in the decoders refuse what they can see coming; a library's internals may
still allocate more than planned. :func:`run_isolated` runs one call in a child process
forked from a clean, single-threaded server (multiprocessing's *forkserver*: safe beside
the API's threads, and a fork is milliseconds) with an address-space limit
(``RLIMIT_AS``) and a CPU-time limit (``RLIMIT_CPU``) set before the call. A child that
passes either dies, or gets a ``MemoryError``: the caller gets :class:`IsolatedFailure`
and the process that received the input — the API server, ``quitus ingest`` — goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from reports.errors import CaptureError

__all__ = ["IsolatedFailure", "run_isolated"]

T = TypeVar("T")
_PRELOAD = ["reports.capture.pdf_form_read"]
_lock = threading.Lock()
_context: Any = None


class IsolatedFailure(Exception):  # noqa: N818 - an outcome, as in "the isolated call failed"
    """The child ran out of memory or time, or died; ``reason`` says which (no input in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _forkserver() -> Any:
    global _context  # noqa: PLW0603 - one forkserver per process
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def run_isolated(function: Callable[..., T], data: bytes, *args: Any, memory_bytes: int, seconds: float) -> T:
    """``function(data, *args)`` in a child that may grow by ``memory_bytes`` and run ``seconds``.

    ``function`` is a module-level function; ``data`` (the hostile input) is streamed to
    the child through a pipe, not pickled (no copy of it is made here), after the child
    has set its limits. The result and a :class:`CaptureError` raised come back as they
    are. Raises :class:`IsolatedFailure` when the child runs out of memory or time, or dies.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    data_receiver, data_sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(sender, data_receiver, function, args, memory_bytes, seconds),
        name="quitus-decoder",
        daemon=True,
    )
    child.start()
    sender.close()
    data_receiver.close()
    try:
        data_sender.send_bytes(data)
        data_sender.close()
        if not receiver.poll(seconds + 5):
            raise IsolatedFailure(f"took more than {seconds:g} s")
        kind, value = receiver.recv()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        raise IsolatedFailure("ran out of memory or time") from None
    finally:
        data_sender.close()
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "result":
        result: T = value
        return result
    if kind == "capture_error":
        code, message, path, params = value
        raise CaptureError(code, message, path, **params)
    raise IsolatedFailure(value)


def _child(
    sender: Connection,
    data_receiver: Connection,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    memory_bytes: int,
    seconds: float,
) -> None:
    """In the child: set the limits, read the input, call, send back ``(kind, value)``."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm", encoding="ascii") as statm:  # noqa: PTH123 - a one-line read
        current = int(statm.read().split()[0]) * page
    resource.setrlimit(resource.RLIMIT_AS, (current + memory_bytes, current + memory_bytes))
    cpu = max(1, int(seconds + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        data = data_receiver.recv_bytes()
        data_receiver.close()
        outcome: tuple[str, Any] = ("result", function(data, *args))
    except CaptureError as exc:
        outcome = ("capture_error", (exc.code, exc.message, exc.path, exc.params))
    except MemoryError:
        outcome = ("failure", "ran out of memory")
    except Exception as exc:  # noqa: BLE001 - reported by class name: the message may quote input
        outcome = ("failure", f"failed ({exc.__class__.__name__})")
    try:
        sender.send(outcome)
    except MemoryError:
        sender.send(("failure", "ran out of memory"))
    finally:
        sender.close()
