"""Authentication and role checks for the API and the pages.

A caller presents an API token: ``Authorization: Bearer qt_…`` for the API, or the
HttpOnly session cookie the login page sets for the web pages. ``require(...)`` names
the roles an endpoint admits; :mod:`quitus.api.roles` says which endpoint admits which
roles, and the role × endpoint matrix is tested exhaustively.

A browser sends the cookie by itself, so a request authenticated by the cookie with an
unsafe method (POST, PUT, PATCH, DELETE) must also carry a CSRF token: the
``X-CSRF-Token`` header, or a ``csrf_token`` field of a URL-encoded form. The token is an
HMAC of the session token under a key derived from the installation's index key: no
server-side state, and a new one at every sign-in. A Bearer call needs none (no browser
adds that header on its own).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status

from quitus.api.context import ApiContext, context_of
from quitus.api.hardening import PRINCIPAL_STATE_KEY
from storage.access_store import Principal, Role

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "clear_session_cookie",
    "csrf_token_for",
    "optional_principal",
    "require",
    "session_token",
    "set_session_cookie",
]

SESSION_COOKIE = "quitus_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPE = "application/x-www-form-urlencoded"


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(SESSION_COOKIE)


# -- session cookie and CSRF (the web pages) ------------------------------------------------


def _has_bearer(request: Request) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value)


def session_token(request: Request) -> str | None:
    """The API token the session cookie carries (None without the cookie)."""
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_token_for(context: ApiContext, token: str) -> str:
    """The CSRF token that goes with a session token (what the pages embed)."""
    key = hmac.new(context.access.store.keys.index_key, b"quitus-csrf-v1", hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


async def presented_csrf_token(request: Request) -> str | None:
    """The CSRF token sent with an unsafe cookie request: the header, else the form field.

    Only a URL-encoded form is read here (the pages' plain forms); a JSON or multipart
    request from a page sends the header, and its body is left to the endpoint.
    """
    if request.method not in UNSAFE_METHODS or _has_bearer(request) or not session_token(request):
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == _FORM_TYPE:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def _check_csrf(request: Request, context: ApiContext, token: str, presented: str | None) -> None:
    if _has_bearer(request) or request.method not in UNSAFE_METHODS:
        return
    expected = csrf_token_for(context, token)
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "csrf_refused",
                "message": "missing or wrong CSRF token for a request signed in by the session cookie",
                "hint": f"send the page's token in the {CSRF_HEADER} header, or use Authorization: Bearer",
            },
        )


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """Sign a browser in: the token in an HttpOnly, SameSite=Strict cookie (Secure over https)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


# -- the caller ----------------------------------------------------------------------------


def optional_principal(
    request: Request,
    context: Annotated[ApiContext, Depends(context_of)],
    csrf: Annotated[str | None, Depends(presented_csrf_token)] = None,
) -> Principal | None:
    """The caller, or None when no valid token was presented.

    Raises 403 when a valid session cookie signs an unsafe request without its CSRF token.
    """
    token = _presented_token(request)
    principal = context.access.authenticate(token) if token else None
    if principal is not None and token is not None:
        _check_csrf(request, context, token, csrf)
    if principal is not None:
        setattr(request.state, PRINCIPAL_STATE_KEY, principal.handle)  # for the access log
    return principal


def require(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller, who must hold one of ``roles`` (401 without a valid token, else 403)."""
    admitted = frozenset(roles)

    def dependency(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail={
                    "code": "unauthenticated",
                    "message": "a valid API token is required (none was given, or it is unknown, "
                    "expired or revoked)",
                    "hint": "send Authorization: Bearer qt_… (an administrator runs `quitus tokens create`)",
                },
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in admitted:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={
                    "code": "forbidden_role",
                    "message": f"role {principal.role} may not do this "
                    f"(admitted: {', '.join(sorted(admitted))})",
                    "hint": "docs/api.md gives the role of every endpoint",
                },
            )
        return principal

    dependency.admitted_roles = admitted  # type: ignore[attr-defined]  # read by the role-matrix test
    return dependency
