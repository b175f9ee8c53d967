"""``/entreprise``: the company's identity, for the administrator (docs/company.md).

What every report, e-mail and portal page names: the administrator keeps it here (or with
``quitus company set``); each change is a ``company.set`` entry in the ledger naming them.
The logo is shown here and set with ``quitus company set --logo FILE``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import HTMLResponse

from quitus.api.context import ApiContext, context_of
from quitus.web.pages import page_user
from quitus.web.rendering import PAGE_ROLES, render
from storage.access_store import Principal
from storage.company import CompanyIdentity
from storage.errors import CompanyIdentityError

__all__ = ["COMPANY_PAGE", "router"]

COMPANY_PAGE = "/entreprise"
router = APIRouter(include_in_schema=False)

Context = Annotated[ApiContext, Depends(context_of)]
Administrator = Annotated[Principal, Depends(page_user(*PAGE_ROLES[COMPANY_PAGE]))]
_Field = Annotated[str, Form(max_length=400)]


@router.get(COMPANY_PAGE)
def company_page(request: Request, context: Context, principal: Administrator) -> HTMLResponse:
    return _page(request, context, principal, context.app.company().current())


@router.post(COMPANY_PAGE)
def save_company(
    request: Request,
    context: Context,
    principal: Administrator,
    name: _Field = "",
    legal_form: _Field = "",
    address: _Field = "",
    phone: _Field = "",
    siret: _Field = "",
    attestation: _Field = "",
) -> HTMLResponse:
    store = context.app.company()
    store.actor = principal.handle  # the ledger names the administrator who changed it
    try:
        saved = store.update(
            name=name,
            legal_form=legal_form,
            address=address,
            phone=phone,
            siret=siret,
            attestation=attestation,
        )
    except CompanyIdentityError as exc:
        typed = CompanyIdentity(
            name=name,
            legal_form=legal_form,
            address=address,
            phone=phone,
            siret=siret,
            attestation=attestation,
            logo_sha256=store.current().logo_sha256,
        )
        problem = str(exc).replace("--legal-form", "Forme juridique").replace("--", "")
        return _page(request, context, principal, typed, problem=problem, status_code=422)
    return _page(request, context, principal, saved, saved_revision=saved.revision)


@router.get(COMPANY_PAGE + "/logo")
def company_logo(context: Context, _principal: Administrator) -> Response:
    identity = context.app.company().current()
    if identity.logo_sha256 is None:
        return Response(status_code=status.HTTP_404_NOT_FOUND)
    data = context.app.company().logos.get(identity.logo_sha256)
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


def _page(
    request: Request,
    context: ApiContext,
    principal: Principal,
    identity: CompanyIdentity,
    *,
    status_code: int = 200,
    **values: object,
) -> HTMLResponse:
    return render(
        request,
        "entreprise.html",
        {"identity": identity, **values},
        context=context,
        principal=principal,
        status_code=status_code,
    )
