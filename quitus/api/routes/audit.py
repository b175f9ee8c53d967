"""Audit: the ledger's state, its full verification, and a report's proof bundle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from quitus.api.context import ApiContext, context_of
from quitus.api.params import API_V1, ReportIdPath
from quitus.api.roles import allow
from quitus.wiring import ledger_verifier_key
from storage.access_store import Principal
from storage.blob_kinds import BlobKind
from storage.ledger.verify import verify_ledger
from storage.proofs import export_report_proof
from storage.retention_integrity import check_retention_state
from storage.states import ReportState

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["audit"])

Context = Annotated[ApiContext, Depends(context_of)]


class LedgerStatus(BaseModel):
    origin: str
    size: int
    """Entries in the ledger."""
    verifier_key: str
    """The published key checkpoints are signed with (``ledger.vkey``)."""
    latest_checkpoint: str | None
    """The latest signed checkpoint (C2SP signed note)."""
    latest_checkpoint_size: int | None


class LedgerVerification(BaseModel):
    ok: bool
    entries: int
    checkpoints: int
    blobs_checked: int
    first_bad_entry: int | None
    problems: list[str]
    warnings: list[str]


@router.get("/ledger", name="ledger_status")
def ledger_status(
    principal: Annotated[Principal, Depends(allow("ledger_status"))], context: Context
) -> LedgerStatus:
    """The ledger's size, its verifier key and its latest signed checkpoint."""
    ledger = context.app.ledger
    latest = ledger.latest_checkpoint()
    return LedgerStatus(
        origin=ledger.origin,
        size=ledger.size(),
        verifier_key=ledger_verifier_key(context.settings),
        latest_checkpoint=latest[1] if latest else None,
        latest_checkpoint_size=latest[0] if latest else None,
    )


@router.post("/ledger/verify", name="verify_ledger")
def verify(
    principal: Annotated[Principal, Depends(allow("verify_ledger"))],
    context: Context,
    skip_blobs: Annotated[bool, Query(description="Do not hash the encrypted files (faster).")] = False,
) -> LedgerVerification:
    """Recompute the tree, check every signed checkpoint and (unless skipped) every blob's hash,
    and compare the retention tables (legal holds, review queue, events) with the ledger.

    Takes time on a large ledger; signs nothing (verifying must never bless what it checks).
    """
    settings = context.settings
    result = verify_ledger(
        context.app.ledger, ledger_verifier_key(settings), blob_root=None if skip_blobs else settings.blob_dir
    )
    result.problems.extend(check_retention_state(context.app.store))
    return LedgerVerification(
        ok=result.ok,
        entries=result.entries,
        checkpoints=result.checkpoints,
        blobs_checked=result.blobs_checked,
        first_bad_entry=result.first_bad_entry,
        problems=list(result.problems),
        warnings=list(result.warnings),
    )


@router.get(
    "/reports/{report_id}/proof",
    name="export_proof",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The proof bundle."}},
)
def export_proof(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("export_proof"))],
    context: Context,
    document: Annotated[
        Literal["redacted", "none"],
        Query(description="Include the sealed anonymized PDF (default) or no document."),
    ] = "redacted",
) -> Response:
    """A report's proof of handling: its events, inclusion proofs, signed checkpoint, VERIFY.md.

    Checks offline (``quitus proof verify``). It carries no personal data: the anonymized
    sealed PDF, whose hash the ``seal`` event records (``pdf_redacted_sha256``). The export
    is itself a ledger event naming the caller.
    """
    store = context.store_for(principal)
    documents = {}
    erased = store.get(report_id).state == ReportState.ERASED  # a certificate of disposition stands in
    wanted = document == "redacted" and not erased
    blob_id = store.latest_blob(report_id, BlobKind.PDF_REDACTED) if wanted else None
    if blob_id is not None:
        documents["rapport-anonymise.pdf"] = store.read_blob(report_id, blob_id)
    data = export_report_proof(
        store, report_id, verifier_key=ledger_verifier_key(context.settings), documents=documents
    )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="preuve-{report_id}.zip"'},
    )
