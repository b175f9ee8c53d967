"""The OpenAPI description (``/openapi.json``) as the server really behaves.

FastAPI's generated document is completed here, once, from the same tables the server
enforces, so that a generated client (or Swagger's *Authorize*) knows what it needs:

* **security** — the ``bearerToken`` (``Authorization: Bearer qt_…``) and
  ``sessionCookie`` (the web pages' ``quitus_session``) schemes, either of which admits a
  caller, on every operation :data:`quitus.api.roles.ENDPOINT_ROLES` names, with the roles
  it admits in its description; ``security: []`` on :data:`~quitus.api.roles.PUBLIC_ENDPOINTS`;
* **errors** — :class:`quitus.api.errors.ErrorBody` (RFC 9457 problem details, as
  ``application/problem+json``) for every error status, FastAPI's
  ``HTTPValidationError`` (which quitus never sends) replaced; the statuses every
  operation of its kind may answer (``401``/``403``/``429`` from authentication, ``413``
  from the request guard for a body, ``422`` for parameters, ``500``) beside those each
  route declares (:func:`quitus.api.errors.error_responses`);
* **the capture body** — :class:`reports.schema.InterventionReport` as a component, which
  ``POST /reports`` declares by hand (it reads JSON, multipart and PDF bodies itself);
* **HEAD** operations for the reads :mod:`quitus.api.head` answers;
* an ``operationId`` that is the route's name and a summary from its docstring.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from quitus.api.auth import SESSION_COOKIE
from quitus.api.errors import PROBLEM_JSON, ErrorBody
from quitus.api.head import head_answers
from quitus.api.roles import ENDPOINT_ROLES, PUBLIC_ENDPOINTS
from reports.schema import InterventionReport

__all__ = ["PROTECTED", "SECURITY_SCHEMES", "install_openapi"]

SECURITY_SCHEMES: Mapping[str, dict[str, str]] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "qt_…",
        "description": "An API token (`quitus tokens create HANDLE`): `Authorization: Bearer qt_…`.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The web pages' session (set by /connexion); an unsafe method also needs "
        "the page's X-CSRF-Token header.",
    },
}
PROTECTED: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
"""Either scheme admits the caller (OpenAPI: alternatives in a list)."""

_COMPONENT_MODELS: Sequence[type[BaseModel]] = (InterventionReport,)
"""Models that bodies declared by hand (``openapi_extra``) refer to."""
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_UNSAFE = frozenset({"post", "put", "patch", "delete"})


def install_openapi(api: FastAPI, routes: Iterable[APIRoute]) -> None:
    """Make ``api.openapi()`` (served at ``/openapi.json``) the completed description."""
    api_routes = {route.name: route for route in routes}
    generate = api.openapi  # FastAPI's own generator

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = generate()
            complete(document, api_routes)
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], routes: Mapping[str, APIRoute]) -> None:
    """Complete FastAPI's ``document`` in place (see the module docstring)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_models(schemas, (ErrorBody,), strict=False)  # FastAPI's rendering of it, if it made one, stays
    _add_models(schemas, _COMPONENT_MODELS, strict=True)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = copy.deepcopy(dict(SECURITY_SCHEMES))
    for path_item in document["paths"].values():
        for method, operation in list(path_item.items()):
            name = operation.get("operationId")
            if name not in routes:
                continue
            _complete_operation(method, operation, validated=_validates_input(routes[name]))
            if method == "get" and head_answers(routes[name]):
                path_item["head"] = _head_of(operation)


def _validates_input(route: APIRoute) -> bool:
    """Whether FastAPI checks some of the request (parameters, a body): its 422 ``invalid_request``."""
    dependant = route.dependant
    return bool(
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or route.body_field is not None
    )


def _complete_operation(method: str, operation: dict[str, Any], *, validated: bool) -> None:
    name = operation["operationId"]
    docstring = operation.get("description", "")
    if docstring:
        operation["summary"] = docstring.strip().splitlines()[0].replace("``", "`")
    responses: dict[str, Any] = operation["responses"]
    if validated:
        _declare(responses, 422, "invalid_request")
    if "requestBody" in operation:
        _declare(responses, 413, "request_too_large")
    if name in PUBLIC_ENDPOINTS:
        operation["security"] = []
    else:
        operation["security"] = copy.deepcopy(PROTECTED)
        roles = ", ".join(sorted(role.value for role in ENDPOINT_ROLES[name]))
        operation["description"] = f"{docstring.rstrip()}\n\nRoles: {roles}.".lstrip()
        _declare(responses, 401, "unauthenticated")
        _declare(responses, 403, "forbidden_role")
        if method in _UNSAFE:
            _declare(responses, 403, "csrf_refused")
        _declare(responses, 429, "too_many_failed_sign_ins")
    _declare(responses, 500, "internal_error")
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": dict(_ERROR_REF)}}
    operation["responses"] = dict(sorted(responses.items()))


def _declare(responses: dict[str, Any], status: int, code: str) -> None:
    """Add ``code`` to the codes ``status`` is declared with (the status too, if new)."""
    response = responses.setdefault(str(status), {"description": ""})
    described = response.get("description", "")
    if described in ("", "Validation Error"):  # FastAPI's own text for its 422
        response["description"] = f"`{code}`"
    elif f"`{code}`" not in described:
        response["description"] = f"{described}, `{code}`"


def _head_of(get: dict[str, Any]) -> dict[str, Any]:
    head = copy.deepcopy(get)
    head["operationId"] = f"{get['operationId']}_head"
    head["summary"] = f"{get['summary']} (headers only)"
    for response in head["responses"].values():
        response.pop("content", None)  # a HEAD answer has the GET's headers and no body
    return head


def _add_models(schemas: dict[str, Any], models: Iterable[type[BaseModel]], *, strict: bool) -> None:
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            if strict and name in schemas and schemas[name] != definition:
                raise RuntimeError(f"two different OpenAPI schemas are named {name}")  # a developer's error
            schemas.setdefault(name, definition)
