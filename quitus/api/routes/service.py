"""``/api/v1/health`` and ``/api/v1/me``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from quitus.api.params import API_V1
from quitus.api.roles import allow
from storage.access_store import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_V1, tags=["service"])


class Health(BaseModel):
    status: str


class Me(BaseModel):
    handle: str
    role: str


@router.get("/health", name="health")
def health() -> Health:
    """Liveness: answers without a token."""
    return Health(status="ok")


@router.get("/me", name="me")
def me(principal: Annotated[Principal, Depends(allow("me"))]) -> Me:
    """Who the token belongs to, and their role."""
    return Me(handle=principal.handle, role=principal.role.value)
