"""The web pages: sign-in, the technician's capture form, compliance, audit, client portal.

Pages read through the domain functions (templates, planner, holds, review queue,
ledger) and render server-side. Every change a page makes goes through the JSON API
under ``/api/v1`` (``static/actions.js`` and ``static/capture.js`` call it with the
session cookie and the page's CSRF token), so the API's role checks and ledger
attribution apply to the pages too. Nothing personal is ever put in a URL: report ids,
template ids, dates and the portal link's token are the only path or query values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from policies.errors import PolicyError
from quitus.api.auth import (
    authenticate_throttled,
    clear_session_cookie,
    optional_principal,
    presented_csrf_token,
    set_session_cookie,
)
from quitus.api.context import ApiContext, context_of
from quitus.api.ownership import reachable_report, reports_captured_by
from quitus.api.params import REPORT_ID_PATTERN
from quitus.api.portal import PORTAL_PDF, PortalUnavailableError, portal_summary
from quitus.api.roles import ENDPOINT_ROLES
from quitus.web.readings import status_readings
from quitus.web.rendering import (
    CHANNEL_LABELS,
    CHECKLIST_LABELS,
    PAGE_HEADERS,
    PAGE_ROLES,
    ROLE_HOME,
    ROLE_LABELS,
    render,
)
from reports.errors import TemplateError
from reports.mail import french_long_date
from retention.holds import Hold, HoldService
from retention.planner import PlannedDisposition, plan_dispositions
from retention.review import ReviewQueue
from storage.access_store import PortalLinkError, Principal, Role
from storage.errors import ReportNotFoundError
from storage.report_numbers import is_report_number
from storage.report_store import ReportSummary
from storage.retention_vocabulary import HoldScope

__all__ = ["CsrfRefusedError", "SignInRequiredError", "WrongRoleError", "page_user", "router"]

router = APIRouter(include_in_schema=False)

PLAN_ROWS_SHOWN = 200
"""The plan lists this many dispositions; the counts cover all of them."""
REPORT_ID = re.compile(REPORT_ID_PATTERN)
REDACTED_PDF_URL = "/api/v1/reports/{report_id}/pdf/redacted"
"""The sealed PDF a technician may download (the anonymized variant: see quitus.api.roles)."""
FULL_PDF_URL = "/api/v1/reports/{report_id}/pdf/full"
CLEAR_SITE_DATA = '"cache", "storage"'
"""Sent with the sign-out: the browser drops the site's caches, IndexedDB and service worker."""
FINAL_STATES = frozenset({"archived", "rejected", "erased"})
PORTAL_ERRORS: dict[str, tuple[int, str, str]] = {
    # PortalLinkError code: (status, title, explanation)
    "invalid": (
        status.HTTP_404_NOT_FOUND,
        "Lien invalide",
        "Ce lien n'est pas reconnu. Vérifiez qu'il a été copié en entier, ou demandez un "
        "nouveau lien à votre prestataire.",
    ),
    "expired": (
        status.HTTP_410_GONE,
        "Lien expiré",
        "Ce lien a expiré. Demandez un nouveau lien à votre prestataire : le rapport "
        "reste conservé chez lui.",
    ),
    "revoked": (
        status.HTTP_410_GONE,
        "Lien désactivé",
        "Ce lien a été désactivé par votre prestataire. Contactez-le pour obtenir un nouveau lien.",
    ),
}
PORTAL_GONE = "Ce rapport n'est plus disponible : sa durée de conservation est écoulée."
PORTAL_UNAVAILABLE = {
    "erased": PORTAL_GONE,
    "restricted": "Ce rapport n'est plus consultable en ligne. Demandez-en une copie à votre prestataire.",
}


class SignInRequiredError(Exception):
    """A page was asked for without a valid session: the browser goes to ``/connexion``."""


class WrongRoleError(Exception):
    """A signed-in user opened a page their role does not admit (a polite 403 page)."""

    def __init__(self, principal: Principal, admitted: frozenset[Role]) -> None:
        super().__init__(f"role {principal.role} may not open this page")
        self.principal = principal
        self.admitted = admitted


class CsrfRefusedError(Exception):
    """A page's form came without the session's CSRF token (a stale page, or another site)."""


