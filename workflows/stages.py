"""The processing stages after validation: redact → render → seal → archive.

Each stage takes a batch of report ids in the state it expects, does its work with the
domain packages, and moves each report on in one transaction that stores the stage's
encrypted outputs and records them in the ledger. A report in another state is skipped
(the stage already ran: idempotent); a report whose stage fails for a reason that
retrying will not cure is marked with the reason (ledger and issues) and does not stop
the batch. Prefect tasks (``workflows.flows``) are thin wrappers around these methods.

Redact, render and seal read and compute in ``redact_some``, ``render_one`` and
``seal_one``, which never write; with ``processes`` above 1 that work is spread over
worker processes (:mod:`workflows.parallel`: redaction a chunk of reports per call, for
the PII model's batching), and this process records each outcome as it arrives.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from anonymization.errors import DetectionFailedError
from reports.equipment_history import history_lines, history_of
from reports.errors import ReportsError
from reports.pdf import FREE_TEXT_PLACEHOLDER, load_seal, render_report, seal_pdf
from reports.schema import InterventionReport, personal_data_fields
from reports.templates import TemplateCatalog
from storage.blob_kinds import BlobKind
from storage.claims import ReportClaims
from storage.errors import (
    BlobError,
    DataKeyMissingError,
    KeyDestroyedError,
    StorageError,
    WrongKeyError,
)
from storage.ledger.steps import LedgerStep
from storage.report_store import BlobToStore, ReportStore, ReportSummary
from storage.states import ReportState
from workflows.parallel import BatchWork, Documents, Failed, Outcome, StagePool, Work

if TYPE_CHECKING:
    from pathlib import Path

    from anonymization import ReportRedactor
    from reports.pdf import SealIdentity

__all__ = ["STAGES", "UNREADABLE", "Pipeline", "StageResult", "failure_issue", "record_failure"]

STAGES: tuple[tuple[ReportState, LedgerStep], ...] = (
    (ReportState.VALIDATED, LedgerStep.REDACT),
    (ReportState.REDACTED, LedgerStep.RENDER),
    (ReportState.RENDERED, LedgerStep.SEAL),
    (ReportState.SIGNED, LedgerStep.ARCHIVE),
)
"""Which stage takes a report on from which state, in order (each is named by its ledger step
and is the :class:`Pipeline` method of that name)."""

_SEALED: dict[BlobKind, BlobKind] = {
    BlobKind.PDF_DRAFT_FULL: BlobKind.PDF_FULL,
    BlobKind.PDF_DRAFT_REDACTED: BlobKind.PDF_REDACTED,
}
"""Each rendered draft → the sealed PDF made of it."""

_WORK_STEPS: dict[str, LedgerStep] = {"render_one": LedgerStep.RENDER, "seal_one": LedgerStep.SEAL}
"""The ledger step a report's failed work is recorded under."""

UNREADABLE: tuple[type[Exception], ...] = (StorageError, ReportsError, ValidationError)
"""What a stage catches for one report (it is marked failed, the batch goes on): its data
cannot be read or used. Anything else is a fault of the run and stops it."""

_FAILURES: tuple[tuple[type[Exception], str, str, str], ...] = (
    (
        DataKeyMissingError,
        "data_key_missing",
        "the report's data key is not in the key store: restore the key store from the keys backup "
        "(docs/operations.md, 'Keys: loss and recovery'), then run the intake again",
        "la clé de données du rapport manque : restaurez la sauvegarde des clés, puis relancez",
    ),
    (
        KeyDestroyedError,
        "data_key_destroyed",
        "the report's data key was destroyed: its data is erased",
        "la clé de données du rapport a été détruite : ses données sont effacées",
    ),
    (
        WrongKeyError,
        "data_key_unwrap_failed",
        "the report's data key does not unwrap with the key-encryption keys in use: restore the keys backup",
        "la clé de données ne se déchiffre pas avec les clés en service : restaurez la sauvegarde des clés",
    ),
    (
        BlobError,
        "blob_unreadable",
        "an encrypted file of the report is missing or damaged: restore blobs/ from the data backup, "
        "then run the intake again",
        "un fichier chiffré du rapport manque ou est abîmé : restaurez blobs/ depuis la sauvegarde",
    ),
    (
        DetectionFailedError,
        "pii_detection_failed",
        "the personal-data detection failed on this report's text (a fault of the model or of a "
        "recognizer; no text is logged): it stays unredacted and unrendered; report it, the next run retries",
        "la détection des données personnelles a échoué sur ce rapport : il reste en attente ; "
        "signalez-le, la prochaine exécution réessaie",
    ),
    (
        ValidationError,
        "content_invalid",
        "the stored report does not read as a report of this version",
        "le rapport enregistré ne se lit pas avec cette version",
    ),
)


