"""Data-subject requests: access and portability (Art. 15, 20), erasure (Art. 17).

The person is named in the request **body** (never in the URL, which proxies log); the
values are only used to compute blind-index digests and are not stored or logged. Every
request, found or not, is entered in the register of requests (a ``subject.request``
ledger entry naming the officer; its id is in the ``X-Quitus-Request`` header).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import INVALID_POLICIES, error_responses
from quitus.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, begin, canonical, replayed
from quitus.api.params import API_V1
from quitus.api.roles import allow
from quitus.api.routes.retention import SubjectTerms
from retention.subjects import erase_subject, export_subject, register_request
from storage.access_store import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["data subjects"])

Context = Annotated[ApiContext, Depends(context_of)]


_SUBJECT_ERRORS = error_responses(INVALID_POLICIES, {409: ("subject_index_outdated",)})


class ErasureRequest(SubjectTerms):
    confirm: Literal[True]
    """Must be true: erasure destroys the data for good, backups included."""


class ErasureOutcomeOut(BaseModel):
    report_id: str
    result: Literal["erased", "restricted", "already_erased"]
    explanation: str


class ErasureOut(BaseModel):
    request: str
    """The request's id in the register of requests."""
    reports: int
    outcomes: list[ErasureOutcomeOut]


@router.post(
    "/subjects/export",
    name="subject_export",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "subject.json (Art. 15 and 20), resume.html (in French) and the images.",
        },
        **_SUBJECT_ERRORS,
    },
)
def subject_export(
    body: SubjectTerms, principal: Annotated[Principal, Depends(allow("subject_export"))], context: Context
) -> Response:
    """A person's access answer (a zip), other people redacted; the request and each report
    given are recorded, naming who."""
    store = context.store_for(principal)
    request = register_request(store, "access", body.terms())
    data = export_subject(store, context.app.policies(), request, redactor=context.app.subject_redactor())
    context.app.ledger.checkpoint()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="personne.zip"',
            "X-Quitus-Reports": str(len(request.report_ids)),
            "X-Quitus-Request": request.id,
        },
    )


@router.post(
    "/subjects/erase",
    name="subject_erase",
    responses=error_responses(INVALID_POLICIES, {409: ("subject_index_outdated",)}, IDEMPOTENCY_ERRORS),
)
def subject_erase(
    body: ErasureRequest,
    principal: Annotated[Principal, Depends(allow("subject_erase"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ErasureOut:
    """Erase a person's reports where allowed; where the law keeps them, restrict and say until when.

    With an ``Idempotency-Key``, the same request again is answered as the first time (the
    answer holds ids and explanations only) and is not registered again.
    """
    with begin(
        context, principal, "subject_erase", idempotency_key, canonical(request.url.path, body)
    ) as once:
        if once.replay is not None:
            return replayed(response, once.replay, ErasureOut.model_validate(once.replay.answer))
        store = context.store_for(principal)
        registered = register_request(store, "erasure", body.terms())
        ids = list(registered.report_ids)
        outcomes = (
            erase_subject(
                store,
                context.app.policies(),
                ids,
                clock=context.app.clock(),
                sealer=context.app.certificate_sealer(),
            )
            if ids
            else []
        )
        context.app.ledger.checkpoint()
        answer = ErasureOut(
            request=registered.id,
            reports=len(ids),
            outcomes=[
                ErasureOutcomeOut(report_id=o.report_id, result=o.result, explanation=o.explanation)
                for o in outcomes
            ],
        )
        once.record(200, answer.model_dump(mode="json"))
    return answer
