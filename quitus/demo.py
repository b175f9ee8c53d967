"""``quitus demo``: the whole story on a fresh ``QUITUS_HOME``, with realistic French reports.

1. writes an inbox the way a back office receives it (JSON files with photo files beside
   them, filled PDF forms, a few broken inputs) and captures it;
2. runs the real intake flow (Prefect, embedded, as ``quitus run intake``) with a progress
   bar: validate → redact → render → seal → archive → deliver, the e-mails going to a
   local mailbox (:mod:`quitus.demo_mailbox`: the made-up clients are never written to);
3. prints what became of each report (accepted, rejected and why, sealed, archived,
   delivered) and checks a few sealed PDFs;
4. plans retention at a future date, places a legal hold, carries the plan out;
5. exports two proof bundles (a kept report, a disposed one), verifies them offline,
   and verifies the whole ledger.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.pdfgen import canvas
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from quitus.demo_mailbox import DemoMailbox
from quitus.export_files import write_export
from quitus.settings import Settings
from quitus.wiring import COMPANY_CA_FILE, App, initialize, ledger_verifier_key, open_app
from reports.capture.pdf_form import blank_form
from reports.capture.pdf_form_fill import fill_form
from reports.intake import SourceKind, Submission
from reports.issues import ReportIssue
from reports.pdf import verify_sealed_pdf
from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from retention.clock import FixedClock
from retention.errors import RestrictedAccessError
from retention.executor import run_retention
from retention.holds import HoldService
from retention.planner import PlannedDisposition, plan_dispositions
from retention.policy_log import record_policy_set
from retention.proof_export import ProofExport, export_proof
from storage.blob_kinds import BlobKind
from storage.database import Database
from storage.delivery_store import DeliveryStatus, DeliveryStore
from storage.ledger.bundle import key_fingerprint
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.verify import verify_ledger
from storage.models import ReportRecord
from storage.retention_vocabulary import HoldScope
from storage.simulation import declare_simulation_home
from storage.states import ReportState

__all__ = ["DEMO_SENDER", "run_demo", "write_inbox"]

PDF_FORM_EVERY = 5
"""One valid report in this many arrives as a filled PDF form."""
DEMO_SENDER = "rapports@demo.quitus.invalid"
"""The demo's e-mails come from here (a reserved domain: nothing could ever reach it)."""
FLOW_BATCH = 200
"""Reports per stage in one flow run, as ``quitus run intake`` takes them."""
RETENTION_YEARS_AHEAD = 6

_PROGRESS: dict[ReportState, int] = {
    ReportState.CAPTURED: 0,
    ReportState.VALIDATED: 1,
    ReportState.REDACTED: 2,
    ReportState.RENDERED: 3,
    ReportState.SIGNED: 4,
}
"""Stages a report in this state has been through; a report in any other state is done."""
_STAGES = len(_PROGRESS)
_WORKING_ON: dict[ReportState, str] = {
    ReportState.CAPTURED: "validating against the templates",
    ReportState.VALIDATED: "redacting personal data (PII model)",
    ReportState.REDACTED: "rendering the PDFs",
    ReportState.RENDERED: "sealing the PDFs (PAdES)",
    ReportState.SIGNED: "archiving",
}


@dataclass(frozen=True)
class _Input:
    """One file of the inbox and the report its capture created."""

    path: Path
    report_id: str


def reports_already_in(settings: Settings) -> int:
    """How many reports the home already holds (0 for a new or empty one): the demo refuses
    any other, since it simulates years passing and would dispose of them."""
    if not settings.home.exists() and settings.database_url is None:
        return 0
    database = Database(settings.resolved_database_url)
    try:
        if not database.is_initialized():
            return 0
        with database.session() as session:
            return int(session.scalar(select(func.count()).select_from(ReportRecord)) or 0)
    finally:
        database.dispose()