def page_user(*roles: Role, optional: bool = False) -> Callable[..., Principal | None]:
    """Dependency: the signed-in user, who must hold one of ``roles``.

    The pages admit the roles the API admits for what they show (``quitus.api.roles``).
    Without a session the browser goes to ``/connexion`` (or None when ``optional``); a
    wrong CSRF token gets a page saying to reload, not the API's JSON answer.
    """
    admitted = frozenset(roles)

    def dependency(
        request: Request,
        context: Annotated[ApiContext, Depends(context_of)],
        csrf: Annotated[str | None, Depends(presented_csrf_token)],
    ) -> Principal | None:
        try:
            principal = optional_principal(request, context, csrf)
        except HTTPException as exc:
            raise CsrfRefusedError from exc
        if principal is None:
            if optional:
                return None
            raise SignInRequiredError
        if principal.role not in admitted:
            raise WrongRoleError(principal, admitted)
        return principal

    return dependency


Context = Annotated[ApiContext, Depends(context_of)]
Technician = Annotated[Principal, Depends(page_user(*PAGE_ROLES["/technicien"]))]
ComplianceOfficer = Annotated[Principal, Depends(page_user(*PAGE_ROLES["/conformite"]))]
Auditor = Annotated[Principal, Depends(page_user(*PAGE_ROLES["/audit"]))]
LedgerVerifier = Annotated[Principal, Depends(page_user(*ENDPOINT_ROLES["verify_ledger"]))]


def french_date(day: dt.date | None) -> str:
    return french_long_date(day) if day else "—"


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER, headers=dict(PAGE_HEADERS))


# -- sign-in -------------------------------------------------------------------------------


@router.get("/")
def home(principal: Annotated[Principal | None, Depends(optional_principal)]) -> RedirectResponse:
    return _redirect(ROLE_HOME[principal.role] if principal else "/connexion")


@router.get("/connexion")
def sign_in_page(request: Request, context: Context) -> HTMLResponse:
    return render(request, "connexion.html", context=context)


