"""Capture throughput: reports captured per second, JSON and filled PDF forms.

Baseline, measured in the same run on the same submissions: the in-memory work alone
(decode, schema parse, photo sanitizing, template validation) with no storage. The
ratio shows what durability costs: encrypted raw submission, encrypted photos and
report, database rows, fsync'd atomic writes.

    .venv/bin/python bench/capture.py [--reports 200] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from reports.capture.pdf_form import read_form
from reports.capture.pdf_form_fill import fill_form
from reports.capture.photos import sanitize_image
from reports.errors import CaptureError
from reports.intake import Intake, Submission
from reports.issues import ReportIssue
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from reports.validation import find_template, validate_report
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.store import Ledger
from storage.report_store import ReportStore


def in_memory_only(catalog: TemplateCatalog, payload: dict[str, object]) -> None:
    """The baseline: everything capture computes, nothing it stores."""
    try:
        report = InterventionReport.model_validate(payload)
    except ValidationError:
        return
    images = [p.image for p in report.photos]
    images += [s.image for s in (report.client_signature, report.technician_signature) if s is not None]
    for image in images:
        if image.content_base64 is not None:
            with contextlib.suppress(CaptureError):
                sanitize_image(base64.b64decode(image.content_base64), path="bench")
    template = find_template(report, catalog)
    if not isinstance(template, ReportIssue):
        validate_report(report, template)


def timed(label: str, count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"  {label:<44} {count:>5} in {elapsed:6.2f} s  = {rate:8.1f} reports/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()

    catalog = TemplateCatalog.load()
    samples = generate_samples(catalog, args.reports, seed=7)
    json_payloads = [json.dumps(s.payload, ensure_ascii=False).encode() for s in samples]
    valid = [s for s in samples if s.expected == "valid"]
    forms = [fill_form(catalog.by_id(s.template_id), s.payload) for s in valid]
    size = sum(map(len, json_payloads)) / len(json_payloads) / 1024
    print(
        f"{len(samples)} generated reports (avg JSON {size:.0f} KiB with inline photos), "
        f"{len(forms)} filled PDF forms"
    )

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        create_key_files(home / "keys")
        database = Database(args.database_url or f"sqlite:///{home / 'quitus.db'}")
        database.upgrade()
        keystore = DataKeyStore(
            f"sqlite:///{home / 'keys' / 'datakeys.db'}", load_key_material(home / "keys")
        )
        keystore.ensure_schema()
        ledger = Ledger(database, load_signer("quitus.bench", read_key_file(home / "keys" / "ledger.key")))
        store = ReportStore(database, keystore, BlobStore(LocalBlobBackend(home / "b")), ledger)
        intake = Intake(store, catalog)
        print(f"database: {database.dialect}")

        print("JSON")
        base_json = timed(
            "baseline: parse + sanitize + validate",
            len(samples),
            lambda: [in_memory_only(catalog, s.payload) for s in samples],
        )
        full_json = timed(
            "quitus ingest (stored, encrypted)",
            len(samples),
            lambda: [intake.ingest(Submission(p, "json")) for p in json_payloads],
        )
        print(f"  ratio ingest / baseline: {full_json / base_json:.2f}")

        print("PDF forms")
        base_pdf = timed(
            "baseline: read form + parse + sanitize + validate",
            len(forms),
            lambda: [in_memory_only(catalog, read_form(f)) for f in forms],
        )
        full_pdf = timed(
            "quitus ingest (stored, encrypted)",
            len(forms),
            lambda: [intake.ingest(Submission(f, "pdf_form")) for f in forms],
        )
        print(f"  ratio ingest / baseline: {full_pdf / base_pdf:.2f}")

        timed(
            "resubmission of the same JSON (idempotent)",
            len(samples),
            lambda: [intake.ingest(Submission(p, "json")) for p in json_payloads],
        )
        database.dispose()


if __name__ == "__main__":
    main()
