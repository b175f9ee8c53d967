"""``quitus demo``: realistic French reports through everything that exists so far.

Writes an inbox the way a back office would receive it (JSON files with photo files
beside them, filled PDF forms, and a few broken inputs), then ingests it and prints
what was accepted and what was rejected, and why.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from reportlab.pdfgen import canvas
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from quitus.settings import Settings
from quitus.wiring import COMPANY_CA_FILE, App, initialize, ledger_verifier_key, open_app
from reports.capture.pdf_form import blank_form
from reports.capture.pdf_form_fill import fill_form
from reports.intake import CaptureOutcome, SourceKind, Submission
from reports.pdf import verify_sealed_pdf
from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from retention.executor import run_retention
from retention.holds import HoldService
from retention.planner import plan_dispositions
from retention.policy_log import record_policy_set
from storage.ledger.bundle import verify_bundle
from storage.ledger.verify import verify_ledger
from storage.proofs import export_report_proof
from storage.states import ReportState

__all__ = ["run_demo", "write_inbox"]

PDF_FORM_EVERY = 5
"""One valid report in this many arrives as a filled PDF form."""


def run_demo(settings: Settings, *, count: int, output: Path, seed: int) -> None:
    console = Console(highlight=False)
    initialize(settings)
    app = open_app(settings)
    try:
        inbox = output / "inbox"
        started = time.perf_counter()
        files = write_inbox(app.catalog, inbox, count=count, seed=seed)
        console.print(
            f"generated {count} reports into {inbox} ({len(files)} files) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        forms_dir = output / "blank-forms"
        forms_dir.mkdir(parents=True, exist_ok=True)
        for template in app.catalog:
            (forms_dir / f"{template.id}.pdf").write_bytes(blank_form(template))
        outcomes: list[tuple[Path, CaptureOutcome]] = []
        started = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("ingesting", total=len(files))
            for path in files:
                raw = path.read_bytes()
                source: SourceKind = "pdf_form" if path.suffix == ".pdf" else "json"
                outcomes.append(
                    (path, app.intake.ingest(Submission(raw=raw, source=source, attachments_dir=path.parent)))
                )
                progress.advance(task)
        elapsed = time.perf_counter() - started
        _print_summary(console, outcomes, elapsed, inbox)
        _show_processing(console, app, output)
        _show_audit_trail(console, app, outcomes, output)
        _show_retention(console, app, outcomes)
        _show_ledger(console, app)
        console.print(
            f"\nblank forms: {forms_dir}\ndata: {settings.home}\nkeys: {settings.resolved_key_dir}\n"
            f"try: QUITUS_HOME={settings.home} quitus reports list --state rejected"
        )
    finally:
        app.close()


def write_inbox(catalog: TemplateCatalog, inbox: Path, *, count: int, seed: int) -> list[Path]:
    """Write ``count`` generated reports plus a few broken inputs; return the files in ingest order."""
    photos_dir = inbox / "photos"
    photos_dir.mkdir(parents=True, exist_ok=True)
    samples = generate_samples(catalog, count, seed=seed)
    files: list[Path] = []
    for index, sample in enumerate(samples, start=1):
        stem = f"{index:04d}-{sample.template_id}"
        if sample.expected == "valid" and index % PDF_FORM_EVERY == 0:
            path = inbox / f"{stem}.pdf"
            path.write_bytes(fill_form(catalog.by_id(sample.template_id), sample.payload))
        else:
            path = inbox / f"{stem}.json"
            path.write_text(
                json.dumps(_with_photo_files(sample.payload, photos_dir, stem), ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
        files.append(path)
    files += _broken_inputs(samples, inbox, photos_dir)
    return files


def _with_photo_files(payload: dict[str, Any], photos_dir: Path, stem: str) -> dict[str, Any]:
    """Photos as files next to the JSON (as a back office exports them); signatures stay inline."""
    out = copy.deepcopy(payload)
    for number, photo in enumerate(out.get("photos", []), start=1):
        name = f"{stem}-{photo['kind']}-{number}.jpg"
        (photos_dir / name).write_bytes(base64.b64decode(photo["image"]["content_base64"]))
        photo["image"] = {"file": f"photos/{name}"}
    return out


def _broken_inputs(samples: list[Sample], inbox: Path, photos_dir: Path) -> list[Path]:
    """Inputs a real inbox receives sooner or later; each must be rejected clearly and kept."""
    broken = inbox / "broken"
    broken.mkdir(exist_ok=True)
    valid = [s for s in samples if s.expected == "valid"]
    out: list[Path] = []

    def write(name: str, data: bytes) -> None:
        (broken / name).write_bytes(data)
        out.append(broken / name)

    write("malformed.json", b'{"submission_id": "demo-malformed", "client": {')
    write("latin1.json", '{"submission_id": "demo-latin1", "observations": "réglage"}'.encode("latin-1"))
    write("not-a-form.pdf", _plain_pdf())
    write("truncated-form.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog")
    if valid:
        corrupt = copy.deepcopy(valid[0].payload)
        corrupt["submission_id"] = "demo-corrupt-photo"
        (photos_dir / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
        if corrupt.get("photos"):
            corrupt["photos"][0]["image"] = {"file": "../photos/corrupt.jpg"}
        write("corrupt-photo.json", json.dumps(corrupt, ensure_ascii=False).encode())
        # The same submission_id with other content, after the original was accepted.
        conflict = copy.deepcopy(valid[0].payload)
        conflict["observations"] = "Version modifiée envoyée une seconde fois."
        write("conflicting-resubmission.json", json.dumps(conflict, ensure_ascii=False).encode())
    return out


def _show_processing(console: Console, app: App, output: Path) -> None:
    """Redact, render, seal and archive every accepted report; export a few sealed PDFs."""
    started = time.perf_counter()
    with console.status("redacting (PII detection), rendering and sealing the accepted reports…"):
        counts = app.pipeline().run_pending()
    elapsed = time.perf_counter() - started
    console.print(
        f"\n[bold]Processing[/bold]: redacted {counts['redact']}, rendered {counts['render']}, "
        f"sealed {counts['seal']}, archived {counts['archive']} in {elapsed:.1f} s"
    )
    pdfs = output / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    trust = [(app.settings.home / COMPANY_CA_FILE).read_bytes()]
    for report_id in app.store.ids_in_state(ReportState.ARCHIVED, limit=3):
        for kind, suffix in (("pdf_full", ""), ("pdf_redacted", "-anonymise")):
            blob_id = app.store.latest_blob(report_id, kind)
            if blob_id is None:
                continue
            path = pdfs / f"{report_id}{suffix}.pdf"
            path.write_bytes(app.store.read_blob(report_id, blob_id))
            verdict = (
                "[green]seal valid and trusted[/]"
                if verify_sealed_pdf(path.read_bytes(), trust).ok
                else "[red]seal INVALID[/]"
            )
            console.print(f"  {path}: {verdict}", soft_wrap=True)
    console.print(
        f"  (the full PDFs hold personal data: the demo writes them for you to look at; "
        f"check one with `pdfsig` or `quitus verify-pdf {pdfs}/…`)",
        soft_wrap=True,
    )


def _show_retention(console: Console, app: App, outcomes: list[tuple[Path, CaptureOutcome]]) -> None:
    """Plan at a future date, hold one report, run: what the nightly job will do, for real."""
    accepted = [o.report.id for _, o in outcomes if o.accepted]
    if not accepted:
        return
    at = dt.date.today() + dt.timedelta(days=365 * 6)
    policies = app.policies()
    record_policy_set(app.store, policies)
    holds = HoldService(app.store)
    hold = holds.place(reason="demo-litige-2026", scope_kind="reports", scope={"report_ids": [accepted[0]]})
    planned = Counter(
        "held" if item.held_by else f"{item.action} ({item.policy_ref.split('@')[0]})"
        for item in plan_dispositions(app.store, policies, holds.active(), at)
    )
    console.print(f"\n[bold]Retention[/bold] — {len(policies)} policies in force; plan at {at} (dry run):")
    for label, count in sorted(planned.items()):
        console.print(f"  {count:>4}  {label}")
    summary = run_retention(app.store, policies, at)
    console.print(
        f"  run at {at}: {summary.total} disposition(s) carried out, {summary.held} kept under "
        f"legal hold {hold.id}; certificates in the ledger"
    )


def _show_audit_trail(
    console: Console, app: App, outcomes: list[tuple[Path, CaptureOutcome]], output: Path
) -> None:
    """Erase one report, export two proof bundles, verify them and the whole ledger."""
    accepted = [o.report.id for _, o in outcomes if o.accepted]
    rejected = [o.report.id for _, o in outcomes if not o.accepted]
    if not accepted or not rejected:
        return
    console.print("\n[bold]Audit trail[/bold]")
    erased = rejected[0]
    app.store.shred(erased, reason="demo")
    console.print(f"  crypto-shredded {erased}: data key destroyed, its encrypted files deleted")
    proofs = output / "proofs"
    proofs.mkdir(parents=True, exist_ok=True)
    vkey = ledger_verifier_key(app.settings)
    for report_id in (accepted[0], erased):
        path = proofs / f"{report_id}.zip"
        pdf_blob = app.store.latest_blob(report_id, "pdf_full")
        documents = {"rapport-scelle.pdf": app.store.read_blob(report_id, pdf_blob)} if pdf_blob else {}
        path.write_bytes(export_report_proof(app.store, report_id, verifier_key=vkey, documents=documents))
        checked = verify_bundle(path.read_bytes(), trusted_key=vkey)
        verdict = "[green]verifies offline[/]" if checked.ok else f"[red]FAILS[/] {checked.problems}"
        console.print(f"  proof bundle {path} ({checked.entries} events): {verdict}", soft_wrap=True)


def _show_ledger(console: Console, app: App) -> None:
    app.ledger.checkpoint()
    result = verify_ledger(app.ledger, ledger_verifier_key(app.settings), blob_root=app.settings.blob_dir)
    verdict = "[green]intact[/]" if result.ok else f"[red]TAMPERED[/] {result.problems}"
    console.print(
        f"  ledger: {result.entries} entries, {result.checkpoints} signed checkpoints, "
        f"{result.blobs_checked} encrypted files checked — {verdict}"
    )


def _plain_pdf() -> bytes:
    """A letter scanned to PDF: a real PDF, but not a quitus form."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)
    page.drawString(72, 760, "Bon pour accord - devis n° 2026-118")
    page.save()
    return buffer.getvalue()


