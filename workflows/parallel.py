"""The CPU-bound stages (redact, render, seal) spread over worker processes.

A :class:`StagePool` belongs to a :class:`~workflows.stages.Pipeline` and is shared by
its copies. With ``processes == 1`` there is no pool: the stage's work runs in the
calling process, as it always did. With more, the pool starts that many processes from
multiprocessing's *forkserver* (a clean, single-threaded server: safe beside Prefect's
and the API's threads) and each builds the installation once — database, keys, blob
store, templates, fonts and the seal identity — with the pipeline's ``worker_opener``.

Render and seal go one report per call (:meth:`StagePool.outcomes`). Redaction goes a
few reports per call (:meth:`StagePool.batch_outcomes`, ``redact_some``): the PII model
is much faster over several texts in one ``nlp.pipe``, and a batch's chunks still keep
every worker busy while this process records the chunks already done.

What crosses the pipes:

* to a worker, **report ids** and the name of the work (``redact_some``, ``render_one``,
  ``seal_one``): the worker reads and decrypts the reports itself;
* back, the documents — redacted JSON, PDFs — **encrypted** (AES-256-GCM) under a key
  made for this pool, which only this process and its workers hold in memory, bound to
  the report, the work and the document kind; or, for a report the work cannot read,
  the failure's issue (a code and what to do, never data:
  :func:`workflows.stages.failure_issue`).

Workers only read. The calling process records every outcome (blobs, state, ledger) in
the database, one report at a time as results arrive, so a run killed at any moment
leaves each report in a state it was in before or after a whole step: the stages stay
idempotent and nothing is lost. A worker exits within a second when the process that
started it is gone (killed: nothing else would tell it), and a pool one of whose workers
died is dropped (:class:`BrokenProcessPool` goes up; the task's retry starts a new one).

**One spaCy model per process.** A worker loads the PII model once, at its first
redaction (``Pipeline.redactor``, cached for the worker's life; the model itself is
cached per process by :func:`anonymization.nlp.load_french_model`). With a pool the
calling process does not redact, so it loads no model: each worker holds one instead
(about 300 MiB more per worker, see docs/operations.md, *Sizing*). The exception, as for
render and seal: a lone report while no pool runs is done in the calling process (a pool
would cost more to start than it saves). With ``processes == 1`` everything, the one
model included, is in the calling process, as before.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import resource
import secrets
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.blob_kinds import BlobKind

if TYPE_CHECKING:
    from workflows.stages import Pipeline

__all__ = ["BatchWork", "Documents", "Failed", "Outcome", "StagePool", "Work", "WorkerFacts"]

Work = Literal["render_one", "seal_one"]
"""A :class:`~workflows.stages.Pipeline` method that takes one report id and returns its
documents (kind → PDF bytes); :meth:`~workflows.stages.Pipeline.run_one` runs it."""

BatchWork = Literal["redact_some"]
"""A :class:`~workflows.stages.Pipeline` method that takes several report ids and returns
each one's outcome, in their order (:meth:`~workflows.stages.Pipeline.redact_some`)."""

Documents = dict[BlobKind, bytes]
"""What one report's work gives: kind → bytes (PDFs, the redacted JSON)."""


@dataclass(frozen=True)
class Failed:
    """A report the work could not read or use: the issue that marks it (a code, no data)."""

    issue: dict[str, str]
    """:func:`workflows.stages.failure_issue`'s code and messages."""


Outcome = Documents | Failed
"""What one report's work gave: its documents, or why not."""

_PRELOAD = ["workflows.parallel", "workflows.stages", "anonymization.engine"]
"""Imported once by the forkserver, so that a worker starts in milliseconds (reportlab,
pyHanko, SQLAlchemy) and loads its PII model in about a second (spaCy, Presidio and the
recognizers are imported already: several seconds saved per worker). Imported, not
loaded: the model itself is loaded by each worker at its first redaction."""
_WATCH_SECONDS = 0.5
"""How often a worker checks that the process that started it is still there."""
BATCH_CHUNK = 8
"""Reports per call of a batch work: enough for the PII model's batching to pay (measured:
9.4 ms of CPU per report in chunks of 8, 9.3 in chunks of 32, 13.1 one by one), few
enough that the workers share a batch evenly and this process records the first chunks
while the workers do the next."""


@dataclass(frozen=True)
class WorkerFacts:
    """What a worker process says about itself (the bench prints it)."""

    pid: int
    peak_rss_mib: float
    """Its peak resident memory so far."""
    spacy_models: int
    """spaCy pipelines loaded in it (0 until its first redaction, then 1)."""


