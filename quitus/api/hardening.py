"""The request guard: body size limit, security headers, access log, last-resort 500.

One pure-ASGI middleware (cheaper than a stack of ``BaseHTTPMiddleware``) that

* refuses a body larger than ``QUITUS_MAX_REQUEST_BYTES`` with ``413`` — at once when
  ``Content-Length`` says so, else as soon as the streamed bytes pass the limit;
* adds security headers to every answer that does not set them itself (CSP
  ``default-src 'self'``, ``nosniff``, ``no-referrer``, ``DENY`` framing,
  ``Cache-Control`` from :func:`cache_control_for`, and HSTS when the request came over
  HTTPS);
* writes one access-log line per request on the ``quitus.api.access`` logger: method,
  **route template** (``/api/v1/reports/{report_id}``, never the raw path nor its query
  string), status, duration and the caller's handle — nothing a client typed;
* answers an unexpected exception with a generic 500 and an error id, logging the
  exception's class and stack but not its message (which may quote personal data);
* makes every redirect's ``Location`` relative (path and query only): Starlette's
  trailing-slash redirect builds an absolute URL from the request's ``Host`` header,
  which the client chooses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quitus.api.errors import PROBLEM_JSON, error_body, internal_error_response

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PRINCIPAL_STATE_KEY",
    "REVALIDATED_PATHS",
    "REVALIDATED_PREFIXES",
    "RequestGuard",
    "access_logger",
    "cache_control_for",
]

access_logger = logging.getLogger("quitus.api.access")

PRINCIPAL_STATE_KEY = "principal_handle"
"""``request.state`` key where authentication leaves the caller's handle for the access log."""

CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Swagger UI (/docs) is loaded by the browser from jsDelivr with an inline bootstrap script;
# those pages hold no data, so they get a policy that lets them work.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_BASE_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_HSTS = "max-age=63072000; includeSubDomains"


REVALIDATED_PREFIXES: tuple[str, ...] = ("/static/",)
"""Paths of files that hold no personal data and change only at an upgrade (CSS, scripts)."""
REVALIDATED_PATHS: frozenset[str] = frozenset({"/sw.js", "/manifest.webmanifest"})
"""Such files served outside ``/static`` (a service worker must be at the root it controls)."""


def cache_control_for(path: str) -> str:
    """The ``Cache-Control`` of an answer to ``path`` (unless the answer sets its own).

    ``no-cache`` for the static files: a browser keeps them and revalidates each use with
    their ``ETag`` (a ``304`` without body), so an upgrade is seen at once and the
    unchanged files are never downloaded again — a long ``max-age`` would need a content
    hash in every URL, and would keep a service worker stale. ``no-store`` for everything
    else: API answers and pages may hold personal data (a shared tablet keeps none).
    """
    if path in REVALIDATED_PATHS or path.startswith(REVALIDATED_PREFIXES):
        return "no-cache"
    return "no-store"


def _too_large_detail(limit: int) -> dict[str, str]:
    return {
        "code": "request_too_large",
        "message": f"the request body is larger than the {limit} bytes this server accepts",
        "hint": "send fewer or smaller photos per request (QUITUS_MAX_REQUEST_BYTES sets the limit)",
    }


def _too_large_body(limit: int) -> dict[str, object]:
    detail = _too_large_detail(limit)
    return error_body(413, detail["code"], detail["message"], hint=detail["hint"])


class RequestGuard:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope.setdefault("state", {})  # shared with the request's copies: authentication writes the handle
        response_status = 0
        csp = _DOCS_POLICY if scope["path"] in _DOCS_PATHS else CONTENT_SECURITY_POLICY
        cache_control = cache_control_for(scope["path"])
        https = scope.get("scheme") == "https"

        async def guarded_send(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in _BASE_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", cache_control)
                headers.setdefault("Content-Security-Policy", csp)
                if https:
                    headers.setdefault("Strict-Transport-Security", _HSTS)
                if "location" in headers:
                    headers["location"] = relative_location(headers["location"])
            await send(message)

        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=_too_large_detail(limit))
            return message

        try:
            if _declared_length(scope) > limit:
                await _send_json(guarded_send, 413, _too_large_body(limit))
                return
            await self.app(scope, limited_receive, guarded_send)
        except Exception as exc:  # the last line of defence: a safe body, a log without the message
            if response_status:
                raise  # the answer is under way: nothing better can be sent
            response = internal_error_response(scope.get("method", ""), scope, exc)
            await response(scope, receive, guarded_send)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                route = scope.get("route")
                access_logger.info(
                    "%s %s %d %.1fms %s",
                    scope.get("method", "-"),
                    getattr(route, "path", "(unmatched)"),
                    response_status,
                    (time.perf_counter() - started) * 1000,
                    scope.get("state", {}).get(PRINCIPAL_STATE_KEY, "-"),
                )


def relative_location(location: str) -> str:
    """``location`` without scheme and host: ``http://evil.example/a/?b`` → ``/a/?b``.

    quitus never redirects off-site, so a host in a ``Location`` only ever comes from the
    request's ``Host`` header. A leading ``//`` (which a browser reads as a host) is collapsed.
    """
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc and not location.startswith("//"):
        return location
    path = "/" + parts.path.lstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return path + query + (f"#{parts.fragment}" if parts.fragment else "")


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _send_json(send: Send, status_code: int, body: dict[str, object]) -> None:
    import json  # noqa: PLC0415 - only on this rare path

    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status_code,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