@dataclass
class StageResult:
    """Ids only: what a Prefect task may return."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """report id → error code (never a message that could quote data)."""


@dataclass
class Pipeline:
    store: ReportStore
    catalog: TemplateCatalog
    seal_dir: Path
    tsa_url: str | None = None
    redactor_factory: Callable[[], ReportRedactor] | None = None
    """Builds the PII redactor on first use (it loads the spaCy model)."""
    logo_reader: Callable[[str], bytes] | None = None
    """The company logo of a SHA-256 (``storage.company_logo.LogoStore.get``), for the PDF header."""
    processes: int = 1
    """How many processes redact, render and seal (``QUITUS_INTAKE_PROCESSES``); 1: this one, no pool."""
    worker_opener: Callable[[], Pipeline] | None = None
    """Builds this pipeline again in a worker process (a module-level callable and picklable
    arguments: ``quitus.wiring.open_worker_pipeline``); needed when ``processes`` > 1."""
    workers: StagePool = field(default_factory=StagePool, repr=False)
    """The worker processes, started on first use and shared by this pipeline's copies."""
    _redactor: ReportRedactor | None = None
    _seal: SealIdentity | None = None

    # -- stages ----------------------------------------------------------------------------

    def redact(self, report_ids: Sequence[str]) -> StageResult:
        result = StageResult()
        ready = self._in_state(report_ids, ReportState.VALIDATED, result)
        for report_id, outcome in self.workers.batch_outcomes(self, "redact_some", ready):
            if isinstance(outcome, Failed):
                self._failed(report_id, LedgerStep.REDACT, outcome, result)
                continue
            self._advance(
                report_id,
                ReportState.REDACTED,
                ReportState.VALIDATED,
                LedgerStep.REDACT,
                result,
                [BlobToStore(kind, data, "application/json") for kind, data in outcome.items()],
            )
        return result

    def render(self, report_ids: Sequence[str]) -> StageResult:
        result = StageResult()
        ready = self._in_state(report_ids, ReportState.REDACTED, result)
        for report_id, outcome in self.workers.outcomes(self, "render_one", ready):
            if isinstance(outcome, Failed):
                self._failed(report_id, LedgerStep.RENDER, outcome, result)
                continue
            self._advance(
                report_id,
                ReportState.RENDERED,
                ReportState.REDACTED,
                LedgerStep.RENDER,
                result,
                [BlobToStore(kind, data, "application/pdf") for kind, data in outcome.items()],
            )
        return result

    def seal(self, report_ids: Sequence[str]) -> StageResult:
        result = StageResult()
        ready = self._in_state(report_ids, ReportState.RENDERED, result)
        for report_id, outcome in self.workers.outcomes(self, "seal_one", ready):
            if isinstance(outcome, Failed):
                self._failed(report_id, LedgerStep.SEAL, outcome, result)
                continue
            # The sealed documents' own hashes go in the ledger: a proof bundle's PDF can be
            # matched to this step with sha256sum alone.
            self.store.transition(
                report_id,
                ReportState.SIGNED,
                expected=ReportState.RENDERED,
                step=LedgerStep.SEAL,
                blobs=[BlobToStore(kind, data, "application/pdf") for kind, data in outcome.items()],
                details={
                    f"{kind}_sha256": hashlib.sha256(data).hexdigest() for kind, data in outcome.items()
                },
            )
            result.done.append(report_id)
        return result

    # -- one report's work (here or in a worker process: it reads, it never writes) ----------

    def render_one(self, report_id: str) -> Documents:
        """The report's two drafts: everything, and its redacted version."""
        full, redacted = self._render_both(report_id)
        return {BlobKind.PDF_DRAFT_FULL: full, BlobKind.PDF_DRAFT_REDACTED: redacted}

    def seal_one(self, report_id: str) -> Documents:
        """The report's two drafts, sealed."""
        identity = self.seal_identity()
        return {
            kind: seal_pdf(self._blob(report_id, draft), identity, tsa_url=self.tsa_url)
            for draft, kind in _SEALED.items()
        }

    def redact_some(self, report_ids: Sequence[str]) -> dict[str, Outcome]:
        """Each report's redacted JSON, or the issue that marks it: first the reports that
        cannot be read, then those the PII analysis failed on, then the redacted ones.

        The reports are redacted in one pipe (the PII model is much faster so); if the
        analysis fails inside it, each report again on its own, so that only the one it
        fails on is marked (``pii_detection_failed``) and the others go on.
        """
        outcomes: dict[str, Outcome] = {}
        readable: list[tuple[str, InterventionReport]] = []
        for report_id in report_ids:
            try:
                readable.append((report_id, self._content(report_id)))
            except UNREADABLE as exc:
                outcomes[report_id] = Failed(failure_issue(LedgerStep.REDACT, exc))
        if not readable:
            return outcomes
        redactor = self.redactor()
        try:
            redacted = list(
                zip(
                    [report_id for report_id, _ in readable],
                    redactor.redact_reports([content for _, content in readable]),
                    strict=True,
                )
            )
        except DetectionFailedError as exc:
            if len(readable) == 1:
                outcomes[readable[0][0]] = Failed(failure_issue(LedgerStep.REDACT, exc))
                return outcomes
            redacted = []
            for report_id, content in readable:
                try:
                    [alone] = redactor.redact_reports([content])
                except DetectionFailedError as failure:
                    outcomes[report_id] = Failed(failure_issue(LedgerStep.REDACT, failure))
                    continue
                redacted.append((report_id, alone))
        for report_id, outcome in redacted:
            outcomes[report_id] = {BlobKind.REDACTED_REPORT: outcome.report.model_dump_json().encode()}
        return outcomes

    def run_some(self, work: BatchWork, report_ids: Sequence[str]) -> dict[str, Outcome]:
        """``work`` on these reports (:meth:`redact_some`): each one's documents, or the issue
        of a failure that marks it. Only a failure of a single report is caught; anything
        else is a fault of the run and stops it."""
        outcomes: dict[str, Outcome] = getattr(self, work)(report_ids)
        return outcomes

    def run_one(self, work: Work, report_id: str) -> Outcome:
        """``work`` on one report: its documents, or the issue of a failure that marks it
        (its data cannot be read or used, :data:`UNREADABLE`)."""
        try:
            documents: Documents = getattr(self, work)(report_id)
        except UNREADABLE as exc:
            return Failed(failure_issue(_WORK_STEPS[work], exc))
        return documents

    def close(self) -> None:
        """Stop the worker processes, if any were started (they stop at exit anyway)."""
        self.workers.close()

    def archive(self, report_ids: Sequence[str]) -> StageResult:
        result = StageResult()
        for report_id in self._in_state(report_ids, ReportState.SIGNED, result):
            self.store.mark_archived(report_id)
            result.done.append(report_id)
        return result

    def run_pending(self, *, batch_size: int = 100) -> Counter[str]:
        """Take every report waiting after validation as far as it goes; counts per stage.

        Batches are claimed (:mod:`storage.claims`) as the intake flow's are, so this may run
        beside workers on the same database. A report whose stage fails keeps this run's
        claim until the end, so it is tried once per run, not again and again.
        """
        counts: Counter[str] = Counter()
        claims = ReportClaims(self.store.database)
        held: list[str] = []
        try:
            for state, name in STAGES:
                stage = getattr(self, name)
                while ids := claims.claim(state, batch_size):
                    held += ids
                    outcome: StageResult = stage(ids)
                    counts[name] += len(outcome.done)
                    counts[f"{name} failed"] += len(outcome.failed)
        finally:
            claims.release(held)
        return counts

    # -- collaborators ---------------------------------------------------------------------

    def redactor(self) -> ReportRedactor:
        if self._redactor is None:
            if self.redactor_factory is None:
                raise RuntimeError("no PII redactor configured")
            self._redactor = self.redactor_factory()
        return self._redactor

    def seal_identity(self) -> SealIdentity:
        if self._seal is None:
            self._seal = load_seal(self.seal_dir)
        return self._seal

    # -- helpers ---------------------------------------------------------------------------

    def _in_state(self, report_ids: Sequence[str], state: ReportState, result: StageResult) -> list[str]:
        ready = []
        for report_id in report_ids:
            if self.store.get(report_id).state == state:
                ready.append(report_id)
            else:
                result.skipped.append(report_id)
        return ready

    def _content(self, report_id: str, summary: ReportSummary | None = None) -> InterventionReport:
        summary = summary or self.store.get(report_id)
        assert summary.content_blob_id is not None
        return InterventionReport.model_validate_json(
            self.store.read_blob(report_id, summary.content_blob_id)
        )

    def _blob(self, report_id: str, kind: BlobKind) -> bytes:
        blob_id = self.store.latest_blob(report_id, kind)
        if blob_id is None:
            raise StorageError(f"report {report_id} has no {kind}")
        return self.store.read_blob(report_id, blob_id)

    def _render_both(self, report_id: str) -> tuple[bytes, bytes]:
        summary = self.store.get(report_id)
        report = self._content(report_id, summary)
        # The redacted copy is not re-validated (a placeholder is not an e-mail address):
        # its free texts are read as plain JSON and handed to the renderer text by text.
        free_texts = _free_text_pairs(
            report.model_dump(mode="json"), json.loads(self._blob(report_id, BlobKind.REDACTED_REPORT))
        )
        template = self.catalog.for_report(*report.template_key)
        if template is None:
            raise ReportsError(f"template of report {report_id} is no longer installed")
        images = {
            a.blob_id: self.store.read_blob(report_id, a.blob_id)
            for a in _attachments(report)
            if a.blob_id is not None
        }
        # People read the report's number (storage.report_numbers); the id stays the key.
        shown = summary.shown_number
        logo_sha256 = report.company.logo_sha256
        logo = self.logo_reader(logo_sha256) if logo_sha256 and self.logo_reader else None
        history = self._equipment_history(report, report_id)
        full = render_report(
            report,
            template,
            report_id=shown,
            images=images,
            company=report.company,
            logo=logo,
            equipment_history=history,
        )
        anonymous = render_report(
            report,
            template,
            report_id=shown,
            images={},
            company=report.company,
            logo=logo,
            variant="redacted",
            redact_text=lambda text: free_texts.get(text, FREE_TEXT_PLACEHOLDER),
            equipment_history=history,
        )
        return full, anonymous

    def _equipment_history(self, report: InterventionReport, report_id: str) -> list[str]:
        """The unit's interventions before this one, as the PDF prints them (no personal data)."""
        earlier = [
            item
            for item in history_of(self.store, report.equipment, excluding=report_id)
            if item.day <= report.intervention_date
        ]
        titles = {template.id: template.title for template in self.catalog}
        return history_lines(earlier, titles)

    def _advance(
        self,
        report_id: str,
        target: ReportState,
        expected: ReportState,
        step: LedgerStep,
        result: StageResult,
        blobs: list[BlobToStore],
    ) -> None:
        self.store.transition(report_id, target, expected=expected, step=step, blobs=blobs)
        result.done.append(report_id)

    def _failed(self, report_id: str, stage: LedgerStep, failed: Failed, result: StageResult) -> None:
        self.store.record_failure(report_id, stage, failed.issue)
        result.failed[report_id] = failed.issue["code"]


