"""The installable app: what a tablet needs to open the capture form without a network.

* ``/sw.js`` — the service worker (``static/sw.js``), served from the root so that its
  scope covers the technician's pages (``Service-Worker-Allowed: /``), revalidated at
  every visit (``Cache-Control: no-cache``) so a new version is picked up at once;
* ``/manifest.webmanifest`` and its icons (PNG drawn with Pillow when first asked for):
  the browser offers to install quitus as an app that opens on ``/technicien``;
* ``/technicien/hors-ligne`` — the *app shell*: the URLs the service worker keeps in
  Cache Storage (the template chooser, the technician's week of planned visits — ids,
  numbers, days and slots: never a visit's plan —, one form per template, the CSS and
  scripts under the content-hashed names the pages load,
  :func:`quitus.web.rendering.static_url`) and a version that changes when any of them
  does. Never an API answer, never a status page: nothing a technician typed is in Cache
  Storage (drafts live in IndexedDB, see ``static/drafts.js``);
* ``/technicien/session`` — whether the session still holds and the CSRF token that goes
  with it, asked just before a queued report is sent (the token in a page kept offline
  may belong to an earlier session).
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, Response

from quitus import __version__
from quitus.api.auth import csrf_token_for, session_token
from quitus.api.context import ApiContext, context_of
from quitus.web.pages import Technician, page_user
from quitus.web.rendering import PAGE_ROLES, STATIC_DIR, static_url
from storage.access_store import Principal

__all__ = ["ICON_SIZES", "SHELL_STATIC_FILES", "router"]

router = APIRouter(include_in_schema=False)

ICON_SIZES = (192, 512)
"""The icon sizes a browser asks for before it offers to install the app."""
ICON_URL = "/icones/quitus-{size}.png"
SHELL_STATIC_FILES = (
    "quitus.css",
    "api.js",
    "signature-pad.js",
    "drafts.js",
    "outbox.js",
    "capture.js",
    "offline.js",
)
"""The static files the technician's pages load (all of them are kept for offline use)."""
WEEK_URL = "/technicien/semaine"
"""The technician's week (this week's visits): kept, so that the day's visits are known offline."""
NAVY = (11, 31, 68)
NO_STORE = {"Cache-Control": "no-store"}

Context = Annotated[ApiContext, Depends(context_of)]
MaybeTechnician = Annotated[Principal | None, Depends(page_user(*PAGE_ROLES["/technicien"], optional=True))]


@router.get("/sw.js")
def service_worker() -> Response:
    return Response(
        (STATIC_DIR / "sw.js").read_bytes(),
        media_type="text/javascript",
        headers={
            "Service-Worker-Allowed": "/",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/manifest.webmanifest")
def manifest(context: Context) -> JSONResponse:
    company = context.app.settings.company_name
    return JSONResponse(
        {
            "name": f"quitus — rapports d'intervention{f' · {company}' if company else ''}",
            "short_name": "quitus",
            "description": "Saisie des rapports d'intervention, même sans réseau.",
            "lang": "fr",
            "start_url": "/technicien",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b1f44",
            "icons": [
                {
                    "src": ICON_URL.format(size=size),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in ICON_SIZES
            ],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/icones/quitus-{size}.png")
def icon(size: int) -> Response:
    if size not in ICON_SIZES:
        return Response(status_code=status.HTTP_404_NOT_FOUND)
    return Response(
        icon_png(size), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


@lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size: int) -> bytes:
    """A white check mark on navy: drawn within the centre 80 % (the safe zone of a maskable icon)."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (only when an icon is first asked for)

    image = Image.new("RGB", (size, size), NAVY)
    draw = ImageDraw.Draw(image)
    u = size / 100
    draw.line(
        [(28 * u, 52 * u), (44 * u, 68 * u), (73 * u, 34 * u)],
        fill=(255, 255, 255),
        width=max(2, round(10 * u)),
        joint="curve",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@router.get("/technicien/hors-ligne")
def offline_shell(context: Context, principal: Technician) -> JSONResponse:
    templates = list(context.app.catalog)
    urls = [
        "/technicien",
        WEEK_URL,  # ids, numbers, days and slots only: a visit's plan is never kept
        *(f"/technicien/formulaire/{template.id}" for template in templates),
        *(static_url(name) for name in SHELL_STATIC_FILES),  # the names the pages load
        "/static/quitus.css",  # the service worker's own offline page uses the plain name
        "/manifest.webmanifest",
        *(ICON_URL.format(size=size) for size in ICON_SIZES),
    ]
    return JSONResponse({"version": shell_version(context, principal), "urls": urls}, headers=NO_STORE)


def shell_version(context: ApiContext, principal: Principal) -> str:
    """Changes when a page of the shell would: a static file, a template, the company name,
    or the technician (a form shows who is signed in: another technician on the same
    tablet gets the forms again, with their own identifier)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(principal.handle.encode() + b"\0")
    for name in SHELL_STATIC_FILES:
        digest.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes())
    for template in context.app.catalog:
        digest.update(template.model_dump_json().encode())
    digest.update((context.app.settings.company_name or "").encode())
    return digest.hexdigest()[:16]


@router.get("/technicien/session")
def session_probe(request: Request, context: Context, principal: MaybeTechnician) -> JSONResponse:
    token = session_token(request)
    if principal is None or token is None:
        return JSONResponse({"signed_in": False}, status_code=status.HTTP_401_UNAUTHORIZED, headers=NO_STORE)
    body: dict[str, Any] = {
        "signed_in": True,
        "handle": principal.handle,
        "csrf_token": csrf_token_for(context, token),
    }
    return JSONResponse(body, headers=NO_STORE)
