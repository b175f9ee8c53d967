"""``audit verify``'s check of the tables beside the ledger, at scale: time and memory.

Builds an installation of ``--reports`` reports (20 000 by default) as quitus writes them,
in bulk: per report, eight ledger entries through :meth:`Ledger.append` (real encoding, real
Merkle tree) — receive, capture (the content and a photo), validate, redact, render, seal
(each with its blobs), archive, deliver — its ``reports`` row, seven ``blobs`` rows and a data
key; one report in ten is then disposed of (``dispose`` entry, tombstone, key destroyed);
users and API tokens, some revoked. No blob file is written: neither check below reads one.

Then, in a fresh process state (the build runs in a child process), it times
:func:`check_stored_state` (which runs ``check_retention_state`` too) and, as the baseline,
:func:`verify_ledger` without the blob files; it shows the growth of the resident set's
high-water mark, and fails if the check names anything in this untampered installation.

    .venv/bin/python bench/state_integrity.py [--reports 20000] [--postgres-url URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

from _support import recreate_postgres, require_scratch_url  # beside this file

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/ must not shadow the packages it measures

import argparse
import hashlib
import multiprocessing
import resource
import secrets
import tempfile
import time

from sqlalchemy import insert

from storage.access_store import ApiTokenRecord, UserRecord
from storage.blob_kinds import BlobKind
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore, KeyRecord
from storage.ledger.checkpoint import load_signer
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger
from storage.models import BlobRecord, ReportRecord, utcnow
from storage.report_store import ReportStore, new_report_id
from storage.state_integrity import check_stored_state
from storage.states import ReportState

_BATCH = 500
_LIFE: tuple[tuple[LedgerStep, str, tuple[BlobKind, ...]], ...] = (
    (LedgerStep.RECEIVE, "captured", (BlobKind.SUBMISSION,)),
    (LedgerStep.CAPTURE, "captured", (BlobKind.REPORT, BlobKind.PHOTO)),
    (LedgerStep.VALIDATE, "validated", ()),
    (LedgerStep.REDACT, "redacted", (BlobKind.REDACTED_REPORT,)),
    (LedgerStep.RENDER, "rendered", (BlobKind.PDF_DRAFT_FULL, BlobKind.PDF_DRAFT_REDACTED)),
    (LedgerStep.SEAL, "signed", (BlobKind.PDF_FULL, BlobKind.PDF_REDACTED)),
    (LedgerStep.ARCHIVE, "archived", ()),
)


def open_store(root: Path, url: str) -> ReportStore:
    database = Database(url)
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", load_key_material(root / "keys"))
    ledger = Ledger(database, load_signer("quitus.bench", read_key_file(root / "keys" / "ledger.key")))
    return ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger, actor="bench")


def build(root: Path, url: str, reports: int) -> None:
    create_key_files(root / "keys")
    Database(url).upgrade()
    store = open_store(root, url)
    store.keystore.ensure_schema()
    for start in range(0, reports, _BATCH):
        _write_batch(store, min(_BATCH, reports - start), dispose_every=10, first=start)
    with store.database.session() as session:
        users = [UserRecord(id=f"usr_{n:016x}", handle=f"tech-{n:03d}", role="technician") for n in range(50)]
        session.add_all(users)
        session.flush()
        events = [
            LedgerEvent(LedgerStep.USER_ADD, "cli", "added", details={"user": u.id, "role": "technician"})
            for u in users
        ]
        for n, user in enumerate(users):
            token = f"tok_{n:016x}"
            session.add(ApiTokenRecord(id=token, user_id=user.id, token_hash=secrets.token_hex(32)))
            events.append(
                LedgerEvent(
                    LedgerStep.TOKEN_CREATE, "cli", "created", details={"user": user.id, "token": token}
                )
            )
        session.flush()
        store.ledger.append(session, events)
    store.ledger.checkpoint()


def _write_batch(store: ReportStore, count: int, *, dispose_every: int, first: int) -> None:
    now = utcnow()
    rows: list[dict[str, object]] = []
    blobs: list[dict[str, object]] = []
    keys: list[dict[str, object]] = []
    events: list[LedgerEvent] = []
    for n in range(count):
        report_id = new_report_id()
        disposed = (first + n) % dispose_every == 0
        content = pdf = None
        for step, outcome, kinds in _LIFE:
            artifacts = {}
            for kind in kinds:
                blob_id = "b" + secrets.token_hex(12)
                digest = hashlib.sha256(blob_id.encode()).hexdigest()
                artifacts[blob_id] = digest
                blobs.append(
                    {
                        "id": blob_id,
                        "report_id": report_id,
                        "kind": kind,
                        "ciphertext_sha256": digest,
                        "size": 1,
                    }
                )
                if kind == BlobKind.REPORT:
                    content = blob_id
                elif kind == BlobKind.PDF_FULL:
                    pdf = blob_id
            events.append(LedgerEvent(step, "bench", outcome, report_id=report_id, artifacts=artifacts))
        assert pdf is not None
        events.append(
            LedgerEvent(
                LedgerStep.DELIVER,
                "job:intake",
                "sent",
                report_id=report_id,
                artifacts={pdf: hashlib.sha256(pdf.encode()).hexdigest()},
                details={"channel": "email", "attempt": 1},
            )
        )
        if disposed:
            events.append(
                LedgerEvent(
                    LedgerStep.DISPOSE,
                    "job:retention",
                    "destroyed",
                    report_id=report_id,
                    details={"reason": "bench"},
                )
            )
        rows.append(
            {
                "id": report_id,
                "state": ReportState.ERASED if disposed else ReportState.ARCHIVED,
                "source": "json",
                "content_blob_id": None if disposed else content,
                "issues": [],
                "revision": 1,
                "tags": [],
                "archived_at": now,
                "erased_at": now if disposed else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        keys.append(
            {
                "report_id": report_id,
                "wrapped_key": None if disposed else b"\x00" * 40,
                "kek_id": None if disposed else "k1",
            }
        )
    with store.database.session() as session:
        session.execute(insert(ReportRecord), rows)
        session.execute(insert(BlobRecord), blobs)
        store.ledger.append(session, events, now=now)
    with store.keystore.engine.begin() as connection:
        connection.execute(insert(KeyRecord), keys)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument(
        "--postgres-url", help="a scratch database (its name contains 'bench'); default SQLite"
    )
    args = parser.parse_args()
    if args.postgres_url:
        require_scratch_url(parser, args.postgres_url)
        recreate_postgres(args.postgres_url, create=True)
    with tempfile.TemporaryDirectory(prefix="quitus-bench-state-") as folder:
        root = Path(folder)
        url = args.postgres_url or f"sqlite:///{root / 'quitus.db'}"
        began = time.perf_counter()
        child = multiprocessing.get_context("fork").Process(target=build, args=(root, url, args.reports))
        child.start()
        child.join()
        if child.exitcode:
            sys.exit("the build failed")
        store = open_store(root, url)
        size = store.ledger.size()
        print(f"{args.reports} reports, {size} ledger entries built in {time.perf_counter() - began:.1f} s")
        before = _rss_mb()
        began, cpu = time.perf_counter(), time.process_time()
        problems = check_stored_state(store)
        wall, used = time.perf_counter() - began, time.process_time() - cpu
        print(
            f"check_stored_state: {wall:.2f} s ({used:.2f} s CPU), "
            f"{size / wall:,.0f} entries/s, resident high-water +{_rss_mb() - before:.0f} MB"
        )
        began = time.perf_counter()
        verified = verify_ledger(store.ledger, store.ledger.signer.verifier_key())
        print(f"verify_ledger (baseline, no blob files): {time.perf_counter() - began:.2f} s")
        store.database.dispose()
        store.keystore.dispose()
        if problems or not verified.ok:
            sys.exit(f"an untampered installation was reported: {(problems + verified.problems)[:5]}")
    if args.postgres_url:
        recreate_postgres(args.postgres_url, create=False)


if __name__ == "__main__":
    main()
