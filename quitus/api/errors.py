"""Error bodies of the API: what was wrong, where, what to do — never a submitted value.

Every error answer is an RFC 9457 *problem details* object, ``application/problem+json``::

    {"type": "urn:quitus:problem:report_not_found", "title": "Report not found",
     "status": 404, "detail": "no report with this id", "instance": "/api/v1/reports/RI-…",
     "code": "report_not_found", "hint": "…", "where": "…", "problems": [...], "error_id": "…",
     "error": {"code": "report_not_found", "message": "…", "hint": "…"}}

``type`` is a URN, one per ``code`` (it names the problem; it is not a page to fetch);
``title`` is the code in words, the same for every occurrence; ``detail`` says what was
wrong this time; ``instance`` is the request's path — the route's template when the path
holds a credential (a portal link's token), and absent for a path no route matches (it
could be anything the client typed). ``code`` is stable (clients switch on it);
``where``, ``hint``, ``problems`` and ``error_id`` appear when they apply, as extension
members. ``error`` is the body quitus answered before problem details (``code``,
``message``, ``where``, ``hint``, ``problems``, ``error_id``), kept so that the clients
written against it keep working; it is deprecated in the contract.

Domain errors become 4xx answers here, at the boundary; anything unexpected becomes a 500
with an ``error_id`` that the server log names beside the stack (the exception's message
is never logged: it may quote data).

Error mapping::

    RequestValidationError          422 invalid_request (problems: where, code, message)
    HTTPException                   its status; code from its detail, or from the status
    ApiError                        its status and code (raised by the routes)
    ReportNotFoundError             404 report_not_found
    KeyDestroyedError               410 report_erased
    InvalidTransitionError          409 invalid_state
    SubjectIndexOutdatedError       409 subject_index_outdated (a lookup by phone before the re-index)
    PortalLinkError                 404 portal_link_invalid | 410 portal_link_expired / _revoked
    AccessError                     409 access_refused
    RestrictedAccessError           403 justification_required
    DocumentUnavailableError        409 document_unavailable | 410 report_erased
    HoldError / ReviewError         409 hold_refused / review_refused
    RetentionError                  422 retention_refused
    PolicyFileError                 409 invalid_policies (those in force; problems: file and line)
    TemplateError                   404 template_not_found
    CaptureError                    422 capture_refused
    anything else                   500 internal_error (with error_id; see hardening.RequestGuard)

:class:`ErrorBody` is that shape as a model: the one the OpenAPI description declares for
every error status, as ``application/problem+json`` (:func:`error_responses` builds a
route's ``responses=``).
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from policies.errors import PolicyError, PolicyFileError
from reports.errors import CaptureError, ReportsError, TemplateError
from retention.errors import (
    DocumentUnavailableError,
    HoldError,
    RestrictedAccessError,
    RetentionError,
    ReviewError,
)
from storage.access_store import AccessError, PortalLinkError
from storage.errors import (
    InvalidTransitionError,
    KeyDestroyedError,
    ReportNotFoundError,
    StorageError,
    SubjectIndexOutdatedError,
)

__all__ = [
    "API_PREFIX",
    "INVALID_POLICIES",
    "PERSONAL_DATA_READ",
    "PROBLEM_JSON",
    "PROBLEM_TYPE_PREFIX",
    "REPORT_LOOKUP",
    "ApiError",
    "ErrorBody",
    "ErrorCodes",
    "ErrorDetail",
    "Problem",
    "error_body",
    "error_responses",
    "install_error_handlers",
    "internal_error_response",
    "problem_response",
    "problem_title",
]

API_PREFIX = "/api/"
logger = logging.getLogger("quitus.api")

_STATUS_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


class Problem(BaseModel):
    """One thing wrong in a request (a field of the body, a file and line of a policy)."""

    model_config = ConfigDict(extra="forbid")

    where: str
    """``body.valid_days``, ``query.offset``, ``garantie.yaml:7``…"""
    code: str | None = None
    """A stable code (pydantic's error type for a field); absent for a policy file's problem."""
    message: str


class ErrorDetail(BaseModel):
    """What was wrong, where and what to do; never a value the request carried (the former
    body, kept as the ``error`` member of :class:`ErrorBody`)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable: clients switch on it (`report_not_found`, `hold_refused`…).")
    message: str = Field(description="What was wrong, in words.")
    where: str | None = Field(default=None, description="Where: `path.report_id`, `body.reason`, `query.at`…")
    hint: str | None = Field(default=None, description="What to do.")
    problems: list[Problem] | None = Field(
        default=None, description="Each problem, for a request with several."
    )
    error_id: str | None = Field(
        default=None, description="For a 500: the id the server log names beside the failure."
    )


class ErrorBody(BaseModel):
    """Every error answer of the API: an RFC 9457 problem details object with quitus's members."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="The problem's type, a URN: `urn:quitus:problem:<code>`.")
    title: str = Field(description="The problem type in words (the same for every occurrence).")
    status: int = Field(ge=400, le=599, description="The HTTP status of this answer.")
    detail: str = Field(description="What was wrong this time, in words.")
    instance: str | None = Field(
        default=None,
        description="The request's path (the route's template when the path holds a credential).",
    )
    code: str = Field(description="Stable: clients switch on it (`report_not_found`, `hold_refused`…).")
    where: str | None = Field(default=None, description="Where: `path.report_id`, `body.reason`, `query.at`…")
    hint: str | None = Field(default=None, description="What to do.")
    problems: list[Problem] | None = Field(
        default=None, description="Each problem, for a request with several."
    )
    error_id: str | None = Field(
        default=None, description="For a 500: the id the server log names beside the failure."
    )
    error: ErrorDetail = Field(
        description="The body before problem details (`code`, `message`…), kept for the clients "
        "that read it. Deprecated: read the members above.",
        json_schema_extra={"deprecated": True},
    )


PROBLEM_JSON = "application/problem+json"
"""The media type of every error answer (RFC 9457)."""
PROBLEM_TYPE_PREFIX = "urn:quitus:problem:"
"""A problem's ``type`` is this and its code."""


ErrorCodes = Mapping[int, Sequence[str]]
"""Status → the error codes a route may answer with it."""

REPORT_LOOKUP: ErrorCodes = {404: ("report_not_found",), 410: ("report_erased",)}
"""A route that finds a report by its id (the domain's ``ReportNotFoundError``, ``KeyDestroyedError``)."""
INVALID_POLICIES: ErrorCodes = {409: ("invalid_policies",)}
"""A route that reads the policies in force (``PolicyFileError``)."""
PERSONAL_DATA_READ: ErrorCodes = {
    403: ("justification_required",),
    409: ("document_unavailable", "access_refused"),
    410: ("report_erased",),
}
"""A read of personal data (``retention.access``): restricted, not there yet, erased."""


def error_responses(*groups: ErrorCodes) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status it may answer, with :class:`ErrorBody` and its codes.

    The description names every ``code`` the status carries; the statuses every route of
    its kind answers (401, 403, 422, 500…) are added by :mod:`quitus.api.openapi`, and the
    contract test checks the server's real answers against both.
    """
    merged: dict[int, list[str]] = {}
    for group in groups:
        for status_code, error_codes in group.items():
            known = merged.setdefault(status_code, [])
            known.extend(code for code in error_codes if code not in known)
    return {
        status_code: {"model": ErrorBody, "description": ", ".join(f"`{code}`" for code in codes)}
        for status_code, codes in sorted(merged.items())
    }


class ApiError(Exception):
    """An error answer raised by a route: status, stable code, safe message."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        problems: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        """Says what was wrong; never quotes a submitted value."""
        self.where = where
        """Where: ``path.report_id``, ``body.valid_days``, ``photos[0].image``…"""
        self.hint = hint
        """What to do."""
        self.problems = list(problems)
        self.headers = dict(headers or {})
        """Headers of the answer (``Retry-After``…)."""


def error_body(
    status_code: int,
    code: str,
    message: str,
    *,
    where: str | None = None,
    hint: str | None = None,
    problems: Sequence[Mapping[str, str]] = (),
    error_id: str | None = None,
) -> dict[str, Any]:
    """The problem details of an error (without ``instance``, which :func:`problem_response` adds)."""
    extensions: dict[str, Any] = {}
    if where:
        extensions["where"] = where
    if hint:
        extensions["hint"] = hint
    if problems:
        extensions["problems"] = list(problems)
    if error_id:
        extensions["error_id"] = error_id
    return {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": problem_title(code),
        "status": status_code,
        "detail": message,
        "code": code,
        **extensions,
        "error": {"code": code, "message": message, **extensions},
    }


def problem_title(code: str) -> str:
    """``report_not_found`` → ``Report not found``: the code in words, one title per type."""
    words = code.replace("_", " ").strip() or "error"
    return words[0].upper() + words[1:]


def problem_instance(scope: Mapping[str, Any]) -> str | None:
    """The request's path, when each of its parameters has the format its route declares; else
    the route's template (a path that failed its format may hold anything, a person's e-mail;
    a portal link's token is a credential); None when no route matched (the path is then
    whatever the client typed)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return None
    values = scope.get("path_params", {})
    try:
        for field in getattr(getattr(route, "dependant", None), "path_params", ()):
            if field.alias in _CREDENTIAL_PARAMETERS or field.validate(values.get(field.alias))[1]:
                return str(template)
    except (AttributeError, TypeError):  # FastAPI's fields changed shape: the safe answer
        return str(template)
    return str(scope.get("path", template))


