"""Intake throughput: the real intake flow (embedded Prefect) against what it orchestrates.

Measured in one run, on the same generated reports, each variant in a fresh
``QUITUS_HOME`` holding the same captured reports (``quitus ingest`` done beforehand,
not timed here):

* **flow, one process**: ``workflows.flows.intake_flow`` as ``quitus run intake`` runs it
  with ``QUITUS_INTAKE_PROCESSES=1`` (Prefect's ephemeral server, batches of
  ``--batch-size``), until nothing is left to do;
* **flow, all cores**: the same with ``--processes`` (default: the CPU count) worker
  processes redacting, rendering and sealing (:mod:`workflows.parallel`); their CPU time
  counts; the flow's process loads no PII model, each worker loads one;
* **(a) direct**: the same stages called without Prefect, batch by batch
  (``Intake.validate``, then ``Pipeline.redact / render / seal / archive``) and the same
  final ledger checkpoint;
* **(b) naive**: one flow run per report, one task per stage, and the PII model called
  once per text (``PiiEngine.detect``) instead of once per batch (``nlp.pipe``). It is
  slow, so it runs on the first ``--naive-reports`` reports only and its cost per report
  is extrapolated. It is given the benefit of the doubt: one ledger checkpoint at the
  end, not one per flow run.

One-time costs are excluded from the per-report figures and printed apart: Prefect's
ephemeral server start-up (with the first, empty, flow run), the spaCy model load
(with the PII engine built on it; every variant gets its engine built before timing)
and the start of the worker processes (each opens the installation and loads its PII
model once).
The orchestration overhead is the flow's time spent outside those stage calls (Prefect's
engine and API calls, the batch claims, the summary artifact), timed inside the flow run
itself, as a share of (a). Timing it there, rather than subtracting two runs a minute
apart, keeps it clear of the machine's changing load (it is shared: wall times drift by
±20 % from one minute to the next); the difference of the two runs is printed as well.
Wall-clock time decides, as users feel it; CPU time (this process, Prefect's server
process and the worker processes) is shown beside it, per archived report.

``--distributed`` measures scale-out instead: a real Prefect server (``prefect server
start`` on loopback), ``quitus deploy``, the same captured reports in two PostgreSQL
databases, and 1 then 2 ``prefect worker`` processes (``QUITUS_INTAKE_PROCESSES=1``
each) taking the intake runs, which claim disjoint batches (:mod:`storage.claims`).

    .venv/bin/python bench/intake.py [--reports 200] [--naive-reports 20] [--seed 7] [--processes N]
    .venv/bin/python bench/intake.py --distributed [--reports 200] [--batch-size 25]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/quitus_bench_intake]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _distributed import run_distributed  # beside this file: before bench/ leaves sys.path
from _support import require_scratch_url

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # run as a script, bench/retention.py would shadow the ``retention`` package

OVERHEAD_TARGET = 0.15
"""The flow may cost at most this much more than its stages called directly."""
NAIVE_TARGET = 5.0
"""The flow must be at least this many times faster than the naive design."""
ALL_CORES_TARGET = 1.7
"""On a 2-core machine, the all-cores flow must do at least this many times the one-process flow."""
EFFICIENCY_TARGET = 0.85
"""Speed-up over the one-process flow, per process: at least this."""
CPU_BEFORE_MS = 146.0
"""CPU per archived report before issue 16 (``--reports 200``, one process)."""
CPU_TARGET_MS = CPU_BEFORE_MS * 0.75
"""At least 25 % below it."""
DISTRIBUTED_TARGET = 1.6
"""Two Prefect workers must do at least this many times what one does."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=200, help="generated reports (some invalid)")
    parser.add_argument(
        "--naive-reports", type=int, default=20, help="of which the naive design processes the first N"
    )
    parser.add_argument(
        "--batch-size", type=int, help="intake flow batch (default 200; --distributed: 25, several runs)"
    )
    parser.add_argument("--seed", type=int, default=7, help="sample generator seed")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="the all-cores flow's processes"
    )
    parser.add_argument("--distributed", action="store_true", help="1 vs 2 Prefect workers instead")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/quitus_bench_intake",
        help="--distributed: a scratch database (dropped; 'bench' in its name); a second one beside it",
    )
    args = parser.parse_args()
    if not 0 < args.naive_reports <= args.reports:
        parser.error("--naive-reports must be between 1 and --reports")
    if args.processes < 2:
        parser.error("--processes must be at least 2 (the one-process flow is measured beside it)")

    with tempfile.TemporaryDirectory(prefix="quitus-bench-intake-") as folder:
        if args.distributed:
            require_scratch_url(parser, args.postgres_url)
            batch_size = args.batch_size or 25
            run_distributed(Path(folder), args.reports, batch_size, args.seed, args.postgres_url)
        else:
            batch_size = args.batch_size or 200
            run(Path(folder), args.reports, args.naive_reports, batch_size, args.seed, args.processes)