class StagePool:
    """Worker processes for the per-report work of a stage, started on first use."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._size = 0
        self._key = b""
        self._lock = threading.Lock()

    def outcomes(
        self, pipeline: Pipeline, work: Work, report_ids: Sequence[str]
    ) -> Iterator[tuple[str, Outcome]]:
        """Each report's outcome, in the order of ``report_ids``, as soon as it is known.

        In the calling process when ``pipeline.processes`` is 1; else in the pool (the next
        reports are worked on while the caller records this one).
        """
        if pipeline.processes <= 1 or (len(report_ids) <= 1 and self._executor is None):
            for report_id in report_ids:
                yield report_id, pipeline.run_one(work, report_id)
            return
        chunks = [[report_id] for report_id in report_ids]
        yield from self._mapped(pipeline, work, chunks)

    def batch_outcomes(
        self, pipeline: Pipeline, work: BatchWork, report_ids: Sequence[str]
    ) -> Iterator[tuple[str, Outcome]]:
        """Each report's outcome, chunk by chunk (:data:`BATCH_CHUNK`) in the order of
        ``report_ids``, as soon as its chunk is done; within a chunk, in the order the
        work gives them.

        In the calling process, in one call for all of them, when ``pipeline.processes`` is
        1, or for a lone report while no pool runs (starting one would cost more than it
        saves: it is the only case in which this process loads a PII model of its own);
        else in the pool.
        """
        if not report_ids:
            return
        if pipeline.processes <= 1 or (len(report_ids) <= 1 and self._executor is None):
            yield from pipeline.run_some(work, report_ids).items()
            return
        per_call = max(1, min(BATCH_CHUNK, -(-len(report_ids) // pipeline.processes)))
        chunks = [list(report_ids[i : i + per_call]) for i in range(0, len(report_ids), per_call)]
        yield from self._mapped(pipeline, work, chunks)

    def _mapped(
        self, pipeline: Pipeline, work: Work | BatchWork, chunks: list[list[str]]
    ) -> Iterator[tuple[str, Outcome]]:
        executor = self._started(pipeline)
        cipher = AESGCM(self._key)
        try:
            with _main_module_left_out():
                sealed = executor.map(_work_in_worker, [work] * len(chunks), chunks)
            for answers in sealed:
                for report_id, kind, value in answers:
                    yield report_id, _opened(cipher, work, report_id, kind, value)
        except BrokenProcessPool as exc:
            self.close()  # the next call starts a new pool
            raise BrokenProcessPool(
                "a worker process of the intake's stage pool died (killed, out of memory, or it could "
                "not open the installation: its traceback is in this process's output); the task's "
                "retry starts new ones, and QUITUS_INTAKE_PROCESSES=1 does without them"
            ) from exc

    def start(self, pipeline: Pipeline, *, wait: bool = False, with_model: bool = False) -> list[WorkerFacts]:
        """Start the workers now (they build the installation while the caller goes on);
        with ``wait``, until each is ready, and what each says about itself; with
        ``with_model`` too, until each has loaded its PII model (which it otherwise loads
        at its first redaction: the bench keeps that one-time cost out of its figures)."""
        if pipeline.processes <= 1:
            return []
        executor = self._started(pipeline)
        # One call per worker: the pool starts a process for each call that finds none idle.
        with _main_module_left_out():
            futures = [executor.submit(_facts, 0.0) for _ in range(self._size)]
        if not wait:
            return []
        for future in futures:
            future.result()
        return self.facts(with_model=with_model)

    def facts(self, *, with_model: bool = False) -> list[WorkerFacts]:
        """What each worker says about itself (its peak memory, its spaCy models), once each
        is initialized; with ``with_model``, once each has loaded its PII model."""
        executor = self._executor
        if executor is None:
            return []
        told: dict[int, WorkerFacts] = {}
        deadline = time.monotonic() + 300
        while len(told) < self._size and time.monotonic() < deadline:
            # Each call holds its worker a moment, so the calls of a round go to different workers.
            futures = [executor.submit(_facts, 0.5, with_model) for _ in range(self._size)]
            told |= {facts.pid: facts for facts in (f.result() for f in futures)}
        return sorted(told.values(), key=_pid)

    def worker_pids(self) -> list[int]:
        """The worker processes running now."""
        executor = self._executor
        processes: Mapping[int, Any] = (getattr(executor, "_processes", None) or {}) if executor else {}
        return sorted(processes)

    def close(self) -> None:
        """Stop the workers (waits for the ones at work)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _started(self, pipeline: Pipeline) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is not None and self._size == pipeline.processes:
                return self._executor
            if pipeline.worker_opener is None:
                raise RuntimeError(
                    f"the pipeline is set to {pipeline.processes} processes but has no worker_opener "
                    "to build itself again in a worker: set QUITUS_INTAKE_PROCESSES=1, or give one"
                )
            old, self._executor = self._executor, None
            if old is not None:
                old.shutdown(wait=True)
            self._key = AESGCM.generate_key(bit_length=256)
            self._size = pipeline.processes
            self._executor = ProcessPoolExecutor(
                max_workers=self._size,
                mp_context=_forkserver(),
                initializer=_initialize_worker,
                initargs=(pipeline.worker_opener, self._key, os.getpid()),
            )
            return self._executor


