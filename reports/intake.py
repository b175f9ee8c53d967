"""Capture and validation of submissions: the first two steps of a report's life.

:meth:`Intake.capture` stores the raw submission encrypted *before* anything else
(nothing is ever lost), parses it (JSON or a filled PDF form), sanitizes its photos and
signatures and stores them encrypted. :meth:`Intake.validate` checks a captured report
against its template. Problems become structured :class:`~reports.issues.ReportIssue`
s and the report is kept as ``rejected``; resubmitting with the same
``submission_id`` corrects it.

Every decoder runs within a budget (:class:`~reports.capture.limits.CaptureLimits`):
JSON is measured before it is parsed, a PDF form is read in a separate process held to
a memory and time limit, photos are checked from their header. A submission read from
a folder (``quitus ingest``) may reference files beside it: only regular files inside
that folder are read, size checked first, and they are inlined into the submission
*before* it is stored — like the API's multipart uploads — so the stored submission is
complete on its own: a capture interrupted after storing it is finished by the intake
flow, on any machine, without the folder.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError

from reports.capture.json_decode import load_json_object, looks_like_field_name
from reports.capture.limits import CaptureLimits
from reports.capture.pdf_budget import format_bytes
from reports.capture.photos import PhotoLimits, sanitize_image
from reports.company import with_company
from reports.equipment_history import equipment_line_of, unit_detail
from reports.errors import CaptureError
from reports.issues import MESSAGES, ReportIssue, issue, issues_from_validation_error
from reports.schema import Attachment, Company, InterventionReport, SubmissionId
from reports.templates import TemplateCatalog
from reports.validation import find_template, validate_report
from reports.visit_plan import continuation_of
from storage.access_store import AccessStore
from storage.blind_index import SubjectKind, subject_digests
from storage.blob_kinds import BlobKind
from storage.blobs import new_blob_id
from storage.errors import InvalidTransitionError
from storage.ledger.steps import LedgerStep
from storage.report_store import BlobToStore, Receipt, ReceiptKind, ReportStore, ReportSummary
from storage.states import ReportState

if TYPE_CHECKING:  # pypdf is imported only when a form arrives
    from reports.capture.pdf_form_read import FormReading

__all__ = ["CaptureOutcome", "Intake", "SourceKind", "Submission", "file_references", "read_confined"]

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
        limits: CaptureLimits | None = None,
        form_reader: Callable[[bytes], FormReading] | None = None,
        company: Callable[[], Company] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.photo_limits = photo_limits or PhotoLimits()
        self.limits = limits or CaptureLimits()
        """Budgets of the JSON decoder, the PDF form reader and the attachment reader."""
        self._form_reader = form_reader
        self.company = company
        """The company every report names, from its configured identity (read at each capture);
        ``None`` keeps what the submission says (tests, tools without a home)."""

    def ingest(self, submission: Submission) -> CaptureOutcome:
        """Capture, then validate when capture succeeded."""
        captured = self.capture(submission)
        if captured.report.state == ReportState.CAPTURED:
            return self.validate(captured.report.id, receipt=captured.receipt)
        return captured

    # -- capture ---------------------------------------------------------------------------

    def capture(self, submission: Submission) -> CaptureOutcome:
        """Store ``submission`` (its referenced files inlined), then read it and store the report."""
        submission, refused = self.with_files_inlined(submission)
        payload, decode_issues = self._decode(submission)
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
            return self._read_and_store(submission, payload, decode_issues, receipt, refused)
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
        submission, refused = self.with_files_inlined(submission)
        # An outline (long strings left out): what decides here costs kilobytes, not twice the body.
        payload, decode_issues = self._decode(submission, outline=True)
        readable = not decode_issues and not refused and _is_report(payload)
        submission_id = _submission_id(payload)
        receipt = self.store.receive(submission.raw, source=submission.source, submission_id=submission_id)
        summary = self.store.get(receipt.report_id)
        if receipt.kind == ReceiptKind.DUPLICATE or not _capture_interrupted(summary):
            return CaptureOutcome(summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues])
        if readable and receipt.conflicting_report_id is None:
            return CaptureOutcome(summary, receipt.kind, [])
        if not readable:  # read in full, to name what refuses it (a conflict needs only the outline)
            payload, decode_issues = self._decode(submission)
        try:
            return self._read_and_store(submission, payload, decode_issues, receipt, refused)
        except InvalidTransitionError:
            summary = self.store.get(receipt.report_id)
            return CaptureOutcome(summary, receipt.kind, [ReportIssue.from_dict(i) for i in summary.issues])

    def complete_capture(self, report_id: str) -> CaptureOutcome:
        """Finish a capture that stored only the raw bytes (:meth:`receive`, or a run that died).

        Reads the stored submission back and captures it again: the store recognizes the
        same bytes, so nothing is stored twice. Other reports are returned as they are.
        A submission from a folder was stored with its files inlined: it needs no folder.
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
        self,
        submission: Submission,
        payload: Any,
        decode_issues: list[ReportIssue],
        receipt: Receipt,
        refused: Mapping[str, ReportIssue],
    ) -> CaptureOutcome:
        if payload is None:
            return self._reject(receipt.report_id, receipt.kind, decode_issues)
        if receipt.conflicting_report_id is not None:
            conflict = issue("submission_id", "submission_conflict", report_id=receipt.conflicting_report_id)
            return self._reject(receipt.report_id, receipt.kind, [conflict])
        try:
            report = InterventionReport.model_validate(payload)
        except ValidationError as exc:
            return self._reject(
                receipt.report_id, receipt.kind, decode_issues + issues_from_validation_error(exc)
            )
        except RecursionError:  # bounded by the JSON budget already; the last guard
            return self._reject(receipt.report_id, receipt.kind, [issue("", "json_too_deep", max_depth="?")])
        if decode_issues:  # unknown form fields: refused like unknown JSON keys
            return self._reject(receipt.report_id, receipt.kind, decode_issues)
        report, blobs, problems = self._store_attachments(report, submission, refused)
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
            team=AccessStore(self.store).enabled_technicians([member.id for member in report.team]),
        )
        return CaptureOutcome(summary, receipt.kind, problems)

    def _decode(
        self, submission: Submission, *, outline: bool = False
    ) -> tuple[dict[str, Any] | None, list[ReportIssue]]:
        """The payload and the issues that refuse it (payload ``None``: unreadable), its
        ``company`` set by the server when a company is configured. ``outline``: long strings
        left out (:func:`~reports.capture.json_decode.load_json_object`)."""
        payload, problems = self._decode_raw(submission, outline=outline)
        if payload is not None and self.company is not None:
            payload = with_company(payload, self.company())
        return payload, problems

    def _decode_raw(
        self, submission: Submission, *, outline: bool = False
    ) -> tuple[dict[str, Any] | None, list[ReportIssue]]:
        if submission.source == "pdf_form":
            try:
                reading = self._read_form(submission.raw)
            except CaptureError as exc:
                return None, [_capture_issue(exc)]
            unknown = [
                issue(name if looks_like_form_field(name) else "", "form_field_unknown", field=_shown(name))
                for name in reading.unknown_fields
            ]
            return reading.with_copy_id(self.store.keys.index_key), unknown
        payload, problem = load_json_object(submission.raw, self.limits, outline=outline)
        return payload, [problem] if problem is not None else []

    def _read_form(self, raw: bytes) -> FormReading:
        if self._form_reader is not None:
            return self._form_reader(raw)
        from reports.capture.pdf_form_read import read_form_isolated  # noqa: PLC0415 - pypdf only when needed

        return read_form_isolated(raw, self.limits, self.photo_limits.max_bytes)

    # -- files referenced from a folder ----------------------------------------------------

    def with_files_inlined(self, submission: Submission) -> tuple[Submission, dict[str, ReportIssue]]:
        """``submission`` with the files it references from its folder inlined as base64.

        Returns the submission to store (the same one when it references no readable
        file, or has no folder) and the issue of each reference that could not be read,
        by attachment path (``photos[0].image``); those references stay as they were.
        """
        if submission.source != "json" or submission.attachments_dir is None:
            return submission, {}
        payload, problem = load_json_object(submission.raw, self.limits)
        if payload is None or problem is not None:
            return submission, {}
        references = list(file_references(payload))
        if not references:
            return Submission(submission.raw, submission.source), {}
        refused: dict[str, ReportIssue] = {}
        total = inlined = 0
        for path, attachment in references:
            where = f"{path}.file"
            if inlined >= self.limits.max_attachment_files:
                refused[path] = self._too_many_files(where)
                continue
            try:
                content = read_confined(
                    submission.attachments_dir,
                    attachment["file"],
                    path=where,
                    max_bytes=self.photo_limits.max_bytes,
                )
            except CaptureError as exc:
                refused[path] = _capture_issue(exc)
                continue
            total += len(content)
            if total > self.limits.max_attachment_total_bytes:
                refused[path] = self._too_many_files(where)
                continue
            attachment.clear()
            attachment["content_base64"] = base64.b64encode(content).decode("ascii")
            inlined += 1
        if not inlined:
            return Submission(submission.raw, submission.source), refused
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return Submission(raw, submission.source), refused

    def _too_many_files(self, where: str) -> ReportIssue:
        return issue(
            where,
            "attachments_too_large",
            max_bytes=format_bytes(self.limits.max_attachment_total_bytes),
            max_count=self.limits.max_attachment_files,
        )

    def _store_attachments(
        self, report: InterventionReport, submission: Submission, refused: Mapping[str, ReportIssue]
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
            if attachment.file is not None and path in refused:
                problems.append(refused[path])
                return attachment
            try:
                raw = self._attachment_bytes(
                    attachment, path, submission.attachments_dir, self.photo_limits.max_bytes
                )
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
    def _attachment_bytes(attachment: Attachment, path: str, base: Path | None, max_bytes: int) -> bytes:
        if attachment.content_base64 is not None:
            encoded = attachment.content_base64
            # Measured before decoding: a refused photo never costs its decoded bytes too.
            if len(encoded) // 4 * 3 - encoded[-2:].count("=") > max_bytes:
                raise CaptureError(
                    "photo_too_large",
                    f"the photo is larger than the {format_bytes(max_bytes)} accepted per photo; "
                    "resize it or raise QUITUS_PHOTO_MAX_BYTES",
                    path,
                )
            try:
                return base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CaptureError(
                    "attachment_bad_base64", "content_base64 is not valid base64", f"{path}.content_base64"
                ) from exc
        assert attachment.file is not None
        if base is None:
            raise CaptureError(
                "attachment_file_refused",
                "file references are only read by `quitus ingest`, from the submission's folder; "
                "send content_base64 (or a multipart part) instead",
                f"{path}.file",
            )
        return read_confined(base, attachment.file, path=f"{path}.file", max_bytes=max_bytes)

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
        # Accepted: the planned visit it continues is done (reports.visit_plan) and its unit's
        # history gains a line (reports.equipment_history), in the acceptance's transaction.
        effects = (
            []
            if problems
            else [
                effect
                for effect in (
                    continuation_of(self.store, report, report_id),
                    equipment_line_of(self.store, report, report_id),
                )
                if effect is not None
            ]
        )
        summary = self.store.transition(
            report_id,
            target,
            issues=[p.as_dict() for p in problems],
            expected=ReportState.CAPTURED,
            step=LedgerStep.VALIDATE,
            details=None if problems else unit_detail(self.store, report),
            effects=effects,
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
    terms += [("name", member.name) for member in report.team]
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
    if exc.code in MESSAGES:
        return issue(exc.path, exc.code, **exc.params)
    return ReportIssue(path=exc.path, code=exc.code, message=exc.message, message_fr=exc.message)


def looks_like_form_field(name: str) -> bool:
    """Whether a form field's name may be quoted: dotted identifiers (``client.birth_date``)."""
    return len(name) <= 120 and all(looks_like_field_name(part) for part in name.split("."))


def _shown(name: str) -> str:
    return name if looks_like_form_field(name) else "(unnamed)"


def file_references(payload: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, attachment) of every attachment given as ``{"file": "<name>"}``: a path relative to
    the submission's folder (``quitus ingest``) or a multipart part's name (the API)."""
    candidates: list[tuple[str, Any]] = []
    photos = payload.get("photos")
    if isinstance(photos, list):
        candidates += [
            (f"photos[{i}].image", p.get("image")) for i, p in enumerate(photos) if isinstance(p, dict)
        ]
    for name in ("client_signature", "technician_signature"):
        signature = payload.get(name)
        if isinstance(signature, dict):
            candidates.append((f"{name}.image", signature.get("image")))
    for path, attachment in candidates:
        if (
            isinstance(attachment, dict)
            and set(attachment) == {"file"}
            and isinstance(attachment["file"], str)
        ):
            yield path, attachment


def read_confined(base: Path, reference: str, *, path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``reference`` names inside the folder ``base``.

    Symlinks are resolved and must stay inside ``base``; absolute paths and ``..`` that
    leave it are refused, as are devices, pipes and folders. The size is checked on the
    opened file before anything is read (``O_NOFOLLOW``: the file checked is the file
    read; ``O_NONBLOCK``: a pipe cannot hang the ingest). Raises :class:`CaptureError`:
    ``attachment_file_missing``, ``attachment_outside_folder``, ``attachment_not_a_file``,
    ``photo_too_large`` or ``attachment_file_unreadable``. ``path`` is the field path.
    """
    missing = CaptureError(
        "attachment_file_missing",
        "the referenced file does not exist next to the submission; paths are relative to the JSON file",
        path,
    )
    try:
        root = base.resolve(strict=True)
        real = (root / reference).resolve(strict=True)
    except FileNotFoundError:
        raise missing from None
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte…
        raise _unreadable(path, exc) from None
    if real == root or not real.is_relative_to(root):
        raise CaptureError("attachment_outside_folder", MESSAGES["attachment_outside_folder"][0], path)
    try:
        if not stat.S_ISREG(real.stat().st_mode):
            raise CaptureError("attachment_not_a_file", MESSAGES["attachment_not_a_file"][0], path)
        descriptor = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise missing from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with os.fdopen(descriptor, "rb", buffering=0) as file:
        opened = os.fstat(file.fileno())
        if not stat.S_ISREG(opened.st_mode):  # swapped between the check and the open
            raise CaptureError("attachment_not_a_file", MESSAGES["attachment_not_a_file"][0], path)
        too_large = CaptureError(
            "photo_too_large",
            f"the file is larger than the {format_bytes(max_bytes)} accepted per photo; "
            "resize it or raise QUITUS_PHOTO_MAX_BYTES",
            path,
        )
        if opened.st_size > max_bytes:
            raise too_large
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise _unreadable(path, exc) from None
    if len(data) > max_bytes:
        raise too_large
    return data


def _unreadable(path: str, exc: BaseException) -> CaptureError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
    return CaptureError("attachment_file_unreadable", f"cannot read the referenced file ({reason})", path)
