"""Data-subject requests: access and portability (Art. 15, 20), erasure (Art. 17).

The person is named in the request **body** (never in the URL, which proxies log); the
values are only used to compute blind-index digests and are not stored or logged.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.responses import Response

from quitus.api.context import ApiContext, context_of
from quitus.api.params import API_V1
from quitus.api.roles import allow
from quitus.api.routes.retention import SubjectTerms
from retention.subjects import erase_subject, export_subject, find_subject_reports
from storage.access_store import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["data subjects"])

Context = Annotated[ApiContext, Depends(context_of)]


class ErasureRequest(SubjectTerms):
    confirm: Literal[True]
    """Must be true: erasure destroys the data for good, backups included."""


class ErasureOutcomeOut(BaseModel):
    report_id: str
    result: Literal["erased", "restricted", "already_erased"]
    explanation: str


class ErasureOut(BaseModel):
    reports: int
    outcomes: list[ErasureOutcomeOut]


@router.post(
    "/subjects/export",
    name="subject_export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "subject.json and the images."}},
)
def subject_export(
    body: SubjectTerms, principal: Annotated[Principal, Depends(allow("subject_export"))], context: Context
) -> Response:
    """Everything about a person, machine-readable (a zip); each report read is recorded, naming who."""
    store = context.store_for(principal)
    ids = find_subject_reports(store, body.terms())
    data = export_subject(store, ids)
    context.app.ledger.checkpoint()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="personne.zip"',
            "X-Quitus-Reports": str(len(ids)),
        },
    )


@router.post("/subjects/erase", name="subject_erase")
def subject_erase(
    body: ErasureRequest, principal: Annotated[Principal, Depends(allow("subject_erase"))], context: Context
) -> ErasureOut:
    """Erase a person's reports where allowed; where the law keeps them, restrict and say until when."""
    store = context.store_for(principal)
    ids = find_subject_reports(store, body.terms())
    outcomes = erase_subject(store, context.app.policies(), ids, clock=context.app.clock()) if ids else []
    if ids:
        context.app.ledger.checkpoint()
    return ErasureOut(
        reports=len(ids),
        outcomes=[
            ErasureOutcomeOut(report_id=o.report_id, result=o.result, explanation=o.explanation)
            for o in outcomes
        ],
    )
