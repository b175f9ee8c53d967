"""What a request handler reaches: the opened installation and its access store."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from quitus.wiring import App
from storage.access_store import AccessStore

__all__ = ["ApiContext", "context_of"]


@dataclass
class ApiContext:
    app: App
    access: AccessStore


def context_of(request: Request) -> ApiContext:
    """FastAPI dependency: the context opened at start-up (see ``create_app``)."""
    context: ApiContext = request.app.state.quitus
    return context