def run_demo(settings: Settings, *, count: int, output: Path, seed: int) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:  # piped or logged (make, CI): rich would assume 80 columns
        console = Console(highlight=False, width=110)
    began = time.perf_counter()
    initialize(settings)
    app = open_app(settings)
    declare_simulation_home(app.store)  # the demo's own new home: it simulates years passing
    mailbox = DemoMailbox(output / "outbox")
    try:
        mailbox.open()
        # Prefect's server and the PII model start while the inbox is written and captured.
        warm_up = _WarmUp(_with_mailbox(settings, mailbox.port))
        inbox = output / "inbox"
        started = time.perf_counter()
        files = write_inbox(app.catalog, inbox, count=count, seed=seed)
        forms_dir = output / "blank-forms"
        forms_dir.mkdir(parents=True, exist_ok=True)
        for template in app.catalog:
            (forms_dir / f"{template.id}.pdf").write_bytes(blank_form(template))
        console.print(
            f"[bold]1. Inbox[/bold]: {count} generated reports and {len(files) - count} broken inputs "
            f"({len(files)} files) in {inbox}, written in {time.perf_counter() - started:.1f} s",
            soft_wrap=True,
        )
        inputs = _capture(console, app, files)
        counts, elapsed, waited = _run_intake_flow(console, app, warm_up)
        _print_intake_summary(console, app, inputs, counts, (elapsed, waited), mailbox)
        _print_rejections(console, app, inputs, inbox)
        _export_sealed_pdfs(console, app, output)
        held, disposed = _show_retention(console, app)
        _show_proofs(console, app, output, [r for r in (held, disposed) if r is not None])
        _show_ledger(console, app)
        console.print(
            f"\ndone in {time.perf_counter() - began:.0f} s.\nblank forms: {forms_dir}\n"
            f"e-mails: {mailbox.folder}\ndata: {settings.home}\nkeys: {settings.resolved_key_dir}\n"
            f"try: QUITUS_HOME={settings.home} quitus reports list --state rejected",
            soft_wrap=True,
        )
    finally:
        mailbox.close()
        app.close()


# -- 1. the inbox -----------------------------------------------------------------------------


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


def _plain_pdf() -> bytes:
    """A letter scanned to PDF: a real PDF, but not a quitus form."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)
    page.drawString(72, 760, "Bon pour accord - devis n° 2026-118")
    page.save()
    return buffer.getvalue()


def _capture(console: Console, app: App, files: list[Path]) -> list[_Input]:
    """Capture every file (stored encrypted at once); validation is the flow's first stage."""
    inputs: list[_Input] = []
    started = time.perf_counter()
    with _quiet_pdf_parser(), _progress(console) as progress:
        task = progress.add_task("capturing (encrypted at once)", total=len(files))
        for path in files:
            source: SourceKind = "pdf_form" if path.suffix == ".pdf" else "json"
            submission = Submission(raw=path.read_bytes(), source=source, attachments_dir=path.parent)
            inputs.append(_Input(path, app.intake.capture(submission).report.id))
            progress.advance(task)
    console.print(f"   captured {len(inputs)} submissions in {time.perf_counter() - started:.1f} s")
    return inputs


@contextmanager
def _quiet_pdf_parser() -> Iterator[None]:
    """pypdf logs what it repairs in a broken PDF; the capture's own rejection says it better."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("   {task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


# -- 2. the intake flow -----------------------------------------------------------------------


def _with_mailbox(settings: Settings, port: int) -> Settings:
    """The settings with delivery to the demo mailbox, whatever SMTP server is configured."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_use_tls": False,
            "smtp_starttls": False,
            "smtp_username": None,
            "smtp_password": None,
            "smtp_sender": f"{settings.company_name} <{DEMO_SENDER}>",
            "smtp_timeout": 10,
        }
    )