_CREDENTIAL_PARAMETERS = frozenset({"token"})
"""Path parameters that are credentials (a portal link's token): never echoed in a body."""


def problem_response(
    status_code: int,
    body: dict[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    scope: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """An error answer: ``body`` (from :func:`error_body`) as ``application/problem+json``."""
    instance = problem_instance(scope) if scope is not None else None
    if instance is not None:
        body = {**body, "instance": instance}
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def _domain_answer(exc: Exception) -> tuple[int, dict[str, Any]]:  # noqa: PLR0911, PLR0912 - one answer per class
    """Status and body for a domain error; its message is safe (domain messages quote no data)."""
    if isinstance(exc, ReportNotFoundError):
        return 404, error_body(
            404, "report_not_found", "no report with this id", hint="GET /api/v1/reports lists the reports"
        )
    if isinstance(exc, KeyDestroyedError):
        return 410, error_body(410, "report_erased", "the report was erased: its data key was destroyed")
    if isinstance(exc, InvalidTransitionError):
        return 409, error_body(409, "invalid_state", str(exc))
    if isinstance(exc, SubjectIndexOutdatedError):
        return 409, error_body(
            409, "subject_index_outdated", str(exc), hint="an operator runs `quitus subject reindex` once"
        )
    if isinstance(exc, PortalLinkError):
        status_code = 404 if exc.code == "invalid" else 410
        return status_code, error_body(
            status_code,
            f"portal_link_{exc.code}",
            {
                "invalid": "this link is not valid",
                "expired": "this link has expired",
                "revoked": "this link was withdrawn",
            }.get(exc.code, "this link cannot be used"),
            hint="ask the company for a new link",
        )
    if isinstance(exc, AccessError):
        return 409, error_body(409, "access_refused", str(exc))
    if isinstance(exc, RestrictedAccessError):
        return 403, error_body(
            403,
            "justification_required",
            str(exc),
            where="query.justification",
            hint="repeat the request with ?justification=CODE (e.g. litigation, subject_access)",
        )
    if isinstance(exc, DocumentUnavailableError):
        if exc.erased:
            return 410, error_body(410, "report_erased", str(exc))
        return 409, error_body(409, "document_unavailable", str(exc))
    if isinstance(exc, HoldError):
        return 409, error_body(409, "hold_refused", str(exc))
    if isinstance(exc, ReviewError):
        return 409, error_body(409, "review_refused", str(exc))
    if isinstance(exc, RetentionError):
        return 422, error_body(422, "retention_refused", str(exc))
    if isinstance(exc, PolicyFileError):
        problems = [{"where": p.split(": ", 1)[0], "message": p.split(": ", 1)[-1]} for p in exc.problems]
        return 409, error_body(
            409,
            "invalid_policies",
            "the retention policies in force are invalid: nothing can be decided until they are fixed",
            problems=problems,
            hint="fix each problem (file and line); POST /api/v1/policies/validate checks a fix",
        )
    if isinstance(exc, TemplateError):
        return 404, error_body(404, "template_not_found", str(exc), hint="GET /api/v1/templates lists them")
    if isinstance(exc, CaptureError):
        return 422, error_body(422, "capture_refused", exc.message, where=exc.path or None)
    return 500, {}


def install_error_handlers(api: FastAPI) -> None:
    """Register the handlers that turn every error into the body described in the module doc."""

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [_problem(error) for error in exc.errors()]
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            error_body(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "invalid_request",
                "the request is not valid: see problems (where, code, message)",
                problems=problems,
                hint="the OpenAPI description at /docs gives every field",
            ),
            scope=request.scope,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not request.url.path.startswith(API_PREFIX) and not isinstance(exc.detail, dict):
            return await http_exception_handler(request, exc)  # the web pages answer in their own way
        detail = exc.detail
        if isinstance(detail, dict):
            body = error_body(
                exc.status_code,
                str(detail.get("code") or _STATUS_CODES.get(exc.status_code, "error")),
                str(detail.get("message", "")),
                where=detail.get("where"),
                hint=detail.get("hint"),
            )
        else:
            body = error_body(exc.status_code, _STATUS_CODES.get(exc.status_code, "error"), str(detail))
        return problem_response(exc.status_code, body, exc.headers, scope=request.scope)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return problem_response(
            exc.status_code,
            error_body(
                exc.status_code, exc.code, exc.message, where=exc.where, hint=exc.hint, problems=exc.problems
            ),
            exc.headers,
            scope=request.scope,
        )

    async def domain_error(request: Request, exc: Exception) -> Response:
        status_code, body = _domain_answer(exc)
        if status_code == 500:
            return await internal_error(request, exc)
        return problem_response(status_code, body, scope=request.scope)

    async def internal_error(request: Request, exc: Exception) -> Response:
        return internal_error_response(request.method, request.scope, exc)

    api.add_exception_handler(RequestValidationError, validation_error)
    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(ApiError, api_error)
    for domain in (StorageError, ReportsError, PolicyError, RetentionError):
        api.add_exception_handler(domain, domain_error)
    # Anything else is answered by quitus.api.hardening.RequestGuard with internal_error_response:
    # Starlette's own last-resort handler re-raises, and the server would log the message.


def internal_error_response(method: str, scope: Mapping[str, Any], exc: BaseException) -> JSONResponse:
    """The 500 answer: a generic body with an error id; the log gets the id, class and stack."""
    error_id = secrets.token_hex(6)
    # The class and the stack frames, never the message: messages may quote personal data.
    logger.error(
        "internal error %s: %s.%s on %s %s\n%s",
        error_id,
        exc.__class__.__module__,
        exc.__class__.__name__,
        method,
        getattr(scope.get("route"), "path", "(unmatched)"),
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )
    return problem_response(
        500,
        error_body(
            500,
            "internal_error",
            "the server could not complete this request",
            error_id=error_id,
            hint="retry later; if it persists, give the error_id to the administrator",
        ),
        scope=scope,
    )


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    """A validation problem without the submitted value (pydantic's ``input``) nor unknown keys."""
    location = [str(part) for part in error.get("loc", ())]
    if error.get("type") == "extra_forbidden" and location:
        location[-1] = "(unknown field)"  # a submitted key may itself be personal data
    return {
        "where": ".".join(location),
        "code": str(error.get("type", "invalid")),
        "message": str(error.get("msg", "invalid value")),
    }
