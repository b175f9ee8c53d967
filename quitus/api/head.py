"""``HEAD`` on the API's reads: the ``GET`` answer's status and headers, without its body.

FastAPI's routes answer only the methods they declare, so ``HEAD /api/v1/health`` (what a
load balancer or an uptime probe sends) was a ``405``. :class:`HeadAsGet` runs a ``HEAD``
as the route's ``GET`` and drops the body — for every ``GET`` under ``/api/v1`` except
the reads that write a ledger entry (:data:`RECORDING_READS`): a ``HEAD`` of a report's
content would record a read of personal data that delivered nothing, so it stays ``405``.

The web pages and ``/static`` answer ``HEAD`` on their own (Starlette's routes and static
files do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RECORDING_READS", "HeadAsGet", "head_answers"]

RECORDING_READS = frozenset(
    {
        "report_content",  # a read of personal data
        "report_pdf_full",  # a read of personal data
        "portal_pdf",  # portal.open
        "report_certificate",  # may issue the certificate's PDF
        "export_proof",  # the export is the bundle's last entry
        "show_visit",  # the plan's read (client, address, access code) is recorded
    }
)
"""``GET`` endpoints that write to the ledger: no ``HEAD`` for them."""


def head_answers(route: APIRoute) -> bool:
    """Whether ``HEAD`` is answered on ``route`` (a ``GET`` that records nothing)."""
    return "GET" in (route.methods or ()) and route.name not in RECORDING_READS


class HeadAsGet:
    """Pure-ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp, *, routes: Iterable[APIRoute]) -> None:
        self.app = app
        self._paths: tuple[re.Pattern[str], ...] = tuple(r.path_regex for r in routes if head_answers(r))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not self._answers(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}  # Content-Length stays the GET's, as HTTP says
            await send(message)

        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, headers_only)
        finally:
            if "route" in inner:  # the access log names the route the GET took
                scope["route"] = inner["route"]

    def _answers(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._paths)