class _WarmUp:
    """Starts Prefect's ephemeral server and loads the PII model in the background.

    The flow must wait for it (:meth:`wait`): Prefect marks its server running before it
    answers, so a flow started meanwhile would not find it.
    """

    def __init__(self, settings: Settings) -> None:
        from quitus.flow_runtime import configure_flows  # noqa: PLC0415

        configure_flows(settings)  # Prefect's settings before Prefect is imported
        self._threads = [
            threading.Thread(target=_start_prefect_server, name="demo-prefect", daemon=True),
            threading.Thread(target=_load_pii_model, name="demo-pii-model", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def wait(self) -> None:
        for thread in self._threads:
            thread.join()


def _start_prefect_server() -> None:
    from prefect.client.orchestration import get_client  # noqa: PLC0415

    with get_client(sync_client=True) as client:
        client.api_healthcheck()


def _load_pii_model() -> None:
    from anonymization.nlp import load_french_model  # noqa: PLC0415

    load_french_model()


def _run_intake_flow(console: Console, app: App, warm_up: _WarmUp) -> tuple[Counter[str], float, float]:
    """``intake_flow`` runs until nothing is left to do, a progress bar following the database.

    Returns the flow's counts, the seconds it took and, of them, the seconds spent waiting
    for Prefect and the PII model to be ready.
    """
    console.print(
        "\n[bold]2. Intake flow[/bold] (Prefect, embedded, as `quitus run intake`): validate → redact → "
        "render → seal → archive → deliver",
        soft_wrap=True,
    )
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    with _progress(console) as progress, _FlowWatcher(app, progress):
        warm_up.wait()
        waited = time.perf_counter() - started
        from workflows.flows import intake_flow  # noqa: PLC0415 - after configure_flows

        runs = 0
        while _pending(app) and runs < 100:
            runs += 1
            done = intake_flow(batch_size=FLOW_BATCH)
            counts.update(done)
            if not any(n for name, n in done.items() if name.isalpha()):
                break  # what is left failed: it waits for the next run
    return counts, time.perf_counter() - started, waited


def _pending(app: App) -> int:
    return sum(n for state, n in app.store.count_by_state().items() if state in _PROGRESS)


class _FlowWatcher:
    """Moves the progress bar as reports move on in the database (the flow runs meanwhile)."""

    def __init__(self, app: App, progress: Progress) -> None:
        self.app = app
        self.progress = progress
        self.task = progress.add_task("starting Prefect and the PII model", total=None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="demo-progress", daemon=True)

    def __enter__(self) -> _FlowWatcher:
        by_state = self.app.store.count_by_state()
        self._start = {state: by_state.get(state, 0) for state in _PROGRESS}
        self.progress.update(self.task, total=_STAGES * sum(self._start.values()), completed=0)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _follow(self) -> None:
        while not self._stop.wait(0.25):
            by_state = self.app.store.count_by_state()
            waiting = {state: by_state.get(state, 0) for state in _PROGRESS}
            left = sum(n * (_STAGES - _PROGRESS[state]) for state, n in waiting.items())
            total = _STAGES * sum(self._start.values())
            current = next((s for s in _PROGRESS if waiting[s]), None)
            if waiting == self._start:
                label = "starting Prefect and the PII model"
            elif current is None:
                label = "delivering by e-mail"
            else:
                label = _WORKING_ON[current]
            self.progress.update(self.task, completed=total - left, description=label)


def _print_intake_summary(
    console: Console,
    app: App,
    inputs: list[_Input],
    counts: Counter[str],
    timing: tuple[float, float],
    mailbox: DemoMailbox,
) -> None:
    reports = {r.id: r for r in app.store.list_reports(ids=[i.report_id for i in inputs], limit=len(inputs))}
    delivered = {
        d.report_id
        for d in DeliveryStore(app.store).deliveries(list(reports))
        if d.status == DeliveryStatus.SENT
    }
    rows: dict[str, Counter[str]] = {}
    for report in reports.values():
        row = rows.setdefault(report.template_id or "(unreadable)", Counter())
        row["submitted"] += 1
        row["rejected" if report.state == ReportState.REJECTED else "accepted"] += 1
        row["sealed"] += report.state in (ReportState.SIGNED, ReportState.ARCHIVED)
        row["archived"] += report.state == ReportState.ARCHIVED
        row["delivered"] += report.id in delivered
    columns = ("submitted", "accepted", "rejected", "sealed", "archived", "delivered")
    table = Table(title="What became of each report", title_justify="left")
    table.add_column("template")
    for column in columns:
        table.add_column(column, justify="right")
    for template_id in sorted(rows, key=lambda t: (t.startswith("("), t)):
        table.add_row(template_id, *(str(rows[template_id][c]) for c in columns))
    total = sum(rows.values(), Counter())
    table.add_section()
    table.add_row("[bold]total[/bold]", *(f"[bold]{total[c]}[/bold]" for c in columns))
    console.print(table)
    unfinished = sum(r.outcome == "unfinished" for r in reports.values() if r.state != ReportState.REJECTED)
    failed = sum(n for name, n in counts.items() if name.endswith("_failed"))
    elapsed, waited = timing
    console.print(
        f"   {len(inputs)} submissions through the flow in {elapsed:.1f} s, of which {waited:.1f} s "
        f"waiting for Prefect's server and the PII model (started during the capture); "
        f"{failed} stage failures",
        soft_wrap=True,
    )
    without_email = counts["deliver_skipped"]
    console.print(
        f"   {mailbox.received} e-mails with the sealed PDF went to the demo mailbox {mailbox.folder} "
        "(local: nothing left this machine)"
        + (f", {without_email} clients have no e-mail address" if without_email else "")
        + f"; {counts['deliver_followups']} follow-up requests opened for the {unfinished} unfinished "
        "interventions",
        soft_wrap=True,
    )


def _print_rejections(console: Console, app: App, inputs: list[_Input], inbox: Path) -> None:
    rejected = [(i, app.store.get(i.report_id)) for i in inputs]
    rejected = [(i, r) for i, r in rejected if r.state == ReportState.REJECTED]
    if not rejected:
        return
    console.print("\n[bold]Rejected, with reasons[/bold] (kept, encrypted, for correction)")
    for item, report in rejected:
        console.print(f"   {item.path.relative_to(inbox)} → {report.id}", soft_wrap=True)
        issues = [ReportIssue.from_dict(i) for i in report.issues]
        for problem in issues[:3]:
            console.print(f"       {problem.path or '(submission)'}: {problem.message}", soft_wrap=True)
        if len(issues) > 3:
            console.print(f"       … and {len(issues) - 3} more")


# -- 3. sealed PDFs ---------------------------------------------------------------------------


def _export_sealed_pdfs(console: Console, app: App, output: Path) -> None:
    """Write a few sealed PDFs, full and redacted, and check their seals."""
    pdfs = output / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    trust = [(app.settings.home / COMPANY_CA_FILE).read_bytes()]
    console.print(f"\n[bold]3. Sealed PDFs[/bold] in {pdfs}", soft_wrap=True)
    for report_id in app.store.ids_in_state(ReportState.ARCHIVED, limit=2):
        for kind, suffix in ((BlobKind.PDF_FULL, ""), (BlobKind.PDF_REDACTED, "-anonymise")):
            blob_id = app.store.latest_blob(report_id, kind)
            if blob_id is None:
                continue
            path = pdfs / f"{app.store.get(report_id).shown_number}{suffix}.pdf"
            write_export(path, app.store.read_blob(report_id, blob_id))
            verdict = (
                "[green]seal valid and trusted[/]"
                if verify_sealed_pdf(path.read_bytes(), trust).ok
                else "[red]seal INVALID[/]"
            )
            console.print(f"   {path.name}: {verdict}", soft_wrap=True)
    console.print(
        "   (the full PDFs hold personal data: the demo writes them for you to look at; "
        f"check one with `pdfsig` or `quitus verify-pdf {pdfs}/…`)",
        soft_wrap=True,
    )


# -- 4. retention -----------------------------------------------------------------------------


def _show_retention(console: Console, app: App) -> tuple[str | None, str | None]:
    """Hold one report, plan at a future date, carry the plan out; (held, one disposed)."""
    archived = app.store.ids_in_state(ReportState.ARCHIVED, limit=1)
    if not archived:
        return None, None
    at = dt.date.today() + dt.timedelta(days=365 * RETENTION_YEARS_AHEAD)
    policies = app.policies()
    record_policy_set(app.store, policies)
    holds = HoldService(app.store)
    hold = holds.place(
        reason="demo-litige-2026", scope_kind=HoldScope.REPORTS, scope={"report_ids": archived}
    )
    plan = list(plan_dispositions(app.store, policies, holds.active(), at))
    console.print(
        f"\n[bold]4. Retention[/bold]: {len(policies)} policies in force; the plan at {at} "
        f"(in {RETENTION_YEARS_AHEAD} years), a dry run first:"
    )
    table = Table(show_header=True, box=None, padding=(0, 1, 0, 3))
    table.add_column("reports", justify="right")
    table.add_column("action")
    table.add_column("policy")
    for (action, policy), count in sorted(Counter(_plan_row(item) for item in plan).items()):
        table.add_row(str(count), action, policy)
    console.print(table)
    # The demo's own home, created empty a minute ago (see reports_already_in): the only place
    # a simulated date is used, and the ledger says so.
    app.store.ledger.record(
        LedgerEvent(
            step=LedgerStep.CLOCK_SIMULATED,
            actor=app.store.actor,
            outcome="simulated",
            details={"today": at.isoformat(), "real_today": dt.date.today().isoformat()},
        )
    )
    summary = run_retention(app.store, policies, clock=FixedClock(at), sealer=app.certificate_sealer())
    by_action = Counter[str]()
    for (action, _policy), count in summary.done.items():
        by_action[action] += count
    done = ", ".join(f"{count} {_DONE[action]}" for action, count in sorted(by_action.items()))
    console.print(
        f"   carried out at {at}, a simulated date (the demo's home is a simulation home): "
        f"{done or 'nothing'} (each recorded in the ledger); {summary.certificates_issued} sealed "
        f"certificates of disposition issued (`quitus retention disposed` lists them); "
        f"{summary.held} kept under legal hold {hold.id}",
        soft_wrap=True,
    )
    disposed = next((i.report_id for i in plan if i.executable and i.action in ("anonymize", "delete")), None)
    return archived[0], disposed


_DONE = {"anonymize": "anonymized", "delete": "deleted", "review": "queued for review"}


def _plan_row(item: PlannedDisposition) -> tuple[str, str]:
    policy = item.policy_ref.split("@")[0]
    return ("kept: legal hold", policy) if item.held_by else (item.action, policy)


# -- 5. proofs and the ledger -----------------------------------------------------------------


def _show_proofs(console: Console, app: App, output: Path, report_ids: list[str]) -> None:
    """Export each report's proof bundle and verify it offline, pinned by the key's fingerprint,
    as an auditor would. The sealed PDF is read under the access rules (a recorded read)."""
    proofs = output / "proofs"
    proofs.mkdir(parents=True, exist_ok=True)
    vkey = ledger_verifier_key(app.settings)
    fingerprint = key_fingerprint(vkey)
    console.print(
        f"\n[bold]5. Proofs[/bold] in {proofs} (check one: `quitus proof verify FILE --fingerprint "
        f"{fingerprint}`)",
        soft_wrap=True,
    )
    for report_id in report_ids:
        restricted = None
        try:
            exported = _export_proof(app, report_id, vkey, justification=None)
        except RestrictedAccessError as exc:
            # As an auditor's request would be: the sealed PDF of a restricted report is a
            # justified read, which the ledger records (and the bundle proves).
            restricted = exc.restriction
            exported = _export_proof(app, report_id, vkey, justification="audit")
        path = proofs / f"{report_id}.zip"
        write_export(path, exported.data)
        checked = verify_bundle(path.read_bytes(), fingerprint=fingerprint)
        verdict = "[green]verifies offline[/]" if checked.ok else f"[red]FAILS[/] {checked.problems}"
        steps = " → ".join(
            dict.fromkeys(decode_entry(e.entry)["step"] for e in app.ledger.entries_for_report(report_id))
        )
        if app.store.get(report_id).state != ReportState.ERASED:
            kept = "with its sealed PDF"
        else:
            kept = "data erased, its disposal certificate stands in"
        console.print(f"   {path.name} ({kept}): {steps} — {verdict}", soft_wrap=True)
        if restricted is not None:
            console.print(
                f"      {restricted}: its sealed PDF was read with the justification `audit`, recorded",
                soft_wrap=True,
            )


def _export_proof(app: App, report_id: str, vkey: str, *, justification: str | None) -> ProofExport:
    return export_proof(
        app.store,
        app.policies(),
        report_id,
        verifier_key=vkey,
        document="full",
        justification=justification,
        certificate_sealer=app.certificate_sealer(),
    )


def _show_ledger(console: Console, app: App) -> None:
    app.ledger.checkpoint()
    result = verify_ledger(app.ledger, ledger_verifier_key(app.settings), blob_root=app.settings.blob_dir)
    verdict = "[green]intact[/]" if result.ok else f"[red]TAMPERED[/] {result.problems}"
    console.print(
        f"   ledger: {result.entries} entries, {result.checkpoints} signed checkpoints, "
        f"{result.blobs_checked} encrypted files checked — {verdict}",
        soft_wrap=True,
    )