def failure_issue(stage: LedgerStep, exc: Exception) -> dict[str, str]:
    """The issue that marks a report whose ``stage`` failed with ``exc``: a code and what to do.

    Never the exception's message (it may name a file, a key or, from a renderer, a value).
    """
    for kind, code, message, message_fr in _FAILURES:
        if isinstance(exc, kind):
            return {"path": "", "code": code, "message": message, "message_fr": message_fr}
    code = _token(str(getattr(exc, "code", None) or exc.__class__.__name__))
    return {
        "path": "",
        "code": code,
        "message": f"the {stage.value} step failed ({code}); the ledger records it, the next run retries",
        "message_fr": f"l'étape {stage.value} a échoué ({code}) ; la prochaine exécution réessaie",
    }


def record_failure(
    store: ReportStore, report_id: str, stage: LedgerStep, exc: Exception, result: StageResult
) -> None:
    """Mark ``report_id`` failed at ``stage`` (issues and ledger, with a code) and count it."""
    issue = failure_issue(stage, exc)
    store.record_failure(report_id, stage, issue)
    result.failed[report_id] = issue["code"]


def _free_text_pairs(original: Any, redacted: Any) -> dict[str, str]:
    """Original free text → its redacted version, for every free-text field of the schema."""
    pairs: dict[str, str] = {}
    for path, category in personal_data_fields().items():
        if category == "free_text":
            for before, after in zip(
                _values_at(original, path.split(".")), _values_at(redacted, path.split(".")), strict=False
            ):
                if isinstance(before, str) and isinstance(after, str):
                    pairs[before] = after
    return pairs


def _values_at(data: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return [data]
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    value = data.get(head.removesuffix("[]")) if isinstance(data, dict) else None
    if value is None:
        return []
    if is_list:
        return [v for item in value for v in _values_at(item, rest)] if isinstance(value, list) else []
    return _values_at(value, rest)


def _attachments(report: InterventionReport) -> list:  # type: ignore[type-arg]
    images = [p.image for p in report.photos]
    images += [s.image for s in (report.client_signature, report.technician_signature) if s is not None]
    return images


def _token(code: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in code)[:64] or "error"