@router.post("/connexion")
def sign_in(request: Request, context: Context, token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not _same_origin(request):
        return render(
            request,
            "connexion.html",
            {"error": "Connexion refusée : le formulaire ne vient pas de ce site."},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    principal = authenticate_throttled(request, context, token.strip()) if token.strip() else None
    if principal is None:
        return render(
            request,
            "connexion.html",
            {"error": "Jeton inconnu, expiré ou révoqué. Vérifiez-le ou demandez-en un nouveau."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    response = _redirect(ROLE_HOME[principal.role])
    set_session_cookie(response, request, token.strip())
    return response


@router.post("/deconnexion")
def sign_out(
    request: Request, _principal: Annotated[Principal | None, Depends(page_user(*Role, optional=True))]
) -> RedirectResponse:
    # The CSRF token of a live session has been checked: another site cannot sign anyone out.
    response = _redirect("/connexion")
    clear_session_cookie(response, request)
    # The tablet forgets what offline capture kept: drafts (IndexedDB), the app shell and the
    # service worker (browsers honour it on https and localhost; static/offline.js also clears).
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def _same_origin(request: Request) -> bool:
    """A browser says where a form comes from; one posted from another site is refused.

    ``Sec-Fetch-Site`` says it directly. ``Origin`` is ``null`` on these pages (their
    ``Referrer-Policy: no-referrer`` hides it), so only a real, different origin counts.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    return origin in {None, "null"} or origin == f"{request.url.scheme}://{request.url.netloc}"


# -- technician ----------------------------------------------------------------------------


@router.get("/technicien")
def technician_home(request: Request, context: Context, principal: Technician) -> HTMLResponse:
    return render(
        request,
        "technicien.html",
        {"templates": list(context.app.catalog)},
        context=context,
        principal=principal,
    )


@router.get("/technicien/formulaire/{template_id}")
def capture_form(request: Request, template_id: str, context: Context, principal: Technician) -> HTMLResponse:
    try:
        template = context.app.catalog.by_id(template_id)
    except TemplateError:
        return _not_found(request, context, principal, "Ce modèle d'intervention n'existe pas.")
    return render(
        request,
        "formulaire.html",
        {
            "template": template,
            # The configured identity, shown read-only: the server sets it in the report anyway.
            "company_name": context.app.company().current().name,
            "checklist_labels": CHECKLIST_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "part_units": ("u", "m", "m2", "kg", "g", "L", "h"),
            "today": dt.date.today().isoformat(),
        },
        context=context,
        principal=principal,
    )


@router.get("/technicien/rapports/{report_id}")
def report_status(request: Request, report_id: str, context: Context, principal: Technician) -> HTMLResponse:
    report = _report_or_none(context, report_id, principal)
    if report is None:
        return _not_found(request, context, principal, "Aucun rapport de votre compte ne porte ce numéro.")
    return render(
        request,
        "statut.html",
        {
            "report": report,
            "template_title": _template_title(context, report.template_id),
            "intervention_date": french_date(report.intervention_date),
            "readings": status_readings(context.app.store, context.app.catalog, report),
            "final": report.state.value in FINAL_STATES,
            "pdf_url": (
                REDACTED_PDF_URL.format(report_id=report.id) if report.state.value == "archived" else None
            ),
        },
        context=context,
        principal=principal,
    )


@router.get("/technicien/rapports")
def my_reports(request: Request, context: Context, principal: Technician) -> HTMLResponse:
    """*Mes rapports*: the reports the technician sent, newest first, with the copy they may read."""
    store = context.app.store
    ids = reports_captured_by(store, principal.handle)
    reports = sorted(store.list_reports(ids=ids, limit=max(len(ids), 1)), key=lambda r: r.id, reverse=True)
    return render(
        request,
        "mes_rapports.html",
        {
            "rows": [
                {
                    "report": report,
                    "title": _template_title(context, report.template_id),
                    "date": french_date(report.intervention_date),
                    "pdf": _readable_copy(principal, report),
                }
                for report in reports
            ]
        },
        context=context,
        principal=principal,
    )


def _readable_copy(principal: Principal, report: ReportSummary) -> tuple[str, str] | None:
    """The sealed PDF ``principal``'s role may download (``quitus.api.roles``), once archived:
    its URL and what it is."""
    if report.state.value != "archived":
        return None
    if principal.role in ENDPOINT_ROLES["report_pdf_full"]:
        return FULL_PDF_URL.format(report_id=report.id), "complet"
    if principal.role in ENDPOINT_ROLES["report_pdf_redacted"]:
        return REDACTED_PDF_URL.format(report_id=report.id), "anonymisé"
    return None


# -- compliance ----------------------------------------------------------------------------


@router.get("/conformite")
def compliance(
    request: Request, context: Context, principal: ComplianceOfficer, date: str | None = None
) -> HTMLResponse:
    errors: list[str] = []
    day = dt.date.today()
    if date:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            errors.append("Date invalide : utilisez le format AAAA-MM-JJ. Le plan ci-dessous est à ce jour.")
    store = context.app.store
    holds = HoldService(store)
    planned: list[PlannedDisposition] = []
    counts: Counter[str] = Counter()
    policies = []
    try:
        policy_set = context.app.policies()
        policies = list(policy_set)
        for item in plan_dispositions(store, policy_set, holds.active(), day):
            counts[
                "held"
                if item.held_by
                else "tampered"
                if item.tampered
                else "review"
                if item.awaiting_review
                else item.action
            ] += 1
            if len(planned) < PLAN_ROWS_SHOWN:
                planned.append(item)
    except PolicyError as exc:
        errors.append(f"Les politiques de conservation ne se chargent pas : {exc}")
    held, reviews = holds.list(), ReviewQueue(store, policy_set).pending()
    # People read report numbers (the id stays in the rows' data and the forms).
    numbers = store.shown_numbers(
        [
            *(item.report_id for item in planned),
            *(item.report_id for item in reviews),
            *(
                i
                for hold in held
                if hold.scope_kind == HoldScope.REPORTS
                for i in hold.scope.get("report_ids", [])
            ),
        ]
    )
    return render(
        request,
        "conformite.html",
        {
            "day": day,
            "day_label": french_date(day),
            "errors": errors,
            "policies": policies,
            "planned": planned,
            "counts": counts,
            "total": sum(counts.values()),
            "holds": [(hold, describe_hold(hold, numbers)) for hold in held],
            "reviews": reviews,
            "numbers": numbers,
            "tomorrow": (dt.date.today() + dt.timedelta(days=1)).isoformat(),
        },
        context=context,
        principal=principal,
    )


def describe_hold(hold: Hold, numbers: Mapping[str, str] | None = None) -> str:
    """What a hold covers, in French, without personal data (a person is never named); its
    reports by ``numbers`` (id → what people read) when given."""
    if hold.scope_kind == HoldScope.REPORTS:
        ids: list[str] = list(hold.scope.get("report_ids", []))
        shown = ", ".join((numbers or {}).get(i, i) for i in ids[:5]) + (
            f" et {len(ids) - 5} autre(s)" if len(ids) > 5 else ""
        )
        return f"{len(ids)} rapport(s) : {shown}"
    if hold.scope_kind == HoldScope.SUBJECT:
        return "tous les rapports d'une personne"
    labels = {
        "template_id": "modèle",
        "client_kind": "type de client",
        "intervention_from": "depuis le",
        "intervention_to": "jusqu'au",
    }
    return "rapports : " + ", ".join(f"{labels.get(k, k)} {v}" for k, v in sorted(hold.scope.items()))


# -- audit ---------------------------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, context: Context, principal: Auditor) -> HTMLResponse:
    return _audit_page(request, context, principal)


@router.post("/audit/verification")
def audit_verify(request: Request, context: Context, principal: LedgerVerifier) -> HTMLResponse:
    from quitus.wiring import ledger_verifier_key  # noqa: PLC0415
    from storage.ledger.verify import verify_ledger  # noqa: PLC0415

    settings = context.app.settings
    # No checkpoint is signed here: verifying must never bless what it is checking.
    result = verify_ledger(context.app.ledger, ledger_verifier_key(settings), blob_root=settings.blob_dir)
    return _audit_page(request, context, principal, verification=result)


def _audit_page(request: Request, context: Context, principal: Principal, **values: object) -> HTMLResponse:
    from quitus.wiring import ledger_verifier_key  # noqa: PLC0415

    ledger = context.app.ledger
    latest = ledger.latest_checkpoint()
    return render(
        request,
        "audit.html",
        {
            "size": ledger.size(),
            "checkpoint_size": latest[0] if latest else None,
            "checkpoint_note": latest[1] if latest else None,
            "verifier_key": ledger_verifier_key(context.app.settings),
            **values,
        },
        context=context,
        principal=principal,
    )


# -- client portal -------------------------------------------------------------------------


@router.get("/portail/{token}")
def portal(request: Request, token: str, context: Context) -> HTMLResponse:
    try:
        summary = portal_summary(context, token)
    except PortalLinkError as exc:
        code, title, text = PORTAL_ERRORS.get(exc.code, PORTAL_ERRORS["invalid"])
        return render(request, "portail.html", {"title": title, "problem": text}, status_code=code)
    except PortalUnavailableError as exc:
        return render(
            request,
            "portail.html",
            {"title": "Rapport indisponible", "problem": PORTAL_UNAVAILABLE.get(exc.code, PORTAL_GONE)},
            status_code=status.HTTP_410_GONE,
        )
    return render(
        request,
        "portail.html",
        {
            "title": "Votre rapport d'intervention",
            "company": context.app.company().current(),
            "company_name": context.app.company().current().name,
            "report_number": context.app.store.get(summary.report_id).shown_number,
            "intervention_date": french_date(summary.intervention_date),
            "intervention_title": _template_title(context, summary.template_id),
            "ready": summary.pdf_ready,
            "pdf_url": PORTAL_PDF.format(token=token),
        },
    )


# -- helpers -------------------------------------------------------------------------------


def _report_or_none(context: ApiContext, reference: str, principal: Principal) -> ReportSummary | None:
    """The report ``reference`` names (its id or its number), or None when it is malformed,
    unknown or not ``principal``'s to see (the same answer for all three)."""
    if not (REPORT_ID.fullmatch(reference) or is_report_number(reference)):
        return None
    try:
        report_id = context.app.store.resolve(reference)
        return reachable_report(context.app.store, principal, "report_status", report_id)
    except ReportNotFoundError:
        return None


def _template_title(context: ApiContext, template_id: str | None) -> str:
    try:
        return context.app.catalog.by_id(template_id).title if template_id else "Intervention"
    except TemplateError:
        return template_id or "Intervention"


def _not_found(request: Request, context: ApiContext, principal: Principal, text: str) -> HTMLResponse:
    return render(
        request,
        "erreur.html",
        {"title": "Introuvable", "text": text},
        context=context,
        principal=principal,
        status_code=status.HTTP_404_NOT_FOUND,
    )


def sign_in_required_page(request: Request, _exc: Exception) -> Response:
    return _redirect("/connexion")


def csrf_refused_page(request: Request, _exc: Exception) -> Response:
    return render(
        request,
        "erreur.html",
        {
            "title": "Action refusée",
            "text": "Cette page n'est plus valable (vous vous êtes reconnecté entre-temps, ou le formulaire "
            "vient d'un autre site). Rechargez la page et recommencez.",
            "home": "/",
        },
        status_code=status.HTTP_403_FORBIDDEN,
    )


def wrong_role_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WrongRoleError)
    needed = ", ".join(sorted(ROLE_LABELS[role] for role in exc.admitted))
    return render(
        request,
        "erreur.html",
        {
            "title": "Accès non autorisé",
            "text": f"Cette page est réservée aux profils : {needed}. Votre profil "
            f"({ROLE_LABELS[exc.principal.role]}) ne permet pas de l'ouvrir.",
            "home": ROLE_HOME[exc.principal.role],
        },
        context=context_of(request),
        principal=exc.principal,
        status_code=status.HTTP_403_FORBIDDEN,
    )
