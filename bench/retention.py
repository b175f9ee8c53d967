"""Retention at scale: plan and execute over a large archive, 10 % due; each against a baseline.

Per backend and archive size, in fresh databases, beside baselines from the same run and table:

* plan: ``plan_dispositions`` iterated to its end vs a plain ``SELECT id FROM reports``;
* execute: ``execute_plan`` on the streamed plan through the disposal gate (as ``run_retention``), all
  the time spent producing plan items excluded, vs a plain ``UPDATE reports SET
  state='erased' WHERE id IN (…)`` of as many other reports in the same batches: the ratio
  is what key destruction, ledger certificates and tombstones cost on top;
* memory: growth of the resident set's high-water mark per phase, from a trimmed heap
  (``malloc_trim``, ``/proc/self/clear_refs``: Linux, glibc); ``--tracemalloc`` adds the
  Python heap's peak but slows every phase; CPU time is shown, as the machine may be busy;
* linearity: cost per report (plan) and per disposition (execute) vs the smallest size;
* certificates: every disposition stores its certificate of disposition in the gate (in the
  execute figure); the sealed PDFs are issued afterwards, outside the gate's transactions,
  and their rate is measured apart on ``--certificates`` of them (render, attach, seal, store,
  ``certify`` entry).

The archive is bulk-inserted into ``reports`` and the key store's ``data_keys`` (COPY on
PostgreSQL) with a dummy wrapped key each: deletion never unwraps. Erased reports and
destroyed keys must then equal the due ones and ``verify_ledger`` must pass on a fresh
checkpoint, or the run stops. On PostgreSQL the key store has a database of its own, as
in production: ``<database>_keys``. Both scratch databases are dropped.

    .venv/bin/python bench/retention.py [--sizes 100000,300000,1000000] [--quick]
        [--no-postgres | --no-sqlite] [--postgres-url URL] [--certificates N]
"""

from __future__ import annotations

import sys
from pathlib import Path

from _support import recreate_postgres, require_scratch_url  # beside this file: before bench/ leaves sys.path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # run as a script, this file would shadow the ``retention`` package it measures

import argparse
import ctypes
import datetime as dt
import gc
import re
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Table, create_engine, func, select, update
from sqlalchemy.engine import make_url

from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from reports.pdf import create_company_ca
from reports.pdf.disposition import DispositionSealer
from retention.certificates import issue_certificates
from retention.clock import FixedClock
from retention.executor import EXECUTION_BATCH, execute_plan
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.planner import PlannedDisposition, plan_dispositions
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore, KeyRecord
from storage.ledger.checkpoint import load_signer
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger
from storage.models import ReportRecord
from storage.report_facts import FACTS_DETAIL, facts_digest
from storage.report_store import ReportStore, new_report_id
from storage.subject_index import SUBJECTS_DETAIL, subjects_digest

AT = dt.date(2026, 1, 1)
FILL_CHUNK = 10_000
TEMPLATES = ["chaudiere_gaz.entretien_annuel", "climatisation.mise_en_service", "pompe_a_chaleur.depannage"]
COMMON = {"source": "json", "issues": [], "revision": 1, "tags": [], "site_country": "FR"}
ID_PREFIX = new_report_id()[:13]
"""``RI-`` and a ULID's timestamp; a fixed-width counter follows, so ids sort like ``n``."""


def report_id(n: int) -> str:
    return f"{ID_PREFIX}{n:016d}"


def delete_policy(pid: str, duration: str, **scope: list[str]) -> LoadedPolicy:
    fields = {"id": pid, "title": pid, "scope": scope, "duration": duration, "action": "delete"}
    legal = {"text": "bench", "references": ["bench"]}
    model = Policy.model_validate(fields | {"legal_basis": legal, "trigger": {"kind": "intervention_date"}})
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "bench", "")


POLICIES = PolicySet(
    [delete_policy("delete-5y", "P5Y"), delete_policy("pros-6y", "P6Y", client_kinds=["professionnel"])]
)


# -- the archive ---------------------------------------------------------------------------


def report_row(n: int, filled_at: dt.datetime) -> dict[str, object]:
    """Every tenth report is due at ``AT`` (intervention 2012-2018); the others date from 2023-2025.

    Archived at ``filled_at``: the time of the ``archive`` entry the fill writes for it (the
    disposal gate compares the two; the policies count from the intervention date)."""
    start, spread = (dt.date(2012, 1, 1), 2_500) if n % 10 == 0 else (dt.date(2023, 1, 1), 900)
    day = start + dt.timedelta(days=n * 7 % spread)
    noon, archived = dt.datetime.combine(day, dt.time(12), dt.UTC), n % 7 != 0
    return COMMON | {
        "id": report_id(n),
        "state": "archived" if archived else "validated",
        "template_id": TEMPLATES[n % len(TEMPLATES)],
        "client_kind": "professionnel" if n % 4 == 0 else "particulier",
        "intervention_date": day,
        "archived_at": filled_at if archived else None,
        "created_at": noon + dt.timedelta(days=1),
        "updated_at": filled_at if archived else noon + dt.timedelta(days=1),
    }


