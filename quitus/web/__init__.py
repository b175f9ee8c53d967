"""The web pages (server-rendered, French, for a tablet) beside the JSON API.

``mount_web(api)`` adds them to the FastAPI application: the pages' router, the
``/static`` files (CSS and the small scripts), the installable app's service worker,
manifest and offline shell (:mod:`quitus.web.offline`), the administrator's company page
(:mod:`quitus.web.company_page`), the planning pages (:mod:`quitus.web.visits_page`) and
the handlers that send a visitor without a session to ``/connexion`` and show a polite 403
page for a wrong role.
"""

from __future__ import annotations

from fastapi import FastAPI

from quitus.web.assets import HashedStaticFiles
from quitus.web.company_page import router as company_router
from quitus.web.offline import router as offline_router
from quitus.web.pages import (
    CsrfRefusedError,
    SignInRequiredError,
    WrongRoleError,
    csrf_refused_page,
    router,
    sign_in_required_page,
    wrong_role_page,
)
from quitus.web.rendering import STATIC_DIR
from quitus.web.visits_page import router as visits_router

__all__ = ["mount_web"]


def mount_web(api: FastAPI) -> None:
    """Serve the web pages and their static files from ``api``."""
    api.include_router(router)
    api.include_router(offline_router)
    api.include_router(company_router)
    api.include_router(visits_router)
    api.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    api.add_exception_handler(SignInRequiredError, sign_in_required_page)
    api.add_exception_handler(WrongRoleError, wrong_role_page)
    api.add_exception_handler(CsrfRefusedError, csrf_refused_page)
