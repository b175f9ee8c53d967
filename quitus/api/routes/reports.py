"""Reports: capture, list, status and validation errors, content, PDFs.

Capture only persists: the raw submission is stored encrypted and the report waits in
``captured`` for the intake flow (photo sanitizing, validation against its template,
redaction, rendering, sealing, archiving), which ``quitus serve`` runs every few minutes.
What is cheap to see at once (not JSON, not a report, a conflicting submission_id) is
answered at once, as a rejected report with its issues. The answer is ``202 Accepted`` with the report
id and where to follow it; the same submission again answers ``200`` with the same id.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import (
    INVALID_POLICIES,
    PERSONAL_DATA_READ,
    REPORT_LOOKUP,
    ApiError,
    error_responses,
)
from quitus.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, begin, canonical, replayed
from quitus.api.ownership import reachable_report
from quitus.api.pagination import (
    CURSOR_ERRORS,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    encode_cursor,
    next_link,
)
from quitus.api.params import API_V1, JustificationQuery, OffsetQuery, ReportIdPath, ReportReferencePath
from quitus.api.roles import allow
from quitus.api.uploads import read_multipart_submission
from reports.intake import SourceKind, Submission
from retention.access import read_personal_data
from storage.access_store import Principal
from storage.blob_kinds import BlobKind
from storage.report_store import ReceiptKind, ReportSummary
from storage.states import ReportState

__all__ = ["IssueOut", "ReportOut", "router"]

router = APIRouter(prefix=API_V1, tags=["reports"])

Context = Annotated[ApiContext, Depends(context_of)]


class IssueOut(BaseModel):
    """A problem found in a submission: where, a stable code, and what to do (no submitted value)."""

    path: str
    code: str
    message: str
    message_fr: str = ""


class CaptureReceipt(BaseModel):
    report_id: str
    receipt: Literal["new", "duplicate", "correction", "conflict"]
    """new; duplicate (same submission_id and bytes: nothing stored); correction (a rejected
    report resubmitted); conflict (submission_id already used by an accepted report: kept as
    a new rejected report)."""
    state: str
    """``captured`` (waiting for the intake flow) or ``rejected`` (unreadable: see issues)."""
    status_url: str
    issues: list[IssueOut]
    """Problems found at capture (unreadable JSON, schema errors, refused photos); template
    validation happens later, in the intake flow: follow ``status_url``."""


class ReportOut(BaseModel):
    """A report's state and metadata: no personal data."""

    id: str
    number: str | None
    """The readable number (``RI-2026-000123``) once the report is accepted; ``GET
    /reports/{number}`` finds it too."""
    submission_id: str | None
    state: str
    source: str
    template_id: str | None
    client_kind: str | None
    intervention_date: dt.date | None
    outcome: str | None
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    restriction: str | None
    """Why access to its personal data is restricted, when it is (Art. 18, Art. 17(3))."""
    issues: list[IssueOut]
    """Why it was rejected, each with its field path."""

    @classmethod
    def of(cls, summary: ReportSummary) -> ReportOut:
        return cls(
            id=summary.id,
            number=summary.number,
            submission_id=summary.submission_id,
            state=summary.state.value,
            source=summary.source,
            template_id=summary.template_id,
            client_kind=summary.client_kind,
            intervention_date=summary.intervention_date,
            outcome=summary.outcome,
            revision=summary.revision,
            created_at=aware(summary.created_at),
            updated_at=aware(summary.updated_at),
            restriction=summary.restriction_reason,
            issues=[IssueOut(**issue) for issue in summary.issues],
        )


class ReportList(BaseModel):
    reports: list[ReportOut]
    counts: dict[str, int]
    """Reports per state, over the whole installation."""
    next_cursor: str | None = None
    """The ``cursor`` of the next page; ``null`` on the last page."""
    next: str | None = None
    """The next page's address (also in the ``Link: rel="next"`` header); ``null`` on the last."""


class ReportContent(BaseModel):
    report_id: str
    content: dict[str, Any]
    """The parsed report, personal data included (photos and signatures as blob ids)."""