def _print_summary(
    console: Console, outcomes: list[tuple[Path, CaptureOutcome]], elapsed: float, inbox: Path
) -> None:
    accepted = [o for _, o in outcomes if o.accepted]
    rejected = [(p, o) for p, o in outcomes if not o.accepted]
    per_template = Counter((o.report.template_id or "—", o.report.state.value) for _, o in outcomes)
    table = Table(title="Reports by template")
    for column in ("template", "accepted", "rejected"):
        table.add_column(column)
    for template_id in sorted({t for t, _ in per_template}):
        table.add_row(
            template_id,
            str(per_template[(template_id, "validated")]),
            str(per_template[(template_id, "rejected")]),
        )
    console.print(table)
    unfinished = sum(1 for o in accepted if o.report.outcome == "unfinished")
    console.print(
        f"[green]{len(accepted)} accepted[/] ({unfinished} unfinished, to reschedule), "
        f"[red]{len(rejected)} rejected[/] — {len(outcomes) / elapsed:.1f} submissions/s"
    )
    if rejected:
        console.print("\n[bold]Rejected, with reasons[/bold]")
        for path, outcome in rejected:
            console.print(f"  {path.relative_to(inbox)} → {outcome.report.id}", soft_wrap=True)
            for problem in outcome.issues[:3]:
                console.print(f"      {problem.path or '(submission)'}: {problem.message}", soft_wrap=True)
            if len(outcome.issues) > 3:
                console.print(f"      … and {len(outcome.issues) - 3} more")