# -- in a worker process -----------------------------------------------------------------------

_pipeline: Pipeline | None = None
_cipher: AESGCM | None = None


def _initialize_worker(opener: Callable[[], Pipeline], key: bytes, owner: int) -> None:
    global _pipeline, _cipher  # one pipeline per worker process
    threading.Thread(target=_exit_with, args=(owner, os.getppid()), daemon=True, name="owner").start()
    pipeline = opener()
    pipeline.processes = 1  # a worker never starts workers of its own
    pipeline.seal_identity()
    _pipeline, _cipher = pipeline, AESGCM(key)


def _exit_with(owner: int, parent: int) -> None:
    """End this worker when the process that started it is gone (a SIGKILL tells no one)."""
    while True:
        time.sleep(_WATCH_SECONDS)
        if os.getppid() != parent or not _alive(owner):
            os._exit(0)


def _work_in_worker(work: Work | BatchWork, report_ids: list[str]) -> list[tuple[str, str, Any]]:
    """``work`` on these reports: for each, its id and its outcome as it may cross."""
    assert _pipeline is not None, "the worker was not initialized"
    assert _cipher is not None, "the worker was not initialized"
    if work == "redact_some":
        outcomes = _pipeline.run_some(work, report_ids)
    else:
        outcomes = {report_id: _pipeline.run_one(work, report_id) for report_id in report_ids}
    return [
        (report_id, *_sealed(_cipher, work, report_id, outcome)) for report_id, outcome in outcomes.items()
    ]


def _sealed(cipher: AESGCM, work: str, report_id: str, outcome: Outcome) -> tuple[str, Any]:
    if isinstance(outcome, Failed):  # a code and what to do, no data: it crosses as it is
        return "issue", outcome.issue
    sealed = {}
    for kind, data in outcome.items():
        nonce = secrets.token_bytes(12)
        sealed[str(kind)] = nonce + cipher.encrypt(nonce, data, _bound(work, report_id, str(kind)))
    return "documents", sealed


def _facts(hold: float, with_model: bool = False) -> WorkerFacts:
    if with_model:
        assert _pipeline is not None, "the worker was not initialized"
        _pipeline.redactor()
    time.sleep(hold)
    return _facts_of(os.getpid())


# -- helpers -----------------------------------------------------------------------------------


def _opened(cipher: AESGCM, work: str, report_id: str, kind: str, value: Any) -> Outcome:
    if kind == "issue":
        return Failed(dict(value))
    return {
        BlobKind(name): cipher.decrypt(blob[:12], blob[12:], _bound(work, report_id, name))
        for name, blob in value.items()
    }


def _bound(work: str, report_id: str, kind: str) -> bytes:
    return f"quitus-stage-pool|{work}|{report_id}|{kind}".encode()


@contextlib.contextmanager
def _main_module_left_out() -> Iterator[None]:
    """While worker processes are started: multiprocessing would have each import this
    process's main module again (a script, ``prefect.engine``…), which workers never need —
    their functions live here — and which may not even import there (a script that finds
    its helpers beside it). Processes are started synchronously, in this thread, by the
    pool's ``submit``."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _forkserver() -> Any:
    context = multiprocessing.get_context("forkserver")
    with contextlib.suppress(ValueError):
        context.set_forkserver_preload(_PRELOAD)
    return context


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _facts_of(pid: int) -> WorkerFacts:
    peak = float("nan")
    with contextlib.suppress(OSError):
        for line in open(f"/proc/{pid}/status", encoding="ascii"):  # noqa: PTH123, SIM115
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    if pid == os.getpid() and peak != peak:  # noqa: PLR0124 - NaN: no /proc
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return WorkerFacts(pid=pid, peak_rss_mib=peak, spacy_models=spacy_models() if pid == os.getpid() else -1)


def spacy_models() -> int:
    """spaCy pipelines alive in this process (none when spaCy was never imported)."""
    if "spacy" not in sys.modules:
        return 0
    language = sys.modules["spacy"].language.Language
    return sum(1 for item in gc.get_objects() if isinstance(item, language))


def _pid(facts: WorkerFacts) -> int:
    return facts.pid