_REPORT_SCHEMA = {"$ref": "#/components/schemas/InterventionReport"}
"""``reports.schema.InterventionReport`` (docs/report.schema.json), a component of the
OpenAPI description (:mod:`quitus.api.openapi`). A body that does not match it is still
kept: it is answered ``202`` as a rejected report with its issues."""
_CAPTURE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": _REPORT_SCHEMA},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["report"],
                "properties": {
                    "report": {
                        "type": "string",
                        "description": "The report (JSON); a photo names its part: "
                        '"image": {"file": "<part name>"}.',
                        "contentMediaType": "application/json",
                        "contentSchema": _REPORT_SCHEMA,
                    }
                },
                "additionalProperties": {
                    "type": "string",
                    "contentMediaType": "application/octet-stream",
                    "description": "A JPEG or PNG the report names by this part's name (checked by content).",
                },
            },
            "encoding": {"report": {"contentType": "application/json"}},
        },
        "application/pdf": {
            "schema": {
                "type": "string",
                "contentMediaType": "application/pdf",
                "description": "A filled quitus PDF form.",
            }
        },
    },
}


@router.post(
    "/reports",
    name="capture_report",
    status_code=202,
    responses={
        200: {
            "model": CaptureReceipt,
            "description": "Already captured (same submission_id and content): the same report.",
        },
        **error_responses(
            {
                413: ("request_too_large", "submission_too_large", "upload_too_large"),
                415: ("unsupported_media_type", "unsupported_upload_type"),
                422: (
                    "empty_body",
                    "invalid_multipart",
                    "missing_report_part",
                    "invalid_report_part",
                    "unexpected_part",
                    "missing_upload",
                    "unreferenced_part",
                    "not_utf8",
                    "duplicate_key",
                    "json_too_deep",
                    "json_too_complex",
                    "capture_refused",
                ),
            },
            IDEMPOTENCY_ERRORS,
        ),
    },
    openapi_extra={"requestBody": _CAPTURE_BODY},
)
async def capture_report(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("capture_report"))],
    context: Context,
    idempotency_key: IdempotencyKey = None,
) -> CaptureReceipt:
    """Capture a report: JSON, multipart (a ``report`` part and its photos), or a filled PDF form.

    Only persists (encrypted) and queues the report for the intake flow. Idempotent on
    ``submission_id``: a retry answers ``200`` with the same report id. With an
    ``Idempotency-Key``, the same request again is answered as the first time (``202`` or
    ``200``, the report as it is now).
    """
    settings = context.settings
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    source: SourceKind = "json"
    if media_type == "application/json" or media_type.endswith("+json"):
        raw = await _body(request)
    elif media_type == "multipart/form-data":
        raw = await read_multipart_submission(
            request,
            max_body_bytes=settings.max_request_bytes,
            max_upload_bytes=settings.photo_max_bytes,
            limits=context.app.intake.limits,
        )
    elif media_type == "application/pdf":
        raw, source = await _body(request), "pdf_form"
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            "a report is sent as application/json, multipart/form-data or application/pdf",
            where="header.content-type",
            hint="set Content-Type; docs/api.md shows each form",
        )
    if not raw:
        raise ApiError(422, "empty_body", "the request has no report in it", where="body")
    if len(raw) > settings.max_submission_bytes:
        raise ApiError(
            413,
            "submission_too_large",
            f"the submission is larger than the {settings.max_submission_bytes} bytes accepted",
            where="body",
            hint="QUITUS_MAX_SUBMISSION_BYTES sets the limit",
        )
    store = context.app.store
    once = await run_in_threadpool(
        begin,
        context,
        principal,
        "capture_report",
        idempotency_key,
        canonical(request.url.path, raw, media_type=source),
    )
    with once:
        if once.replay is not None:
            summary = await run_in_threadpool(store.get, once.replay.answer["report_id"])
            return replayed(response, once.replay, _receipt(summary, once.replay.answer["receipt"]))
        async with context.capture_slots:
            outcome = await run_in_threadpool(context.intake_for(principal).receive, Submission(raw, source))
        if outcome.receipt == ReceiptKind.DUPLICATE:
            response.status_code = 200
        report_id = outcome.report.id
        receipt = CaptureReceipt(
            report_id=report_id,
            receipt=outcome.receipt.value,
            state=outcome.report.state.value,
            status_url=f"{API_V1}/reports/{report_id}",
            issues=[IssueOut(**issue.as_dict()) for issue in outcome.issues],
        )
        await run_in_threadpool(
            once.record, response.status_code or 202, {"report_id": report_id, "receipt": receipt.receipt}
        )
    return receipt


def _receipt(summary: ReportSummary, receipt: str) -> CaptureReceipt:
    """The receipt of a capture answered before, with the report's state and issues now."""
    return CaptureReceipt(
        report_id=summary.id,
        receipt=receipt,  # one of CaptureReceipt's, as it was recorded
        state=summary.state.value,
        status_url=f"{API_V1}/reports/{summary.id}",
        issues=[IssueOut(**issue) for issue in summary.issues],
    )