def ledger_events(row: dict[str, object]) -> list[LedgerEvent]:
    """The entries the disposal gate checks a report's row against: its ``capture`` (the
    retention facts' and the empty subject index's digests) and, archived, its ``archive``."""
    report = str(row["id"])
    facts = facts_digest(
        template_id=str(row["template_id"]),
        client_kind=str(row["client_kind"]),
        intervention_date=row["intervention_date"],  # type: ignore[arg-type]
        outcome=None,
        tags=[],
        site_country="FR",
    )
    details = {FACTS_DETAIL: facts, SUBJECTS_DETAIL: subjects_digest([])}
    events = [LedgerEvent(LedgerStep.CAPTURE, "bench", "captured", report_id=report, details=details)]
    if row["archived_at"] is not None:
        events.append(LedgerEvent(LedgerStep.ARCHIVE, "bench", "archived", report_id=report))
    return events


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, object]]) -> None:
    """Straight to the driver (COPY on PostgreSQL), values bound as SQLAlchemy binds them."""
    dialect, columns = connection.dialect, list(rows[0])
    processors = {
        i: process
        for i, column in enumerate(columns)
        if (process := table.c[column].type.dialect_impl(dialect).bind_processor(dialect))
    }
    memo: dict[tuple[int, object], object] = {}  # dates and timestamps repeat: convert each once
    values = []
    for row in rows:
        value = list(row.values())
        for i, process in processors.items():
            key = (i, tuple(value[i]) if isinstance(value[i], list) else value[i])
            value[i] = memo[key] if key in memo else memo.setdefault(key, process(value[i]))
        values.append(value)
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for value in values:
                copy.write_row(value)
    else:
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB: index inserts stay in memory
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks})", [tuple(v) for v in values]
        )


def fill(store: ReportStore, size: int) -> None:
    """Through engines of their own: the measured runs must not inherit the fill's page cache."""
    engines = [create_engine(store.database.url), create_engine(store.keystore.url)]
    wrapped, kek_id, now = bytes(60), store.keys.kek_id, dt.datetime.now(dt.UTC)
    for start in range(0, size, FILL_CHUNK):
        numbers = range(start, min(start + FILL_CHUNK, size))
        rows = [report_row(n, now) for n in numbers]
        with engines[0].begin() as connection:
            bulk_insert(connection, ReportRecord.__table__, rows)
        with store.database.session() as session:
            store.ledger.append(session, [e for row in rows for e in ledger_events(row)], now=now)
        keys = [
            {"report_id": report_id(n), "wrapped_key": wrapped, "kek_id": kek_id, "created_at": now}
            for n in numbers
        ]
        with engines[1].begin() as connection:
            bulk_insert(connection, KeyRecord.__table__, keys)
    for engine, table in zip(engines, ("reports", "data_keys"), strict=True):
        if engine.dialect.name == "postgresql":  # an archive that grew over years has statistics
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f"VACUUM ANALYZE {table}")
        engine.dispose()


@contextmanager
def fresh_store(url: str | None, folder: Path, key_dir: Path) -> Iterator[ReportStore]:
    """A migrated, empty database and key store: SQLite files, or scratch databases recreated."""
    urls = [f"sqlite:///{folder / 'quitus.db'}", f"sqlite:///{folder / 'datakeys.db'}"]
    if url is not None:
        keys = make_url(url).set(database=f"{make_url(url).database}_keys")
        urls = [url, keys.render_as_string(hide_password=False)]
        for each in urls:
            recreate_postgres(each, create=True)
    folder.mkdir()
    database, keystore = Database(urls[0]), DataKeyStore(urls[1], load_key_material(key_dir))
    ledger = Ledger(database, load_signer("quitus.bench", read_key_file(key_dir / "ledger.key")))
    try:
        database.upgrade()
        keystore.ensure_schema()
        yield ReportStore(database, keystore, BlobStore(LocalBlobBackend(folder / "blobs")), ledger)
    finally:
        database.dispose()
        keystore.dispose()
        shutil.rmtree(folder)
        for each in urls if url is not None else []:
            recreate_postgres(each, create=False)


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Phase:
    seconds: float = 0.0
    cpu: float = 0.0
    """This process's CPU time (the database server's is not in it)."""
    rss_mib: float = 0.0
    """Growth of the resident set's high-water mark during the phase."""
    heap_mib: float | None = None
    """Python heap peak above its level at the start (``--tracemalloc``)."""

    def memory(self) -> str:
        heap = "" if self.heap_mib is None else f", heap peak +{self.heap_mib:,.1f} MiB"
        return f"RSS peak +{self.rss_mib:,.1f} MiB{heap}"


MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", lambda _: 0)  # glibc


def _kib(field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert found is not None, "needs Linux: /proc/self/status"
    return int(found.group(1))


@contextmanager
def measured() -> Iterator[Phase]:
    gc.collect()
    MALLOC_TRIM(0)  # freed memory back to the system: the high-water mark then measures this phase
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := current RSS (Linux >= 4.0)
    phase, rss, heap = Phase(), _kib("VmRSS"), tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    yield phase
    phase.seconds, phase.cpu = time.perf_counter() - started, time.process_time() - cpu
    phase.rss_mib = max(0, _kib("VmHWM") - rss) / 1024  # the phase may start by freeing memory
    if tracemalloc.is_tracing():
        phase.heap_mib = (tracemalloc.get_traced_memory()[1] - heap) / 2**20


class TimedPlan:
    """Iterates a plan, adding up the time spent producing its items (the rest is execution)."""

    def __init__(self, plan: Iterable[PlannedDisposition]) -> None:
        self._plan, self.seconds, self.cpu = iter(plan), 0.0, 0.0

    def __iter__(self) -> TimedPlan:
        return self

    def __next__(self) -> PlannedDisposition:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return next(self._plan)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu += time.process_time() - cpu


def scan_ids(database: Database) -> int:
    with database.engine.connect() as connection:
        return sum(
            1 for _ in connection.execution_options(yield_per=FILL_CHUNK).execute(select(ReportRecord.id))
        )


def plain_erase(database: Database, size: int) -> int:
    """The execution baseline, on as many reports that are not due (``n % 10 == 5``)."""
    others = [report_id(n) for n in range(5, size, 10)]
    for start in range(0, len(others), EXECUTION_BATCH):
        with database.session() as session:
            batch = ReportRecord.id.in_(others[start : start + EXECUTION_BATCH])
            session.execute(update(ReportRecord).where(batch).values(state="erased"))
    return len(others)


def show(label: str, figure: str, note: str = "") -> None:
    print(f"  {label:<46} {figure:>20}  {note}".rstrip())


def bench_size(
    store: ReportStore, size: int, sealer: DispositionSealer, certificates: int
) -> tuple[int, Phase, Phase]:
    due = len(range(0, size, 10))
    print(f"archive of {size:,} reports, {due:,} due (delete)")
    with measured() as filled:
        fill(store, size)
    show("fast fill (bulk insert)", f"{filled.seconds:,.1f} s", f"{size / filled.seconds:,.0f} reports/s")
    scope = {"client_kind": "professionnel", "intervention_from": "2024-01-01"}
    HoldService(store).place(reason="bench", scope_kind="query", scope=scope)  # in force, holds nothing due

    with measured() as scan:
        assert scan_ids(store.database) == size
    with measured() as plan:
        planned = sum(1 for _ in plan_dispositions(store, POLICIES, HoldService(store).active(), AT))
    if planned != due:
        raise SystemExit(f"the plan lists {planned:,} reports; {due:,} are due")
    show(
        "baseline: SELECT id FROM reports", f"{size / scan.seconds:,.0f} reports/s", f"{scan.seconds:,.2f} s"
    )
    ratio = scan.seconds / plan.seconds
    note = f"{plan.seconds:,.1f} s (cpu {plan.cpu:,.1f}), {ratio:.3f}x baseline, {plan.memory()}"
    show("plan_dispositions, iterated to its end", f"{size / plan.seconds:,.0f} reports/s", note)

    with measured() as run:
        # as run_retention plans: the gate checks each report against the ledger itself
        holds = HoldService(store).active()
        timed = TimedPlan(plan_dispositions(store, POLICIES, holds, AT, check_tampering=False))
        gate = DisposalGate(store, POLICIES, clock=FixedClock(AT), sealer=sealer)
        summary = execute_plan(store, timed, gate=gate)
    execute = Phase(run.seconds - timed.seconds, run.cpu - timed.cpu, run.rss_mib, run.heap_mib)
    with store.database.session() as session:
        erased = session.scalar(select(func.count()).where(ReportRecord.state == "erased"))
    destroyed = store.keystore.usage().get(None, 0)
    if not summary.total == erased == destroyed == due or {a for a, _ in summary.done} != {"delete"}:
        raise SystemExit(
            f"{due:,} due, {summary.total:,} disposed, {erased:,} erased, {destroyed:,} destroyed"
        )
    with measured() as plain:
        updated = plain_erase(store.database, size)
    base = updated / plain.seconds
    show(f"baseline: UPDATE … SET state='erased', {EXECUTION_BATCH}/commit", f"{base:,.0f} reports/s")
    rate = due / execute.seconds
    verdict = f"[target >= 2,000/s: {'met' if rate >= 2_000 else 'MISSED'}]"
    note = f"{execute.seconds:,.1f} s (cpu {execute.cpu:,.1f}), {rate / base:.3f}x baseline {verdict}"
    show("execute_plan, delete (plan excluded)", f"{rate:,.0f} dispositions/s", note)
    show("  plan + execute, streamed", f"{run.seconds:,.1f} s", run.memory())
    show("erased reports = destroyed keys = due", "yes")
    with measured() as check:
        store.ledger.checkpoint()
        result = verify_ledger(store.ledger, store.ledger.signer.verifier_key())
    if not result.ok or result.entries != due + 1:
        raise SystemExit(f"verify_ledger: {result.entries:,} entries, {result.problems[:3]}")
    show(f"checkpoint + verify_ledger ({result.entries:,} entries)", f"{check.seconds:,.1f} s", "ok")
    if certificates:
        with measured() as issuing:
            issued = issue_certificates(store, sealer, limit=certificates)
        if len(issued.issued) != min(certificates, due) or issued.failed:
            raise SystemExit(
                f"{len(issued.issued)} certificate PDFs issued, failed: {list(issued.failed.values())[:3]}"
            )
        note = (
            f"{len(issued.issued):,} in {issuing.seconds:,.1f} s (cpu {issuing.cpu:,.1f}), outside the gate"
        )
        show("certificate PDFs issued (sealed)", f"{len(issued.issued) / issuing.seconds:,.1f} PDFs/s", note)
    return size, plan, execute


def show_scaling(results: list[tuple[int, Phase, Phase]]) -> None:
    size0, plan0, execute0 = results[0]
    print(f"scaling: cost per report relative to {size0:,} (1.00 = linear); memory growth per phase")
    print("  (the first size's memory includes one-time allocations: statement caches, lazy imports)")
    print(f"  {'':<36}" + "".join(f"{size:>12,}" for size, _, _ in results))
    rows = [
        ("plan, µs per report", lambda n, p, _: p.seconds / n * 1e6),
        ("  ratio", lambda n, p, _: p.seconds / n / (plan0.seconds / size0)),
        ("  ratio of CPU time", lambda n, p, _: p.cpu / n / (plan0.cpu / size0)),
        ("execute, µs per disposition", lambda n, _, e: e.seconds / (n / 10) * 1e6),
        ("  ratio", lambda n, _, e: e.seconds / n / (execute0.seconds / size0)),
        ("  ratio of CPU time", lambda n, _, e: e.cpu / n / (execute0.cpu / size0)),
        ("plan, RSS peak growth MiB", lambda _, p, __: p.rss_mib),
        ("plan + execute, RSS peak growth MiB", lambda _, __, e: e.rss_mib),
    ]
    if plan0.heap_mib is not None:
        rows.append(("plan, heap peak MiB", lambda _, p, __: p.heap_mib or 0.0))
        rows.append(("plan + execute, heap peak MiB", lambda _, __, e: e.heap_mib or 0.0))
    for label, value in rows:
        print(f"  {label:<36}" + "".join(f"{value(*result):>12,.2f}" for result in results))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,300000,1000000", help="archive sizes, comma-separated")
    parser.add_argument("--quick", action="store_true", help="sizes 20,000 and 60,000 (overrides --sizes)")
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap's peak (slower)")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/quitus_bench_retention"
    )
    parser.add_argument(
        "--certificates", type=int, default=200, help="certificate PDFs to issue and time per size (0: none)"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--no-postgres", action="store_true", help="SQLite only")
    only.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    sizes = [20_000, 60_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if not args.no_postgres:
        require_scratch_url(parser, args.postgres_url)
    if args.tracemalloc:
        tracemalloc.start()

    backends: list[tuple[str, str | None]] = []
    if not args.no_sqlite:
        backends.append(("SQLite (WAL), key store SQLite (secure_delete)", None))
    if not args.no_postgres:
        backends.append(("PostgreSQL, key store in a PostgreSQL database of its own", args.postgres_url))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quitus-bench-") as tmp:
        create_key_files(Path(tmp) / "keys")
        create_company_ca(Path(tmp) / "seal", "Thermi'Clim Services")
        sealer = DispositionSealer.from_directory(Path(tmp) / "seal")
        for title, url in backends:
            print(f"== {title}")
            results = []
            for size in sizes:
                with fresh_store(url, Path(tmp) / str(size), Path(tmp) / "keys") as store:
                    results.append(bench_size(store, size, sealer, args.certificates))
            show_scaling(results)
            print()
    print(f"total {time.perf_counter() - started:,.0f} s")


if __name__ == "__main__":
    main()
