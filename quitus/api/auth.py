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

**Failed sign-ins are throttled** (:class:`SignInThrottle`, in this process): once a
client address — or a token prefix — has presented :data:`MAX_FAILED_SIGN_INS` distinct
wrong tokens within :data:`SIGN_IN_WINDOW_SECONDS`, every token it presents is answered
``429 too_many_failed_sign_ins`` with ``Retry-After`` until the oldest failure leaves the
window. The same wrong token again (a client retrying with an expired token) is not a new
guess and is not counted. The address is the TCP peer's: behind a reverse proxy, have the
server take it from the proxy's header (``uvicorn --proxy-headers --forwarded-allow-ips``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status

from quitus.api.context import ApiContext, context_of
from quitus.api.hardening import PRINCIPAL_STATE_KEY
from storage.access_store import Principal, Role

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "MAX_FAILED_SIGN_INS",
    "SESSION_COOKIE",
    "SIGN_IN_WINDOW_SECONDS",
    "SignInThrottle",
    "authenticate_throttled",
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
MAX_FAILED_SIGN_INS = 10
"""Distinct wrong tokens a client address (or a token prefix) may present per window."""
SIGN_IN_WINDOW_SECONDS = 60.0
_TOKEN_PREFIX_CHARS = 8
"""A token's prefix (after ``qt_``) that failures are also counted under."""


class SignInThrottle:
    """Failed sign-ins per key (a client address, a token prefix) over a sliding window.

    In memory, bounded (:attr:`max_keys` keys, the least recently failed forgotten first);
    a wrong token is held as a digest only, for counting it once. Thread-safe: FastAPI runs
    the authentication dependency in its thread pool.
    """

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILED_SIGN_INS,
        window_seconds: float = SIGN_IN_WINDOW_SECONDS,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, keys: Sequence[str]) -> int:
        """Seconds until any of ``keys`` may sign in again (0: now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                seen = self._recent(key, now)
                if len(seen) >= self.max_failures:
                    wait = max(wait, min(seen.values()) + self.window_seconds - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, keys: Sequence[str], token: str) -> None:
        """Count a wrong ``token`` under each of ``keys`` (once per distinct token)."""
        now = self._clock()
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        with self._lock:
            for key in keys:
                seen = self._recent(key, now)
                seen[digest] = now
                self._failures[key] = seen
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def _recent(self, key: str, now: float) -> dict[str, float]:
        seen = self._failures.get(key, {})
        return {d: t for d, t in seen.items() if now - t < self.window_seconds}


_THROTTLE_LOCK = threading.Lock()


def _throttle(request: Request) -> SignInThrottle:
    """The application's throttle (one per app, made on first use)."""
    state = request.app.state
    with _THROTTLE_LOCK:
        throttle = getattr(state, "sign_in_throttle", None)
        if throttle is None:
            throttle = SignInThrottle()
            state.sign_in_throttle = throttle
    return throttle


def _throttle_keys(request: Request, token: str) -> list[str]:
    address = request.client.host if request.client is not None else "unknown"
    prefix = token.removeprefix("qt_")[:_TOKEN_PREFIX_CHARS]
    return [f"address:{address}", f"prefix:{prefix}"]


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
    principal = authenticate_throttled(request, context, token) if token else None
    if principal is not None and token is not None:
        _check_csrf(request, context, token, csrf)
    if principal is not None:
        setattr(request.state, PRINCIPAL_STATE_KEY, principal.handle)  # for the access log
    return principal


def authenticate_throttled(request: Request, context: ApiContext, token: str) -> Principal | None:
    """The token's principal (None for a wrong one, which is counted), unless this client has
    presented too many wrong tokens of late: then ``429`` with ``Retry-After``. Every sign-in
    goes through it: the API's tokens and the sign-in page's form alike."""
    throttle = _throttle(request)
    keys = _throttle_keys(request, token)
    wait = throttle.retry_after(keys)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail={
                "code": "too_many_failed_sign_ins",
                "message": f"too many wrong tokens from this client of late; try again in {wait} s",
                "hint": "check the token you send (`quitus tokens list` shows yours)",
            },
            headers={"Retry-After": str(wait)},
        )
    principal = context.access.authenticate(token)
    if principal is None:
        throttle.failed(keys, token)
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