@router.get(
    "/reports",
    name="list_reports",
    responses=error_responses(CURSOR_ERRORS, {422: ("cursor_with_offset",)}),
)
def list_reports(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("list_reports"))],
    context: Context,
    state: Annotated[ReportState | None, Query(description="Only reports in this state.")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    offset: OffsetQuery = 0,
) -> ReportList:
    """Reports by id (oldest first), with their state and issues, a page at a time. No personal data."""
    if cursor is not None and offset:
        raise ApiError(
            422,
            "cursor_with_offset",
            "give a cursor or an offset, not both",
            where="query.offset",
            hint="follow next_cursor alone (offset is deprecated)",
        )
    after = str(decode_cursor("reports", cursor, (str,))[0]) if cursor is not None else None
    store = context.app.store
    reports = store.list_reports(state=state, limit=limit + 1, offset=offset, after=after)
    next_cursor = encode_cursor("reports", [reports[limit - 1].id]) if len(reports) > limit else None
    counts = {s.value: n for s, n in sorted(store.count_by_state().items())}
    return ReportList(
        reports=[ReportOut.of(r) for r in reports[:limit]],
        counts=counts,
        next_cursor=next_cursor,
        next=next_link(request, response, next_cursor),
    )


@router.get("/reports/{report_id}", name="report_status", responses=error_responses(REPORT_LOOKUP))
def report_status(
    report_id: ReportReferencePath,
    principal: Annotated[Principal, Depends(allow("report_status"))],
    context: Context,
) -> ReportOut:
    """A report's state and, when rejected, its validation errors (path, code, message); by its
    id or its number."""
    store = context.app.store
    return ReportOut.of(reachable_report(store, principal, "report_status", store.resolve(report_id)))


@router.get(
    "/reports/{report_id}/content",
    name="report_content",
    responses=error_responses(REPORT_LOOKUP, PERSONAL_DATA_READ, INVALID_POLICIES),
)
def report_content(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("report_content"))],
    context: Context,
    justification: JustificationQuery = None,
) -> ReportContent:
    """The parsed report with its personal data: a read recorded in the ledger, naming the caller.

    A restricted report (Art. 18, intermediate archiving) needs ``?justification=CODE``.
    """
    data = read_personal_data(
        context.store_for(principal),
        context.app.policies(),
        report_id,
        "content",
        justification=justification,
    )
    return ReportContent(report_id=report_id, content=json.loads(data))


@router.get(
    "/reports/{report_id}/pdf/full",
    name="report_pdf_full",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The sealed PDF."},
        **error_responses(REPORT_LOOKUP, PERSONAL_DATA_READ, INVALID_POLICIES),
    },
)
def report_pdf_full(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("report_pdf_full"))],
    context: Context,
    justification: JustificationQuery = None,
) -> Response:
    """The sealed PDF with personal data: a read recorded in the ledger, naming the caller.

    A restricted report needs ``?justification=CODE``.
    """
    data = read_personal_data(
        context.store_for(principal),
        context.app.policies(),
        report_id,
        "pdf_full",
        justification=justification,
    )
    return pdf_response(data, f"{report_id}.pdf")


@router.get(
    "/reports/{report_id}/pdf/redacted",
    name="report_pdf_redacted",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The sealed anonymized PDF."},
        **error_responses(REPORT_LOOKUP, {409: ("document_unavailable",)}),
    },
)
def report_pdf_redacted(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("report_pdf_redacted"))],
    context: Context,
) -> Response:
    """The sealed anonymized PDF (no personal data; technicians: their own reports)."""
    store = context.app.store
    summary = reachable_report(store, principal, "report_pdf_redacted", report_id)
    blob_id = store.latest_blob(report_id, BlobKind.PDF_REDACTED)
    if blob_id is None:
        raise ApiError(
            409,
            "document_unavailable",
            f"report {report_id} is {summary.state.value}: its PDF exists once it is sealed",
            hint="follow the report's state; the intake flow seals validated reports",
        )
    return pdf_response(store.read_blob(report_id, blob_id), f"{report_id}-anonymise.pdf")


async def _body(request: Request) -> bytes:
    """The request body, held once: ``request.body()`` joins its chunks into a second copy.

    ``BytesIO.getvalue()`` hands over its own buffer, so a 60 MB upload costs 60 MB here,
    not 120 (the guard in :mod:`quitus.api.hardening` bounds its size while it streams).
    """
    buffer = io.BytesIO()
    async for chunk in request.stream():
        buffer.write(chunk)
    return buffer.getvalue()


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