def run(root: Path, count: int, naive_count: int, batch_size: int, seed: int, processes: int) -> None:
    # Embedded Prefect in a scratch home, set before Prefect is first imported.
    for name in [n for n in os.environ if n.startswith("PREFECT_")]:
        del os.environ[name]
    from workflows.runtime import prefect_environment  # noqa: PLC0415

    (root / "prefect-owner").mkdir()
    prefect_environment(root / "prefect-owner")

    from reports.samples import generate_samples  # noqa: PLC0415
    from reports.templates import TemplateCatalog  # noqa: PLC0415
    from workflows.parallel import spacy_models  # noqa: PLC0415

    catalog = TemplateCatalog.load()
    samples = generate_samples(catalog, count, seed=seed)
    payloads = [json.dumps(s.payload, ensure_ascii=False).encode() for s in samples]
    valid = sum(s.expected == "valid" for s in samples)
    print(f"{count} generated reports ({valid} valid, {count - valid} with a defect), seed {seed}")
    print(
        f"  {os.cpu_count()} CPUs (shared: noisy); Prefect's ephemeral server in its own process; "
        f"the all-cores flow redacts, renders and seals in {processes} worker processes"
    )

    homes = {
        "direct": Home.create(root / "direct", processes=1),
        "flow": Home.create(root / "flow", processes=1),
        "cores": Home.create(root / "cores", processes=processes),
        "naive": Home.create(root / "naive", processes=1),
    }
    with Clock() as capture_clock:
        for payload in payloads:
            homes["direct"].capture(payload)
    for payload in payloads:
        homes["flow"].capture(payload)
        homes["cores"].capture(payload)
    for payload in payloads[:naive_count]:
        homes["naive"].capture(payload)

    startup = StartUp.measure(homes["direct"])
    # (a) runs in two halves, before and after the flows, so that a change in the machine's
    # load (it is shared) weighs on both alike; the flows run as ``quitus run intake`` does.
    direct = homes["direct"].pipeline()
    with Clock() as direct_clock:
        homes["direct"].run_direct(direct, (count + 1) // 2, batch_size)
    in_stages = homes["flow"].prepare_flow(homes["flow"].pipeline())
    with Clock(server=startup.server_pid) as flow_clock:
        flow_runs = homes["flow"].run_flow(batch_size)
    cores_pipeline = homes["cores"].pipeline(model_here=False)  # its workers redact
    started = time.perf_counter()
    cores_pipeline.workers.start(cores_pipeline, wait=True, with_model=True)
    workers_start = time.perf_counter() - started
    homes["cores"].prepare_flow(cores_pipeline)
    with Clock(server=startup.server_pid, workers=cores_pipeline.workers.worker_pids) as cores_clock:
        cores_runs = homes["cores"].run_flow(batch_size)
    with direct_clock:
        homes["direct"].run_direct(direct, count, batch_size)
    naive_flow = homes["naive"].prepare_naive(homes["naive"].pipeline(_per_text_engine()))
    with Clock(server=startup.server_pid) as naive_clock:
        naive_runs = homes["naive"].run_naive(naive_flow)
    workers = cores_pipeline.workers.facts()
    cores_pipeline.close()

    outcome = {name: home.final_states() for name, home in homes.items()}
    for name in ("flow", "cores"):
        if outcome[name] != outcome["direct"]:
            raise SystemExit(
                f"the {name} flow and the direct stages disagree: {outcome[name]} vs {outcome['direct']}"
            )
    first = homes["direct"].final_states(homes["naive"].submission_ids())
    if outcome["naive"] != first:
        raise SystemExit(f"the naive design disagrees on its reports: {outcome['naive']} vs {first}")
    archived = outcome["flow"].get("archived", 0) or 1

    print("\nOne-time costs (not in the figures below)")
    row("spaCy model load + PII engine", f"{startup.model_load:6.2f} s")
    row("Prefect ephemeral server start", f"{startup.server_start:6.2f} s  (with a first, empty flow run)")
    row("an empty flow run afterwards", f"{1000 * startup.empty_flow:6.0f} ms")
    row(
        f"{processes} worker processes start",
        f"{workers_start:6.2f} s  (forkserver; each opens the installation, fonts, seal, PII model once)",
    )
    row("capture before the flow (ingest)", f"{count / capture_clock.wall:6.1f} reports/s  (not timed below)")

    states = ", ".join(f"{n} {s}" for s, n in sorted(outcome["flow"].items()))
    print(f"\nThe same {count} captured reports, captured → final state ({states})")
    row(
        "intake flow, one process",
        f"{count / flow_clock.wall:6.1f} reports/s  {1000 * flow_clock.wall / count:6.1f} ms/report  "
        f"({flow_runs} flow run(s); CPU {1000 * flow_clock.cpu / archived:.1f} ms/archived report, "
        f"of which Prefect server {1000 * flow_clock.server_cpu / archived:.1f})",
    )
    row(
        f"intake flow, {processes} processes",
        f"{count / cores_clock.wall:6.1f} reports/s  {1000 * cores_clock.wall / count:6.1f} ms/report  "
        f"({cores_runs} flow run(s); CPU {1000 * cores_clock.cpu / archived:.1f} ms/archived report, "
        f"of which workers {1000 * cores_clock.worker_cpu / archived:.1f}, "
        f"Prefect server {1000 * cores_clock.server_cpu / archived:.1f})",
    )
    row(
        "(a) stages called directly",
        f"{count / direct_clock.wall:6.1f} reports/s  {1000 * direct_clock.wall / count:6.1f} ms/report  "
        f"(one process, two halves around the flows; CPU {1000 * direct_clock.cpu / archived:.1f} "
        "ms/archived report)",
    )
    naive_per_report = naive_clock.wall / naive_count
    row(
        "(b) naive: a flow run per report",
        f"{1 / naive_per_report:6.1f} reports/s  {1000 * naive_per_report:6.1f} ms/report  "
        f"(first {naive_count} reports, {naive_runs} flow runs; CPU "
        f"{1000 * naive_clock.cpu / naive_count:.1f} ms/report, extrapolated to {count})",
    )
    where = ", ".join(
        f"{name} {1000 * clock.cpu / archived:.1f}" for name, clock in homes["direct"].stage_clocks.items()
    )
    row("  where (a)'s CPU goes", f"ms/archived report: {where}")
    print("\nTargets")
    speed_up = flow_clock.wall / cores_clock.wall
    row(
        "all cores vs one process",
        f"{speed_up:6.2f}×   target ≥ {ALL_CORES_TARGET}× on 2 cores: {verdict(speed_up >= ALL_CORES_TARGET)}"
        f"  ({processes} processes)",
    )
    efficiency = speed_up / min(processes, os.cpu_count() or processes)
    row(
        "parallel efficiency",
        f"{efficiency:6.1%}   target ≥ {EFFICIENCY_TARGET:.0%}: {verdict(efficiency >= EFFICIENCY_TARGET)}"
        "  (speed-up per core used)",
    )
    ratio = naive_per_report / (cores_clock.wall / count)
    row(
        "all cores vs (b) naive",
        f"{ratio:6.1f}×   target ≥ {NAIVE_TARGET:.0f}×: {verdict(ratio >= NAIVE_TARGET)}"
        f"  (one process: {naive_per_report / (flow_clock.wall / count):.1f}×)",
    )
    cpu_ms = 1000 * cores_clock.cpu / archived
    row(
        "CPU per archived report",
        f"{cpu_ms:6.1f} ms target ≤ {CPU_TARGET_MS:.1f} ({CPU_BEFORE_MS:.0f} − 25 %): "
        f"{verdict(cpu_ms <= CPU_TARGET_MS)}  (all cores, workers and Prefect server included; "
        f"one process: {1000 * flow_clock.cpu / archived:.1f} ms)",
    )
    orchestration = flow_clock.wall - in_stages.wall
    overhead = orchestration / direct_clock.wall
    row(
        "orchestration overhead vs (a)",
        f"{overhead:6.1%}   target ≤ {OVERHEAD_TARGET:.0%}: {verdict(overhead <= OVERHEAD_TARGET)}  "
        f"(one-process flow: {orchestration:.1f} s outside the stages; CPU "
        f"{(flow_clock.cpu - in_stages.cpu) / direct_clock.cpu:.1%})",
    )
    apart = flow_clock.wall / direct_clock.wall - 1
    row(
        "  the flow vs (a), two separate runs",
        f"{apart:+6.1%}   (CPU {flow_clock.cpu / direct_clock.cpu - 1:+.1%}; wall time here moves with "
        "the machine's load)",
    )
    row(
        "  (b)'s extra time per report",
        f"{1000 * (naive_per_report - flow_clock.wall / count):6.0f} ms  (a flow run, 5 task runs, the "
        "PII model per text; compare an empty flow run above)",
    )
    print("\nMemory")
    row(
        "peak RSS, this process",
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MiB  (spaCy models: "
        f"{spacy_models()}, shared by the one-process variants; four homes opened)",
    )
    row("peak RSS, Prefect server", f"{startup.server_peak_mib():6.0f} MiB")
    for number, facts in enumerate(workers, 1):
        row(
            f"peak RSS, worker {number}",
            f"{facts.peak_rss_mib:6.0f} MiB  (spaCy models: {facts.spacy_models}; pid {facts.pid})",
        )
    for home in homes.values():
        home.close()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def row(label: str, figures: str) -> None:
    print(f"  {label:<34} {figures}")


# -- the three variants -----------------------------------------------------------------------


@dataclass
class Home:
    """A fresh QUITUS_HOME and the application opened on it."""

    app: Any
    taken: int = 0
    """Reports the direct variant has validated so far."""
    stage_clocks: dict[str, Clock] = field(default_factory=dict)
    """The direct variant's time in each stage."""

    @classmethod
    def create(cls, home: Path, *, processes: int) -> Home:
        from quitus.settings import Settings  # noqa: PLC0415
        from quitus.wiring import initialize, open_app  # noqa: PLC0415

        settings = Settings(home=home, company_name="Thermi'Clim Services", intake_processes=processes)
        initialize(settings)
        return cls(open_app(settings))

    def capture(self, payload: bytes) -> None:
        from reports.intake import Submission  # noqa: PLC0415

        self.app.intake.capture(Submission(raw=payload, source="json"))

    def services(self, pipeline: Any) -> Any:
        from workflows.runtime import Services  # noqa: PLC0415

        app = self.app
        return Services(store=app.store, intake=app.intake, pipeline=pipeline, policies=app.policies)

    def pipeline(self, engine_class: type | None = None, *, model_here: bool = True) -> Any:
        """The application's pipeline with its PII engine (unless not ``model_here``: its
        workers redact) and seal loaded (not timed)."""
        pipeline = self.app.pipeline()
        if engine_class is not None:
            from anonymization import ReportRedactor, load_vocabulary  # noqa: PLC0415

            key = self.app.store.keys.index_key
            engine = engine_class(load_vocabulary(self.app.catalog))
            pipeline.redactor_factory = lambda: ReportRedactor(engine, pseudonym_key=key, style="placeholder")
        if model_here:
            pipeline.redactor()
        pipeline.seal_identity()
        return pipeline

    def run_direct(self, pipeline: Any, reports: int, batch_size: int) -> None:
        """The flow's work without Prefect, until ``reports`` reports in all were taken on:
        each stage on one batch, as the flow does, then the same ledger checkpoint."""
        from storage.states import ReportState  # noqa: PLC0415
        from workflows.stages import STAGES  # noqa: PLC0415

        store, intake = self.app.store, self.app.intake
        while self.taken < reports:
            limit = min(batch_size, reports - self.taken)
            ids = store.ids_in_state(ReportState.CAPTURED, limit=limit)
            if not ids:
                break
            with self.stage_clocks.setdefault("validate", Clock()):
                for report_id in ids:
                    intake.validate(report_id)
            self.taken += len(ids)
            for state, name in STAGES:
                waiting = store.ids_in_state(state, limit=limit)
                if waiting:
                    with self.stage_clocks.setdefault(name.value, Clock()):
                        getattr(pipeline, name)(waiting)
        with self.stage_clocks.setdefault("checkpoint", Clock()):
            store.ledger.checkpoint()

    def pending(self) -> int:
        """Reports not yet in a final state (what another round or flow run would take)."""
        from storage.states import ReportState  # noqa: PLC0415

        final = {ReportState.ARCHIVED, ReportState.REJECTED, ReportState.ERASED}
        return sum(n for state, n in self.app.store.count_by_state().items() if state not in final)

    def prepare_flow(self, pipeline: Any) -> Clock:
        """Services for the flow, their stage calls timed; returns the clock that times them."""
        from workflows.runtime import configure, services  # noqa: PLC0415
        from workflows.stages import STAGES  # noqa: PLC0415

        stages = Clock()
        for owner, name in [(pipeline, step.value) for _, step in STAGES] + [
            (self.app.intake, "validate"),
            (self.app.store.ledger, "checkpoint"),
        ]:
            setattr(owner, name, _timed(getattr(owner, name), stages))
        prepared = self.services(pipeline)
        configure(lambda: prepared)
        services()
        return stages

    def run_flow(self, batch_size: int) -> int:
        from workflows.flows import intake_flow  # noqa: PLC0415

        runs = 0
        while self.pending():
            runs += 1
            counts = intake_flow(batch_size=batch_size)
            if not any(v for k, v in counts.items() if not k.endswith("_failed")):
                break
        return runs

    def prepare_naive(self, pipeline: Any) -> Callable[[str], str]:
        from workflows.runtime import configure, services  # noqa: PLC0415

        prepared = self.services(pipeline)
        configure(lambda: prepared)
        services()
        return _naive_flow()

    def run_naive(self, report_flow: Callable[[str], str]) -> int:
        ids = sorted(self.submission_report_ids())
        for report_id in ids:
            report_flow(report_id)
        self.app.store.ledger.checkpoint()
        return len(ids)

    def submission_report_ids(self) -> list[str]:
        from storage.states import ReportState  # noqa: PLC0415

        ids: list[str] = self.app.store.ids_in_state(ReportState.CAPTURED, limit=1_000_000)
        return ids

    def submission_ids(self) -> list[str]:
        return [r.submission_id for r in self.app.store.list_reports(limit=1_000_000)]

    def final_states(self, submission_ids: Iterable[str] | None = None) -> dict[str, int]:
        wanted = set(submission_ids) if submission_ids is not None else None
        states: dict[str, int] = {}
        for report in self.app.store.list_reports(limit=1_000_000):
            if wanted is None or report.submission_id in wanted:
                states[report.state.value] = states.get(report.state.value, 0) + 1
        return states

    def close(self) -> None:
        self.app.close()


def _timed(method: Callable[..., Any], clock: Clock) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        with clock:
            return method(*args, **kwargs)

    return timed


def _per_text_engine() -> type:
    """A PiiEngine that runs the model and the analyzer once per text, as a naive caller would."""
    from anonymization import PiiEngine  # noqa: PLC0415

    class PerTextEngine(PiiEngine):
        def detect_many(
            self, texts: Sequence[str], *, keep: Sequence[Iterable[str]] | None = None
        ) -> list[list[Any]]:
            kept = list(keep) if keep is not None else [() for _ in texts]
            one_by_one = super().detect_many
            return [one_by_one([t], keep=[k])[0] for t, k in zip(texts, kept, strict=True)]

    return PerTextEngine


def _naive_flow() -> Callable[[str], str]:
    """One flow run per report, one task per stage: what the intake flow is not."""
    from prefect import flow, task  # noqa: PLC0415

    from workflows.runtime import services  # noqa: PLC0415

    options: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [2, 10], "persist_result": False}

    @task(name="validate-one", **options)
    def validate(report_id: str) -> bool:
        return bool(services().intake.validate(report_id).accepted)

    def stage_task(name: str) -> Any:
        @task(name=f"{name}-one", **options)
        def run_stage(report_id: str) -> bool:
            return bool(getattr(services().pipeline, name)([report_id]).done)

        return run_stage

    from workflows.stages import STAGES  # noqa: PLC0415

    stages = [stage_task(step.value) for _, step in STAGES]

    @flow(name="naive-report-intake", persist_result=False, log_prints=False)
    def report_flow(report_id: str) -> str:
        if not validate(report_id):
            return "rejected"
        for stage in stages:
            if not stage(report_id):
                return "failed"
        return "archived"

    return report_flow


# -- one-time costs, clocks -------------------------------------------------------------------


@dataclass
class StartUp:
    model_load: float
    server_start: float
    empty_flow: float
    server_pid: int | None

    @classmethod
    def measure(cls, home: Home) -> StartUp:
        started = time.perf_counter()
        home.app.pipeline().redactor()
        model_load = time.perf_counter() - started

        from prefect import flow  # noqa: PLC0415

        @flow(name="bench-warm-up", persist_result=False)
        def empty() -> None:
            return None

        started = time.perf_counter()
        empty()
        server_start = time.perf_counter() - started
        started = time.perf_counter()
        empty()
        return cls(model_load, server_start, time.perf_counter() - started, _server_pid())

    def server_peak_mib(self) -> float:
        if self.server_pid is None:
            return float("nan")
        for line in Path(f"/proc/{self.server_pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def _server_pid() -> int | None:
    """Prefect's ephemeral API server: the child process this one started (Linux /proc)."""
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            return int(stat.parent.name)
    return None


def _process_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Adds up wall time and CPU time: this process, plus the Prefect server and the worker
    processes if given (their CPU read from /proc)."""

    def __init__(self, *, server: int | None = None, workers: Callable[[], list[int]] | None = None) -> None:
        self.wall = self.cpu = self.server_cpu = self.worker_cpu = 0.0
        self._server = server
        self._workers = workers or list

    def __enter__(self) -> Clock:
        workers = {pid: _process_cpu(pid) for pid in self._workers()}
        self._marks = (time.perf_counter(), time.process_time(), _process_cpu(self._server), workers)
        return self

    def __exit__(self, *_: object) -> None:
        wall, cpu, server, workers = self._marks
        self.wall += time.perf_counter() - wall
        spent_on_server = _process_cpu(self._server) - server
        spent_in_workers = sum(_process_cpu(pid) - workers.get(pid, 0.0) for pid in self._workers())
        self.server_cpu += spent_on_server
        self.worker_cpu += spent_in_workers
        self.cpu += time.process_time() - cpu + spent_on_server + spent_in_workers


if __name__ == "__main__":
    main()
