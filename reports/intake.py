"""Capture and validation of submissions: the first two steps of a report's life.

:meth:`Intake.capture` stores the raw submission encrypted *before* anything else
(nothing is ever lost), parses it (JSON or a filled PDF form), sanitizes its photos and
signatures and stores them encrypted. :meth:`Intake.validate` checks a captured report
against its template. Problems become structured :class:`~reports.issues.ReportIssue`
s and the report is kept as ``rejected``; resubmitting with the same
``submission_id`` corrects it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from reports.capture.photos import PhotoLimits, sanitize_image
from reports.errors import CaptureError
from reports.issues import ReportIssue, issue, issues_from_validation_error
from reports.schema import Attachment, InterventionReport, SubmissionId
from reports.templates import TemplateCatalog
from reports.validation import find_template, validate_report
from storage.blind_index import SubjectKind, subject_digests
from storage.blob_kinds import BlobKind
from storage.blobs import new_blob_id
from storage.errors import InvalidTransitionError
from storage.ledger.steps import LedgerStep
from storage.report_store import BlobToStore, Receipt, ReceiptKind, ReportStore, ReportSummary
from storage.states import ReportState

__all__ = ["CaptureOutcome", "Intake", "SourceKind", "Submission"]

SourceKind = Literal["json", "pdf_form"]
_SUBMISSION_ID: TypeAdapter[str] = TypeAdapter(SubmissionId)


@dataclass(frozen=True)
class Submission:
    """One raw submission as received."""

    raw: bytes
    source: SourceKind
    attachments_dir: Path | None = None
    """Where ``file`` references are resolved; ``None`` refuses file references (API uploads)."""


@dataclass(frozen=True)
class CaptureOutcome:
    """What became of a submission."""

    report: ReportSummary
    receipt: ReceiptKind
    issues: list[ReportIssue] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.report.state != ReportState.REJECTED


class Intake:
    """Capture and validation, over a :class:`ReportStore` and a :class:`TemplateCatalog`."""

    def __init__(
        self,
        store: ReportStore,
        catalog: TemplateCatalog,
        *,
        photo_limits: PhotoLimits | None = None,
        form_reader: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.photo_limits = photo_limits or PhotoLimits()
        self._form_reader = form_reader

    def ingest(self, submission: Submission) -> CaptureOutcome:
        """Capture, then validate when capture succeeded."""
        captured = self.capture(submission)
        if captured.report.state == ReportState.CAPTURED:
            return self.validate(captured.report.id, receipt=captured.receipt)
        return captured

    # -- capture ---------------------------------------------------------------------------

    def capture(self, submission: Submission) -> CaptureOutcome:
        payload, decode_issue = self._decode(submission)
        receipt = self.store.receive(
            submission.raw, source=submission.source, submission_id=_submission_id(payload)
        )
        if receipt.kind == ReceiptKind.DUPLICATE:
            summary = self.store.get(receipt.report_id)
            if not _capture_interrupted(summary):
                return CaptureOutcome(
                    summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues]
                )
            # An earlier run stored these bytes and stopped before reading them: finish its work.
            receipt = Receipt(ReceiptKind.NEW, receipt.report_id, receipt.conflicting_report_id)
        try:
            return self._read_and_store(submission, payload, decode_issue, receipt)
        except InvalidTransitionError:
            # Another process finished this capture meanwhile: its result stands.
            summary = self.store.get(receipt.report_id)
            return CaptureOutcome(summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues])

    def receive(self, submission: Submission) -> CaptureOutcome:
        """Persist a submission and leave the costly reading to the intake flow (the API's path).

        The raw bytes are stored encrypted at once. A submission that cannot be read
        (not JSON, not a report, a conflicting submission_id) is rejected now, as that
        check is cheap; photo sanitizing and storing the parsed report wait for
        :meth:`complete_capture`, which the intake flow's first stage calls. Until then
        the report is ``captured`` without content.
        """
        payload, decode_issue = self._decode(submission)
        receipt = self.store.receive(
            submission.raw, source=submission.source, submission_id=_submission_id(payload)
        )
        summary = self.store.get(receipt.report_id)
        if receipt.kind == ReceiptKind.DUPLICATE or not _capture_interrupted(summary):
            return CaptureOutcome(summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues])
        if decode_issue is None and receipt.conflicting_report_id is None and _is_report(payload):
            return CaptureOutcome(summary, receipt.kind, [])
        try:
            return self._read_and_store(submission, payload, decode_issue, receipt)
        except InvalidTransitionError:
            summary = self.store.get(receipt.report_id)
            return CaptureOutcome(summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues])

    def complete_capture(self, report_id: str) -> CaptureOutcome:
        """Finish a capture that stored only the raw bytes (:meth:`receive`, or a run that died).

        Reads the stored submission back and captures it again: the store recognizes the
        same bytes, so nothing is stored twice. Other reports are returned as they are.
        """
        summary = self.store.get(report_id)
        if not _capture_interrupted(summary):
            return CaptureOutcome(
                summary, ReceiptKind.DUPLICATE, [ReportIssue.from_dict(i) for i in summary.issues]
            )
        latest = self.store.submissions(report_id)[-1]
        raw = self.store.read_blob(report_id, latest.raw_blob_id)
        source: SourceKind = "pdf_form" if latest.source == "pdf_form" else "json"
        return self.capture(Submission(raw, source))

    def _read_and_store(
        self, submission: Submission, payload: Any, decode_issue: ReportIssue | None, receipt: Receipt
    ) -> CaptureOutcome:
        if decode_issue is not None:
            return self._reject(receipt.report_id, receipt.kind, [decode_issue])
        if receipt.conflicting_report_id is not None:
            conflict = issue("submission_id", "submission_conflict", report_id=receipt.conflicting_report_id)
            return self._reject(receipt.report_id, receipt.kind, [conflict])
        try:
            report = InterventionReport.model_validate(payload)
        except ValidationError as exc:
            return self._reject(receipt.report_id, receipt.kind, issues_from_validation_error(exc))
        report, blobs, problems = self._store_attachments(report, submission)
        template = self.catalog.for_report(*report.template_key)
        summary = self.store.save_capture(
            receipt.report_id,
            content=report.model_dump_json().encode(),
            blobs=blobs,
            issues=[p.as_dict() for p in problems],
            template_id=template.id if template else None,
            client_kind=report.client.kind,
            intervention_date=report.intervention_date,
            outcome=report.outcome.status,
            subjects=subject_digests(self.store.keys.index_key, subject_terms(report)),
            tags=report.tags,
            site_country=_site_country(report),
        )
        return CaptureOutcome(summary, receipt.kind, problems)

    def _decode(self, submission: Submission) -> tuple[Any, ReportIssue | None]:
        if submission.source == "pdf_form":
            if self._form_reader is None:
                from reports.capture.pdf_form import read_form  # noqa: PLC0415 - pypdf only when needed

                self._form_reader = read_form
            try:
                return self._form_reader(submission.raw), None
            except CaptureError as exc:
                return None, _capture_issue(exc)
        try:
            text = submission.raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, issue("", "not_utf8", offset=exc.start)
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, issue(
                "", "invalid_json", detail=f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
            )
        if not isinstance(payload, dict):
            return None, issue("", "not_an_object")
        return payload, None

    def _store_attachments(
        self, report: InterventionReport, submission: Submission
    ) -> tuple[InterventionReport, list[BlobToStore], list[ReportIssue]]:
        """Sanitize every photo and signature, queue them as blobs, point the report at them."""
        blobs: list[BlobToStore] = []
        problems: list[ReportIssue] = []

        def stored(attachment: Attachment, path: str, kind: BlobKind) -> Attachment:
            if attachment.blob_id is not None:
                problems.append(
                    ReportIssue(
                        path=path,
                        code="attachment_blob_id_refused",
                        message="blob_id is set by quitus; send 'file' or 'content_base64'",
                        message_fr="blob_id est attribué par quitus",
                    )
                )
                return attachment
            try:
                raw = self._attachment_bytes(attachment, path, submission.attachments_dir)
            except CaptureError as exc:
                problems.append(_capture_issue(exc))
                return attachment
            try:
                clean = sanitize_image(raw, path=path, limits=self.photo_limits)
            except CaptureError as exc:
                problems.append(_capture_issue(exc))
                if attachment.file is not None:  # keep the refused file: nothing is lost
                    blobs.append(BlobToStore(BlobKind.QUARANTINED_ATTACHMENT, raw))
                return attachment
            blob_id = new_blob_id()
            blobs.append(BlobToStore(kind, clean.content, clean.media_type, blob_id))
            return Attachment(blob_id=blob_id)

        photos = [
            photo.model_copy(update={"image": stored(photo.image, f"photos[{i}].image", BlobKind.PHOTO)})
            for i, photo in enumerate(report.photos)
        ]
        update: dict[str, Any] = {"photos": photos}
        for name in ("client_signature", "technician_signature"):
            signature = getattr(report, name)
            if signature is not None:
                update[name] = signature.model_copy(
                    update={"image": stored(signature.image, f"{name}.image", BlobKind.SIGNATURE)}
                )
        return report.model_copy(update=update), blobs, problems

    @staticmethod
    def _attachment_bytes(attachment: Attachment, path: str, base: Path | None) -> bytes:
        if attachment.content_base64 is not None:
            try:
                return base64.b64decode(attachment.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CaptureError(
                    "attachment_bad_base64", "content_base64 is not valid base64", f"{path}.content_base64"
                ) from exc
        assert attachment.file is not None
        if base is None:
            raise CaptureError(
                "attachment_file_refused",
                "file references are not accepted here; send content_base64",
                f"{path}.file",
            )
        target = base / attachment.file
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise CaptureError(
                "attachment_file_missing",
                "the referenced file does not exist next to the submission; "
                "paths are relative to the JSON file",
                f"{path}.file",
            ) from None
        except OSError as exc:
            raise CaptureError(
                "attachment_file_unreadable",
                f"cannot read the referenced file ({exc.strerror})",
                f"{path}.file",
            ) from exc

    def _reject(self, report_id: str, receipt: ReceiptKind, problems: list[ReportIssue]) -> CaptureOutcome:
        summary = self.store.save_capture(report_id, content=None, issues=[p.as_dict() for p in problems])
        return CaptureOutcome(summary, receipt, problems)

    # -- validation ------------------------------------------------------------------------

    def validate(self, report_id: str, *, receipt: ReceiptKind = ReceiptKind.NEW) -> CaptureOutcome:
        """Check a captured report against its template (idempotent: other states are left as they are).

        A report received without being read (:meth:`receive`, or a capture cut short) is read first.
        """
        summary = self.store.get(report_id)
        if _capture_interrupted(summary):
            summary = self.complete_capture(report_id).report
        if summary.state != ReportState.CAPTURED or summary.content_blob_id is None:
            return CaptureOutcome(summary, receipt, [ReportIssue.from_dict(i) for i in summary.issues])
        report = InterventionReport.model_validate_json(
            self.store.read_blob(report_id, summary.content_blob_id)
        )
        template = find_template(report, self.catalog)
        problems = [template] if isinstance(template, ReportIssue) else validate_report(report, template)
        target = ReportState.REJECTED if problems else ReportState.VALIDATED
        summary = self.store.transition(
            report_id,
            target,
            issues=[p.as_dict() for p in problems],
            expected=ReportState.CAPTURED,
            step=LedgerStep.VALIDATE,
        )
        return CaptureOutcome(summary, receipt, problems)


def _submission_id(payload: Any) -> str | None:
    """The payload's submission_id when it is well-formed (even if the rest is not)."""
    value = payload.get("submission_id") if isinstance(payload, dict) else None
    try:
        return _SUBMISSION_ID.validate_python(value)
    except ValidationError:
        return None


def subject_terms(report: InterventionReport) -> list[tuple[SubjectKind, str]]:
    """Who a report is about, for the blind index (data-subject requests)."""
    terms: list[tuple[SubjectKind, str]] = [("name", report.client.name), ("name", report.technician.name)]
    if report.client.company_name:
        terms.append(("name", report.client.company_name))
    if report.client.email:
        terms.append(("email", str(report.client.email)))
    if report.client.phone:
        terms.append(("phone", report.client.phone))
    terms += [("name", s.signer_name) for s in (report.client_signature, report.technician_signature) if s]
    return terms


def _site_country(report: InterventionReport) -> str:
    site = report.site.address if report.site is not None and report.site.address is not None else None
    return (site or report.client.address).country


def _is_report(payload: Any) -> bool:
    try:
        InterventionReport.model_validate(payload)
    except ValidationError:
        return False
    return True


def _capture_interrupted(summary: ReportSummary) -> bool:
    """Raw bytes stored, but the run that stored them stopped before parsing them."""
    return summary.state == ReportState.CAPTURED and summary.content_blob_id is None and not summary.issues


def _capture_issue(exc: CaptureError) -> ReportIssue:
    return ReportIssue(path=exc.path, code=exc.code, message=exc.message, message_fr=exc.message)
