"""Audit ledger and blob store: append, prove, verify, encrypt; each against a baseline.

Every figure is printed beside a baseline measured in the same run on the same data:

* append: ``Ledger.append`` (100 events per transaction) and ``Ledger.record`` (one
  per transaction, for a tenth of the events) vs a plain INSERT of the same entry
  texts into a bare table: the ratio is what encoding, tree nodes and the head lock cost;
* inclusion proof at ``--proof-size`` entries: p50/p99 of ``Ledger.inclusion_proof``
  vs recomputing the root from every leaf hash in memory (a ledger without nodes);
* full verification: ``verify_ledger`` vs plain SHA-256 over the same entry bytes;
* blobs: ``BlobStore.put/get`` vs AES-GCM in memory and vs a plain file write + fsync.

The proof-size ledger is filled fast: entries and nodes computed exactly as
``Ledger.append`` computes them, bulk-inserted. ``Ledger.root`` must then equal the
root computed in memory, every sampled proof must verify against it and
``verify_ledger`` must pass, or the run stops.

    .venv/bin/python bench/ledger.py [--quick] [--no-postgres] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _support import recreate_postgres, require_scratch_url
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, text, update

from storage.blobs import BlobStore, LocalBlobBackend, new_blob_id
from storage.database import Database
from storage.keys import DataKey
from storage.ledger.checkpoint import NoteSigner, generate_signing_key, load_signer
from storage.ledger.events import LedgerEvent, encode_entry
from storage.ledger.merkle import leaf_hash, nodes_completed_by_append, verify_inclusion
from storage.ledger.store import Ledger
from storage.ledger.verify import CompactRange, verify_ledger
from storage.models import LedgerEntryRecord, LedgerHeadRecord, utcnow
from storage.report_store import new_report_id

BATCH = 100
FILL_CHUNK = 10_000
ISSUE_CODES = ["photo.too_small", "signature.missing", "date.future", "client.unknown"]


def realistic_events(count: int, rng: random.Random) -> list[LedgerEvent]:
    """Capture events as the report store records them: 2-4 artifacts, some issue codes."""
    events = []
    for _ in range(count):
        issues = sorted(rng.sample(ISSUE_CODES, rng.choice((0, 0, 0, 1, 2))))
        artifacts = {new_blob_id(): rng.randbytes(32).hex() for _ in range(rng.randint(2, 4))}
        outcome, details = ("rejected", {"issues": issues}) if issues else ("captured", {})
        events.append(LedgerEvent("capture", "quitus", outcome, new_report_id(), artifacts, details=details))
    return events


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def show(label: str, figure: str, note: str = "") -> None:
    print(f"  {label:<50} {figure:>16}  {note}".rstrip())


def verdict(met: bool, target: str) -> str:
    return f"[target {target}: {'met' if met else 'MISSED'}]"


@contextmanager
def fresh_database(url: str | None, tmp: Path, label: str) -> Iterator[Database]:
    """A migrated, empty database: a new SQLite file, or the scratch PostgreSQL database recreated."""
    if url is None:
        database = Database(f"sqlite:///{tmp / label}.db")
    else:
        recreate_postgres(url, create=True)
        database = Database(url)
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        if url is not None:
            recreate_postgres(url, create=False)


# -- 1. append throughput ------------------------------------------------------------------


def bench_append(database: Database, signer: NoteSigner, events: list[LedgerEvent], singles: int) -> None:
    ledger = Ledger(database, signer)
    now = utcnow()
    plain = [{"seq": n, "entry": encode_entry(n, now, e).decode()} for n, e in enumerate(events)]
    with database.session() as session:
        session.execute(text("CREATE TABLE bench_plain_entries (seq BIGINT PRIMARY KEY, entry TEXT)"))
    insert_plain = text("INSERT INTO bench_plain_entries (seq, entry) VALUES (:seq, :entry)")

    def batched_ledger() -> None:
        for start in range(0, len(events), BATCH):
            with database.session() as session:
                ledger.append(session, events[start : start + BATCH])

    def batched_plain(rows: list[dict[str, object]], batch: int) -> None:
        for start in range(0, len(rows), batch):
            with database.session() as session:
                session.execute(insert_plain, rows[start : start + batch])

    base = len(plain) / seconds(lambda: batched_plain(plain, BATCH))
    rate = len(events) / seconds(batched_ledger)
    target = verdict(rate >= 5_000, ">= 5,000/s") if database.dialect == "sqlite" else ""
    print(f"append, {len(events):,} events, {BATCH} per transaction")
    show("baseline: plain executemany INSERT", f"{base:,.0f} events/s")
    show("Ledger.append", f"{rate:,.0f} events/s", f"{rate / base:.2f}x baseline {target}")

    extra = [{"seq": len(plain) + n, "entry": row["entry"]} for n, row in enumerate(plain[:singles])]
    base = singles / seconds(lambda: batched_plain(extra, 1))
    rate = singles / seconds(lambda: [ledger.record(e) for e in events[:singles]])
    print(f"append, {singles:,} events, 1 per transaction (worst case)")
    show("baseline: plain INSERT + commit", f"{base:,.0f} events/s")
    show("Ledger.record", f"{rate:,.0f} events/s", f"{rate / base:.2f}x baseline")


# -- 2. and 3. proofs and full verification at size ----------------------------------------


class RightEdge:
    """The newest node of each level: all that ``nodes_completed_by_append`` reads."""

    def __init__(self) -> None:
        self.newest: dict[int, tuple[int, bytes]] = {}

    def perfect_node(self, level: int, index: int) -> bytes:
        stored_index, digest = self.newest[level]
        if stored_index != index:
            raise KeyError((level, index))
        return digest


def fast_fill(database: Database, size: int, rng: random.Random) -> tuple[list[bytes], float, int]:
    """Rows exactly as ``Ledger.append`` writes them; returns leaf hashes, SHA-256 loop time, bytes.

    Events come from a pool of ``FILL_CHUNK`` reused in turn (a report has several
    events in its life); every entry still differs by its sequence number. Rows go
    straight to the driver, with ``recorded_at`` bound as SQLAlchemy would bind it.
    """
    recorded_at, edge, leaves = utcnow(), RightEdge(), []
    dialect = database.engine.dialect
    bind = LedgerEntryRecord.__table__.c.recorded_at.type.dialect_impl(dialect).bind_processor(dialect)
    stored_at = bind(recorded_at) if bind else recorded_at
    pool = realistic_events(min(FILL_CHUNK, size), rng)
    hashing, total_bytes = 0.0, 0
    for start in range(0, size, FILL_CHUNK):
        entries, nodes, texts = [], [], []
        for seq, event in enumerate(pool[: min(FILL_CHUNK, size - start)], start):
            entry = encode_entry(seq, recorded_at, event)
            leaf = leaf_hash(entry)
            leaves.append(leaf)
            texts.append(entry)
            for level, index, digest in nodes_completed_by_append(seq, leaf, edge):
                edge.newest[level] = (index, digest)
                nodes.append((level, index, digest))
            entries.append((seq, event.report_id, event.step, stored_at, entry.decode("ascii")))
        total_bytes += sum(map(len, texts))
        hashing += seconds(lambda texts=texts: [hashlib.sha256(t).digest() for t in texts])
        with database.session() as session:
            insert_rows(
                session.connection(), "ledger_entries (seq, report_id, step, recorded_at, entry)", entries
            )
            insert_rows(session.connection(), "ledger_nodes (level, idx, hash)", nodes)
    with database.session() as session:
        session.execute(update(LedgerHeadRecord).where(LedgerHeadRecord.id == 1).values(size=size))
    # A bulk load leaves the planner without statistics (autovacuum would catch up later,
    # as it does on a ledger that grows day by day): gather them now, as after a restore.
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    return leaves, hashing, total_bytes


def insert_rows(connection: Connection, into: str, rows: list[tuple[object, ...]]) -> None:
    """The fastest insert each driver has: COPY on PostgreSQL, executemany on SQLite."""
    if connection.dialect.name == "postgresql":
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(rows[0]))
        connection.exec_driver_sql(f"INSERT INTO {into} VALUES ({marks})", rows)


def bench_at_size(database: Database, signer: NoteSigner, size: int, proofs: int, rng: random.Random) -> None:
    ledger = Ledger(database, signer)
    print(f"ledger of {size:,} entries")
    started = time.perf_counter()
    leaves, hashing, total_bytes = fast_fill(database, size, rng)
    fill = time.perf_counter() - started
    show("fast fill (computed as Ledger.append, bulk insert)", f"{fill:,.1f} s", f"{size / fill:,.0f}/s")
    tree = CompactRange()
    rebuild = seconds(lambda: [tree.append(leaf) for leaf in leaves])
    root = tree.root()
    if ledger.root(size) != root:
        raise SystemExit("the fast fill differs from Ledger.append: Ledger.root != in-memory root")
    show("Ledger.root equals the root computed in memory", "yes")

    print(f"inclusion proof, {proofs:,} random leaves")
    show("baseline: root from all leaf hashes in memory", f"{rebuild * 1000:,.1f} ms", "(once)")
    for seq in range(0, size, size // 10):  # warm-up: statement caches, prepared statements
        ledger.inclusion_proof(seq, size)
    latencies, checks = [], []
    for seq in rng.sample(range(size), proofs):
        started = time.perf_counter()
        proof = ledger.inclusion_proof(seq, size)
        latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        ok = verify_inclusion(seq, size, leaves[seq], proof, root)
        checks.append(time.perf_counter() - started)
        if not ok:
            raise SystemExit(f"inclusion proof of entry {seq} does not verify")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    show("Ledger.inclusion_proof p50", f"{p50:.2f} ms", f"{rebuild * 1000 / p50:,.0f}x faster than baseline")
    show("Ledger.inclusion_proof p99", f"{p99:.2f} ms", verdict(p99 <= 10, "<= 10 ms"))
    show("verify_inclusion p50", f"{statistics.median(checks) * 1e6:.0f} us")

    show("Ledger.checkpoint (root from stored nodes + sign)", f"{seconds(ledger.checkpoint) * 1000:.1f} ms")
    print("full verification")
    base = size / hashing
    show("baseline: plain SHA-256 of each entry", f"{base:,.0f} entries/s", f"{total_bytes / 1e6:,.0f} MB")
    started = time.perf_counter()
    result = verify_ledger(ledger, signer.verifier_key())
    wall = time.perf_counter() - started
    if not result.ok or result.entries != size:
        raise SystemExit(f"verify_ledger failed on the filled ledger: {result.problems[:3]}")
    ratio = f"{size / wall:,.0f} entries/s = {size / wall / base:.3f}x baseline"
    show("verify_ledger", f"{wall:,.1f} s", f"{ratio} {verdict(wall * 1e6 / size < 60, '< 60 s/million')}")


# -- 4. blobs ------------------------------------------------------------------------------


def bench_blobs(root: Path, size: int, count: int) -> None:
    """MB/s from the median time of one blob: fsync times on shared disks have long tails."""
    key = DataKey(new_report_id(), os.urandom(32))
    backend = LocalBlobBackend(root / "blobs")
    store = BlobStore(backend)
    aead, aad = AESGCM(key.key), b"quitus/bench"
    payload, nonce = os.urandom(size), os.urandom(12)
    sealed = aead.encrypt(nonce, payload, aad)
    plain = root / f"plain-{size}"
    plain.mkdir()

    def rate(operation: Callable[[int], object]) -> float:
        return size / 1e6 / statistics.median(seconds(lambda n=n: operation(n)) for n in range(count))

    def write_fsync(n: int) -> None:
        with (plain / str(n)).open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    stored = []
    encrypt = rate(lambda _: aead.encrypt(nonce, payload, aad))
    written = rate(write_fsync)
    atomic = rate(lambda _: backend.put(key.report_id, new_blob_id(), sealed))
    put = rate(lambda _: stored.append(store.put(key, "photo", payload)))
    decrypt = rate(lambda _: aead.decrypt(nonce, sealed, aad))
    read = rate(lambda n: (plain / str(n)).read_bytes())
    get = rate(lambda n: store.get(key, "photo", stored[n].blob_id))

    print(f"blobs of {size // 1024:,} KiB x {count} (median blob)")
    show("baseline: AES-GCM encrypt in memory", f"{encrypt:,.0f} MB/s")
    show("baseline: plain file write + fsync", f"{written:,.0f} MB/s")
    show("LocalBlobBackend.put alone (atomic: 2 fsyncs)", f"{atomic:,.0f} MB/s")
    ratios = f"{put / encrypt:.2f}x AES-GCM, {put / written:.2f}x write+fsync, {put / atomic:.2f}x backend"
    show("BlobStore.put", f"{put:,.0f} MB/s", ratios)
    show("baseline: AES-GCM decrypt in memory", f"{decrypt:,.0f} MB/s")
    show("baseline: plain file read (page cache)", f"{read:,.0f} MB/s")
    show("BlobStore.get", f"{get:,.0f} MB/s", f"{get / decrypt:.2f}x AES-GCM, {get / read:.2f}x plain read")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="events appended per backend")
    parser.add_argument("--proof-size", type=int, default=1_000_000, help="entries in the proof ledger")
    parser.add_argument("--proofs", type=int, default=1_000, help="random inclusion proofs timed")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/quitus_bench_ledger"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 events, 50,000-entry proof ledger (overrides)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        args.events, args.proof_size, args.proofs = 2_000, 50_000, 500
    if not args.no_postgres:
        require_scratch_url(parser, args.postgres_url)

    rng = random.Random(args.seed)
    signer = load_signer("quitus.bench", generate_signing_key()[0])
    backends: list[tuple[str, str | None]] = [("SQLite (WAL, synchronous=NORMAL)", None)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", args.postgres_url))
    with tempfile.TemporaryDirectory(prefix="quitus-bench-") as tmp:
        for title, url in backends:
            print(f"== {title}")
            with fresh_database(url, Path(tmp), "append") as database:
                events = realistic_events(args.events, rng)
                bench_append(database, signer, events, singles=max(args.events // 10, 100))
            with fresh_database(url, Path(tmp), "proofs") as database:
                bench_at_size(database, signer, args.proof_size, args.proofs, rng)
            print()
        print("== blob store (LocalBlobBackend in a temporary folder)")
        for size, count in ((64 << 10, 60 if args.quick else 300), (4 << 20, 6 if args.quick else 30)):
            bench_blobs(Path(tmp), size, count)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
