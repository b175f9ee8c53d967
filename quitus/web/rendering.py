"""Rendering the pages: the Jinja2 environment, French labels and the response headers.

Every page is sent with ``Cache-Control: no-store`` (a shared tablet must not keep a
client's report in its cache), a Content-Security-Policy that admits only this
server's own scripts and styles (no inline script, nothing from the internet), and
``Referrer-Policy: no-referrer`` (a portal link never leaks through a Referer header).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from quitus.api.auth import csrf_token_for, session_token
from quitus.api.context import ApiContext
from storage.access_store import Principal, Role

__all__ = [
    "ACTION_LABELS",
    "CHANNEL_LABELS",
    "CHECKLIST_LABELS",
    "PAGE_HEADERS",
    "PAGE_ROLES",
    "ROLE_HOME",
    "ROLE_LABELS",
    "STATE_LABELS",
    "STATIC_DIR",
    "hashed_static_name",
    "render",
    "static_url",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

PAGE_HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

ROLE_LABELS: Mapping[Role, str] = {
    Role.TECHNICIAN: "technicien",
    Role.COMPLIANCE: "conformité",
    Role.AUDITOR: "auditeur",
    Role.ADMIN: "administrateur",
    Role.PLANNER: "planification",
}

ROLE_HOME: Mapping[Role, str] = {
    Role.TECHNICIAN: "/technicien",
    Role.COMPLIANCE: "/conformite",
    Role.AUDITOR: "/audit",
    Role.ADMIN: "/audit",
    Role.PLANNER: "/planning",
}

PAGE_ROLES: Mapping[str, frozenset[Role]] = {
    # The roles the API admits for what each page shows and does (quitus.api.roles).
    "/technicien": frozenset({Role.TECHNICIAN}),
    "/conformite": frozenset({Role.COMPLIANCE}),
    "/audit": frozenset({Role.AUDITOR, Role.COMPLIANCE, Role.ADMIN}),
    "/entreprise": frozenset({Role.ADMIN}),
    "/planning": frozenset({Role.PLANNER}),
}

STATE_LABELS: Mapping[str, tuple[str, str]] = {
    # state: (French label, badge style)
    "captured": ("reçu", ""),
    "validated": ("validé", ""),
    "redacted": ("données personnelles traitées", ""),
    "rendered": ("mis en page", ""),
    "signed": ("scellé", ""),
    "archived": ("archivé", "ok"),
    "rejected": ("refusé", "bad"),
    "erased": ("effacé", "warn"),
}

ACTION_LABELS: Mapping[str, str] = {
    "anonymize": "anonymiser",
    "delete": "supprimer",
    "review": "à examiner",
}

CHECKLIST_LABELS: Mapping[str, str] = {
    "fait": "Fait",
    "non_fait": "Non fait",
    "non_applicable": "Non applicable",
    "anomalie": "Anomalie",
}

CHANNEL_LABELS: Mapping[str, str] = {
    "contrat": "Contrat d'entretien",
    "telephone": "Téléphone",
    "email": "E-mail",
    "portail": "Portail client",
    "sur_site": "Sur site",
}

_NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/technicien", "Technicien"),
    ("/conformite", "Conformité"),
    ("/audit", "Audit"),
    ("/entreprise", "Entreprise"),
    ("/planning", "Planning"),
)

PARIS = ZoneInfo("Europe/Paris")
_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def french_duration(iso: str) -> str:
    """``P10Y`` → ``10 ans``, ``P1Y6M`` → ``1 an et 6 mois`` (an ISO 8601 period of a policy)."""
    match = _PERIOD.fullmatch(iso)
    if not match or not any(match.groups()):
        return iso
    names = (("an", "ans"), ("mois", "mois"), ("semaine", "semaines"), ("jour", "jours"))
    parts = [
        f"{int(n)} {names[i][int(n) > 1]}" for i, n in enumerate(match.groups()) if n is not None and int(n)
    ]
    return " et ".join(parts) if parts else iso


def paris_time(moment: dt.datetime, layout: str = "%d/%m/%Y %H:%M") -> str:
    """A stored instant (UTC; naive from SQLite) as Paris wall-clock time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(PARIS).strftime(layout)


def static_url(name: str) -> str:
    """The address of static file ``name`` under its content-hashed name:
    ``static_url("quitus.css")`` → ``/static/quitus.3f9a0c1d2e4b.css``.

    Every page refers to its CSS and scripts through it (``{{ static_url('api.js') }}``), so
    that the browser keeps them for a year without asking (:mod:`quitus.web.assets` serves
    them ``immutable``) and an upgrade, which changes their content, changes their names.
    """
    return f"/static/{hashed_static_name(name)}"


def hashed_static_name(name: str) -> str:
    """``quitus.css`` → ``quitus.3f9a0c1d2e4b.css``: the first 12 hex digits of its SHA-256."""
    path = STATIC_DIR / name
    stat = path.stat()  # a missing file is a developer's error: the page would not work
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{_content_digest(name, stat.st_mtime_ns, stat.st_size)}{dot}{extension}"


@lru_cache(maxsize=64)
def _content_digest(name: str, mtime_ns: int, size: int) -> str:
    """Cached per version of the file (its modification time and size)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


templates = Jinja2Templates(directory=TEMPLATE_DIR)
templates.env.filters.update(duree=french_duration, heure_paris=paris_time)
templates.env.globals.update(
    static_url=static_url,
    STATE_LABELS=STATE_LABELS,
    ACTION_LABELS=ACTION_LABELS,
    ROLE_LABELS=ROLE_LABELS,
)


def render(
    request: Request,
    name: str,
    values: Mapping[str, Any] | None = None,
    *,
    context: ApiContext | None = None,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page, with the navigation and CSRF token of the signed-in ``principal``."""
    token = session_token(request)
    csrf = csrf_token_for(context, token) if context is not None and principal and token else None
    role = principal.role if principal else None
    navigation = [(href, label) for href, label in _NAVIGATION if role in PAGE_ROLES[href]]
    return templates.TemplateResponse(
        request,
        name,
        {
            "principal": principal,
            "csrf_token": csrf,
            "navigation": navigation,
            "current_path": request.url.path,
            **(values or {}),
        },
        status_code=status_code,
        headers=dict(PAGE_HEADERS),
    )
