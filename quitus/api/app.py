"""The FastAPI application: API under ``/api/v1``, OpenAPI at ``/docs``, web pages at ``/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI

from quitus.api.auth import require
from quitus.api.context import ApiContext
from quitus.settings import Settings
from storage.access_store import AccessStore, Principal, Role

__all__ = ["create_app"]

ALL_ROLES = tuple(Role)


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
        version="1",
        lifespan=lifespan,
    )

    @api.get("/api/v1/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: answers without a token."""
        return {"status": "ok"}

    @api.get("/api/v1/me", tags=["service"])
    def me(principal: Annotated[Principal, Depends(require(*ALL_ROLES))]) -> dict[str, str]:
        """Who the token belongs to, and their role."""
        return {"handle": principal.handle, "role": principal.role.value}

    return api
