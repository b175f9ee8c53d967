"""``/entreprise``: the company's identity, for the administrator (docs/company.md).

What every report, e-mail and portal page names: the administrator keeps it here (or with
``quitus company set``); each change is a ``company.set`` entry in the ledger naming them.

The logo is uploaded here too (``POST /entreprise/logo``, a multipart form), through the
function the CLI's ``--logo`` uses (:func:`storage.company_logo.check_logo`, then
:meth:`storage.company.CompanyStore.update`): PNG or JPEG, at most 1 MiB, checked before
it is decoded, re-encoded as PNG. The form carries the session's CSRF token as its other
forms do; a multipart body is not read by :func:`quitus.api.auth.presented_csrf_token`, so
this route reads it itself, bounded to one file and two fields, before anything else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from quitus.api.auth import CSRF_FIELD, optional_principal, presented_csrf_token, session_token
from quitus.api.context import ApiContext, context_of
from quitus.web.pages import CsrfRefusedError, SignInRequiredError, WrongRoleError, page_user
from quitus.web.rendering import PAGE_ROLES, render
from storage.access_store import Principal
from storage.company import CompanyIdentity
from storage.company_logo import LOGO_MAX_BYTES, check_logo
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


_LOGO_FIELD = "logo"
_MULTIPART = "multipart/form-data"


async def _logo_form_csrf(request: Request) -> str | None:
    """The CSRF token of the logo form: its header, or the field of its multipart body (read
    here, bounded: one file, two fields; the route reads the same parsed form)."""
    presented = await presented_csrf_token(request)
    if presented is not None or request.method != "POST" or not session_token(request):
        return presented
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _MULTIPART:
        return None
    form = await request.form(max_files=1, max_fields=2)
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def _logo_administrator(
    request: Request,
    context: Annotated[ApiContext, Depends(context_of)],
    csrf: Annotated[str | None, Depends(_logo_form_csrf)],
) -> Principal:
    """:func:`~quitus.web.pages.page_user` for the company page's roles, the CSRF token taken
    from the multipart form."""
    try:
        principal = optional_principal(request, context, csrf)
    except HTTPException as exc:
        raise CsrfRefusedError from exc
    if principal is None:
        raise SignInRequiredError
    admitted = frozenset(PAGE_ROLES[COMPANY_PAGE])
    if principal.role not in admitted:
        raise WrongRoleError(principal, admitted)
    return principal


@router.post(COMPANY_PAGE + "/logo")
async def upload_logo(
    request: Request,
    context: Context,
    principal: Annotated[Principal, Depends(_logo_administrator)],
) -> HTMLResponse:
    """Set the logo (the file of the form's ``logo`` field), or remove it (``remove=1``)."""
    form = await request.form(max_files=1, max_fields=2)  # parsed already, with these bounds
    upload, remove = form.get(_LOGO_FIELD), form.get("remove") == "1"
    store = context.app.company()
    store.actor = principal.handle  # the ledger names the administrator who changed it
    try:
        if remove:
            saved = await run_in_threadpool(store.update, remove_logo=True)
        else:
            # No file chosen reads as no image; one byte over the limit says the file is too large.
            data = await upload.read(LOGO_MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
            checked = check_logo(data, where="Logo")
            saved = await run_in_threadpool(store.update, logo=checked)
    except CompanyIdentityError as exc:
        current = await run_in_threadpool(store.current)
        return _page(request, context, principal, current, problem=str(exc), status_code=422)
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
