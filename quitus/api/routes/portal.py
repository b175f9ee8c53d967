"""Client-portal links: create and withdraw them; the PDF a link opens (no token needed)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import INVALID_POLICIES, REPORT_LOOKUP, ApiError, error_responses
from quitus.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, begin, canonical, replayed
from quitus.api.ownership import reachable_report
from quitus.api.params import API_V1, LinkIdPath, PortalTokenPath, ReportIdPath, StrictBody
from quitus.api.portal import PORTAL_PDF, PortalUnavailableError, open_portal_document, portal_path
from quitus.api.roles import allow
from quitus.api.routes.reports import pdf_response
from retention.access import access_restriction
from storage.access_store import Principal
from storage.states import ReportState

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["client portal"])

Context = Annotated[ApiContext, Depends(context_of)]


class PortalLinkRequest(StrictBody):
    valid_days: int = Field(default=30, ge=1, le=365, description="Days until the link expires.")


class PortalLinkOut(BaseModel):
    link_id: str
    """What to give ``DELETE /api/v1/portal-links/{link_id}`` to withdraw it."""
    path: str
    """The page the client opens: ``/portail/<token>`` (the token is the credential: for the client only)."""
    pdf_path: str
    url: str | None
    """The full address when ``QUITUS_PUBLIC_URL`` is set."""
    expires_at: dt.datetime


class Revoked(BaseModel):
    link_id: str
    revoked: bool


@router.post(
    "/reports/{report_id}/portal-links",
    name="create_portal_link",
    status_code=201,
    responses=error_responses(
        REPORT_LOOKUP, INVALID_POLICIES, {409: ("invalid_state", "restricted")}, IDEMPOTENCY_ERRORS
    ),
)
def create_portal_link(
    report_id: ReportIdPath,
    body: PortalLinkRequest,
    principal: Annotated[Principal, Depends(allow("create_portal_link"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PortalLinkOut:
    """An expiring, signed link that shows this one report to its client, without login.

    With an ``Idempotency-Key``, the same request again answers the same link.
    """
    path = request.url.path
    with begin(context, principal, "create_portal_link", idempotency_key, canonical(path, body)) as once:
        if once.replay is not None:
            answer = once.replay.answer
            token = context.access.portal_link_token(answer["link_id"])
            expires_at = dt.datetime.fromisoformat(answer["expires_at"])
            return replayed(response, once.replay, _link_out(context, token, expires_at))
        store = context.app.store
        summary = reachable_report(store, principal, "create_portal_link", report_id)
        if summary.state in (ReportState.ERASED, ReportState.REJECTED):
            raise ApiError(
                409,
                "invalid_state",
                f"report {report_id} is {summary.state.value}: there is no report to show its client",
            )
        if access_restriction(store, context.app.policies(), report_id) is not None:
            raise ApiError(
                409,
                "restricted",
                f"report {report_id}'s personal data is restricted: it cannot be shown through the portal",
            )
        link = context.access.create_portal_link(
            report_id, actor=principal.handle, valid_for=dt.timedelta(days=body.valid_days)
        )
        out = _link_out(context, link.token, link.expires_at)
        # The link's id and expiry, never its token (a credential): a replay signs the id again.
        once.record(201, {"link_id": out.link_id, "expires_at": link.expires_at.isoformat()})
    return out


def _link_out(context: ApiContext, token: str, expires_at: dt.datetime) -> PortalLinkOut:
    path = portal_path(token)
    public = context.settings.public_url
    return PortalLinkOut(
        link_id=token.partition(".")[0],
        path=path,
        pdf_path=PORTAL_PDF.format(token=token),
        url=public.rstrip("/") + path if public else None,
        expires_at=expires_at,
    )


@router.delete(
    "/portal-links/{link_id}",
    name="revoke_portal_link",
    responses=error_responses({404: ("portal_link_invalid",)}),
)
def revoke_portal_link(
    link_id: LinkIdPath,
    principal: Annotated[Principal, Depends(allow("revoke_portal_link"))],
    context: Context,
) -> Revoked:
    """Withdraw a link at once (recorded in the ledger)."""
    context.access.revoke_portal_link(link_id, actor=principal.handle)
    return Revoked(link_id=link_id, revoked=True)


@router.get(
    "/portal/{token}/pdf",
    name="portal_pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The sealed report."},
        **error_responses(
            {
                404: ("portal_link_invalid",),
                409: ("portal_not_ready",),
                410: ("portal_link_expired", "portal_link_revoked", "portal_restricted", "portal_erased"),
            }
        ),
    },
)
def portal_pdf(token: PortalTokenPath, context: Context) -> Response:
    """The sealed PDF a client-portal link shows (no token: the link is the credential)."""
    try:
        document = open_portal_document(context, token)
    except PortalUnavailableError as exc:
        raise ApiError(
            409 if exc.code == "not_ready" else 410,
            f"portal_{exc.code}",
            exc.message,
            hint="ask the company" if exc.code != "not_ready" else "try again later",
        ) from None
    return pdf_response(document.pdf, document.filename)
