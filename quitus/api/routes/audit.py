"""Audit: the ledger's state, its full verification, and a report's proof bundle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import INVALID_POLICIES, PERSONAL_DATA_READ, REPORT_LOOKUP, ApiError, error_responses
from quitus.api.params import API_V1, JustificationQuery, ReportIdPath
from quitus.api.roles import ENDPOINT_ROLES, allow
from quitus.wiring import ledger_verifier_key
from retention.proof_export import export_proof as export_report_bundle
from storage.access_store import Principal
from storage.ledger.verify import verify_ledger
from storage.state_integrity import check_stored_state

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
    and compare every table that decides or locates (report states, blob pointers, users, tokens,
    portal links, legal holds, review queue, events) with the ledger.

    Takes time on a large ledger; signs nothing (verifying must never bless what it checks).
    """
    settings = context.settings
    result = verify_ledger(
        context.app.ledger, ledger_verifier_key(settings), blob_root=None if skip_blobs else settings.blob_dir
    )
    result.problems.extend(check_stored_state(context.app.store))
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
    responses={
        200: {"content": {"application/zip": {}}, "description": "The proof bundle."},
        **error_responses(REPORT_LOOKUP, PERSONAL_DATA_READ, INVALID_POLICIES, {403: ("forbidden",)}),
    },
)
def export_proof(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("export_proof"))],
    context: Context,
    document: Annotated[
        Literal["redacted", "full", "none"],
        Query(
            description="Include the sealed anonymized PDF (default), the sealed PDF with personal "
            "data (compliance only: a recorded read, restricted reports need a justification), "
            "or no document. An erased report's bundle carries its certificate of disposition."
        ),
    ] = "redacted",
    justification: JustificationQuery = None,
) -> Response:
    """A report's proof of handling: its whole history and the legal holds that covered it, each
    entry proven against the signed checkpoint, and VERIFY.md with verify.sh.

    Checks offline (``quitus proof verify --fingerprint``). The export is itself the bundle's last
    ledger entry, naming the caller and every file of the bundle.
    """
    if document == "full" and principal.role not in ENDPOINT_ROLES["report_pdf_full"]:
        raise ApiError(
            403,
            "forbidden",
            "the sealed PDF with personal data is for the compliance role; ask for document=redacted",
            where="query.document",
        )
    exported = export_report_bundle(
        context.store_for(principal),
        context.app.policies(),
        report_id,
        verifier_key=ledger_verifier_key(context.settings),
        document=document,
        justification=justification,
        certificate_sealer=context.app.certificate_sealer(),
    )
    return Response(
        exported.data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="preuve-{report_id}.zip"'},
    )
