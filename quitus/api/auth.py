"""Authentication and role checks for the API and the pages.

A caller presents an API token: ``Authorization: Bearer qt_…`` for the API, or the
HttpOnly session cookie the login page sets for the web pages. ``require(...)`` names
the roles an endpoint admits; the role × endpoint matrix is tested exhaustively.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from quitus.api.context import ApiContext, context_of
from storage.access_store import Principal, Role

__all__ = ["SESSION_COOKIE", "optional_principal", "require"]

SESSION_COOKIE = "quitus_session"


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(SESSION_COOKIE)


def optional_principal(
    request: Request, context: Annotated[ApiContext, Depends(context_of)]
) -> Principal | None:
    """The caller, or None when no valid token was presented."""
    token = _presented_token(request)
    return context.access.authenticate(token) if token else None


def require(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller, who must hold one of ``roles`` (401 without a valid token, else 403)."""
    admitted = frozenset(roles)

    def dependency(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a valid API token is required: Authorization: Bearer qt_… (`quitus tokens create`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in admitted:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role} may not do this (needs {', '.join(sorted(admitted))})",
            )
        return principal

    dependency.admitted_roles = admitted  # type: ignore[attr-defined]  # read by the role-matrix test
    return dependency
