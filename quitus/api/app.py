"""The FastAPI application: API under ``/api/v1``, OpenAPI at ``/docs``, web pages at ``/``.

``create_app`` assembles it: the request guard (size limit, security headers, access
log, last-resort 500 — :mod:`quitus.api.hardening`) inside the request id
(:mod:`quitus.api.request_ids`), the checkpoint that signs what a
request recorded (:mod:`quitus.api.checkpoints`), the error handlers
(:mod:`quitus.api.errors`), and one router per area (:mod:`quitus.api.routes`), each
endpoint admitting the roles :mod:`quitus.api.roles` gives it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from quitus.api.checkpoints import SignRecordedEvents
from quitus.api.context import ApiContext
from quitus.api.errors import install_error_handlers
from quitus.api.hardening import RequestGuard
from quitus.api.head import HeadAsGet
from quitus.api.openapi import install_openapi
from quitus.api.request_ids import RequestIds
from quitus.api.routes import ROUTERS
from quitus.settings import Settings
from storage.access_store import AccessStore

__all__ = ["create_app"]

_DESCRIPTION = """\
Capture intervention reports and follow them; retention policies, legal holds, the
disposition plan and review queue; data-subject requests; the audit ledger and proof
bundles; client-portal links.

Authenticate with `Authorization: Bearer qt_…` (`quitus tokens create HANDLE`; the
`bearerToken` scheme), or the web pages' session cookie (`sessionCookie`). Each endpoint
admits some roles (technician, compliance, auditor, admin, planner), named in its description.
Every error is an `ErrorBody`: RFC 9457 problem details (`application/problem+json`:
`type`, `title`, `status`, `detail`, `instance`) with a stable `code`, `where`, `hint` and
`problems`; it never quotes a submitted value; each operation lists its statuses and codes.
Unsafe requests take an `Idempotency-Key`; lists are paged by `limit` and `cursor`.
"""


def create_app(settings: Settings) -> FastAPI:
    """The application for an initialized installation (``quitus init`` first)."""

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        from quitus.wiring import open_app  # noqa: PLC0415

        opened = open_app(settings)
        api.state.quitus = ApiContext(opened, AccessStore(opened.store))
        try:
            yield
        finally:
            opened.close()

    api = FastAPI(
        title="quitus",
        summary="Intervention reports: capture, retention, audit — GDPR-aware.",
        description=_DESCRIPTION,
        version="1",
        lifespan=lifespan,
        # FastAPI's own telemetry would export request bodies and exception messages.
        telemetry={"logs": False, "tracing": False},
        generate_unique_id_function=_operation_id,
    )
    api_routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    api.add_middleware(SignRecordedEvents)  # inside the guard: its 500 covers a failure to sign
    api.add_middleware(HeadAsGet, routes=api_routes)
    api.add_middleware(RequestGuard, max_body_bytes=settings.max_request_bytes)
    api.add_middleware(RequestIds)  # outermost: the access log and a 500's log carry the request's id
    install_error_handlers(api)
    for router in ROUTERS:
        api.include_router(router)  # each router carries its /api/v1 prefix: the access log shows it
    from quitus.api.metrics import router as metrics_router  # noqa: PLC0415 - /metrics, for Prometheus

    api.include_router(metrics_router)
    # The web pages (quitus.web) are included below: their router and their static files.
    from quitus.web import mount_web  # noqa: PLC0415 - web pages and /static (quitus/web)

    mount_web(api)
    install_openapi(api, api_routes)
    return api


def _operation_id(route: APIRoute) -> str:
    """The route's name (``list_holds``): what a generated client calls its method."""
    return route.name
