"""The API's published contract (``/openapi.json``) against what the server really answers.

A generated client trusts the description: the security it declares, the error body, the
statuses each operation returns, the capture body. Each test here compares the document
with real answers — a route that answers a status it does not declare, or an error body
that does not match the declared model, fails.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import update

from quitus.api.roles import ENDPOINT_ROLES, PUBLIC_ENDPOINTS
from reports.schema import InterventionReport
from storage.access_store import PortalLinkRecord, Role
from tests.api_client import ApiHarness, open_harness, sample_reports
from tests.quitus.test_api_roles import _api_routes, _call, _requests, make_world

METHODS = ("get", "put", "post", "delete", "patch", "head")
UNKNOWN_REPORT = "RI-00000000000000000000000000"


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("contract") / "home") as harness:
        yield harness


@pytest.fixture(scope="module")
def spec(harness: ApiHarness) -> dict[str, Any]:
    response = harness.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def world(harness: ApiHarness) -> dict[str, Any]:
    """The role-matrix test's world: a report, a hold, a portal link, bad tokens."""
    return make_world(harness)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _operation(spec: dict[str, Any], name: str, method: str = "get") -> dict[str, Any]:
    for _, verb, operation in _operations(spec):
        if operation["operationId"] == (name if verb != "head" else f"{name}_head") and verb == method:
            return operation
    raise AssertionError(f"no {method} operation {name}")


def _error_validator(spec: dict[str, Any], operation: dict[str, Any], status: int) -> jsonschema.Validator:
    declared = operation["responses"].get(str(status))
    assert declared is not None, f"{operation['operationId']}: status {status} is not declared"
    assert set(declared["content"]) == {"application/problem+json"}, operation["operationId"]
    schema = declared["content"]["application/problem+json"]["schema"]
    resolvable = {**schema, "components": spec["components"]}
    return jsonschema.Draft202012Validator(resolvable)


def _assert_declared_error(spec: dict[str, Any], name: str, method: str, response: Any) -> None:
    operation = _operation(spec, name, method)
    _error_validator(spec, operation, response.status_code).validate(response.json())
    assert response.headers["content-type"] == "application/problem+json"
    code = response.json()["code"]
    description = operation["responses"][str(response.status_code)]["description"]
    assert f"`{code}`" in description, (name, response.status_code, code, description)


# -- the document itself ------------------------------------------------------------------------


def test_openapi_is_a_valid_3_1_document_and_every_operation_is_complete(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate_openapi(spec)
    ids = []
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert "security" in operation, where
        assert operation.get("responses"), where
        for status, response in operation["responses"].items():
            if method != "head" and status.startswith("2"):
                assert response.get("content"), f"{where}: {status} has no declared body"
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)), "operationIds must be unique (generated clients name methods by them)"
    assert "HTTPValidationError" not in str(spec), "the server never sends FastAPI's validation body"


def test_bearer_and_session_cookie_are_declared_on_every_protected_operation(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "qt_…",
        "description": schemes["bearerToken"]["description"],
    }
    assert schemes["sessionCookie"]["type"] == "apiKey"
    assert (schemes["sessionCookie"]["in"], schemes["sessionCookie"]["name"]) == ("cookie", "quitus_session")
    seen = set()
    for _, _, operation in _operations(spec):
        name = operation["operationId"].removesuffix("_head")
        seen.add(name)
        if name in PUBLIC_ENDPOINTS:
            assert operation["security"] == [], name
        else:
            assert operation["security"] == [{"bearerToken": []}, {"sessionCookie": []}], name
            assert {"401", "403"} <= set(operation["responses"]), name
            roles = ", ".join(sorted(role.value for role in ENDPOINT_ROLES[name]))
            assert f"Roles: {roles}." in operation["description"], name
    assert seen == set(ENDPOINT_ROLES) | set(PUBLIC_ENDPOINTS)


def test_the_capture_body_is_the_report_schema_in_json_and_in_multipart(spec: dict[str, Any]) -> None:
    body = _operation(spec, "capture_report", "post")["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/InterventionReport"}
    declared = spec["components"]["schemas"]["InterventionReport"]
    assert set(declared["properties"]) == set(InterventionReport.model_json_schema()["properties"])
    assert declared["additionalProperties"] is False
    part = body["multipart/form-data"]["schema"]["properties"]["report"]
    assert part["contentMediaType"] == "application/json"
    assert part["contentSchema"] == {"$ref": "#/components/schemas/InterventionReport"}
    assert body["multipart/form-data"]["encoding"]["report"]["contentType"] == "application/json"
    assert "application/pdf" in body


# -- the document against real answers ---------------------------------------------------------


def test_every_status_the_role_matrix_observes_is_declared_with_its_body(
    harness: ApiHarness, spec: dict[str, Any], world: dict[str, Any]
) -> None:
    callers = [harness.auth(role.value) for role in Role] + list(world["bad"].values())
    observed: set[tuple[str, int]] = set()
    for route in _api_routes(harness):
        (method,) = route.methods
        for headers in callers:
            response = _call(harness, route, world, headers)
            operation = _operation(spec, route.name, method.lower())
            assert str(response.status_code) in operation["responses"], (
                route.name,
                response.status_code,
                response.text[:300],
            )
            if response.status_code >= 400:
                _assert_declared_error(spec, route.name, method.lower(), response)
            observed.add((route.name, response.status_code))
    assert len({name for name, _ in observed}) == len(_requests(world))


def test_each_declared_error_that_can_be_triggered_answers_the_declared_body(
    harness: ApiHarness, spec: dict[str, Any]
) -> None:
    client = harness.client
    compliance, auditor = harness.auth("compliance"), harness.auth("auditor")
    report_id = harness.capture(sample_reports(1, seed=41)[0].payload)["report_id"]
    link = harness.context.access.create_portal_link(report_id, actor="test", valid_for=dt.timedelta(days=1))
    with harness.context.app.database.session() as session:
        session.execute(
            update(PortalLinkRecord)
            .where(PortalLinkRecord.id == link.token.partition(".")[0])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    big = harness.settings.max_request_bytes + 1
    cases: list[tuple[str, str, Any]] = [
        ("me", "get", client.get("/api/v1/me")),
        ("report_status", "get", client.get(f"/api/v1/reports/{UNKNOWN_REPORT}", headers=auditor)),
        ("report_status", "get", client.get("/api/v1/reports/not-an-id", headers=auditor)),
        (
            "report_content",
            "get",
            client.get(f"/api/v1/reports/{UNKNOWN_REPORT}/content", headers=compliance),
        ),
        (
            "report_pdf_redacted",
            "get",
            client.get(f"/api/v1/reports/{report_id}/pdf/redacted", headers=auditor),
        ),
        ("show_policy", "get", client.get("/api/v1/policies/fr.nothing-like-this", headers=auditor)),
        ("show_template", "get", client.get("/api/v1/templates/no_such.template", headers=auditor)),
        (
            "place_hold",
            "post",
            client.post("/api/v1/holds", json={"reason": "R", "report_ids": []}, headers=compliance),
        ),
        (
            "place_hold",
            "post",
            client.post(
                "/api/v1/holds", json={"reason": "R", "query": {"template_id": "a.b"}}, headers=compliance
            ),
        ),
        ("release_hold", "post", client.post("/api/v1/holds/hold-000000000000/release", headers=compliance)),
        ("portal_pdf", "get", client.get(f"/api/v1/portal/{link.token}/pdf")),
        ("portal_pdf", "get", client.get("/api/v1/portal/not-a-link/pdf")),
        ("approve_review", "post", client.post(f"/api/v1/review/{report_id}/approve", headers=compliance)),
        (
            "record_retention_event",
            "post",
            client.post(
                f"/api/v1/reports/{report_id}/retention-events",
                json={"name": "no_policy_waits_for_this", "on": "2026-01-01"},
                headers=compliance,
            ),
        ),
        (
            "disposed_register",
            "get",
            client.get("/api/v1/retention/disposed?since=2026-02-01&until=2026-01-01", headers=auditor),
        ),
        (
            "report_certificate",
            "get",
            client.get(f"/api/v1/reports/{report_id}/certificate", headers=auditor),
        ),
        (
            "export_proof",
            "get",
            client.get(f"/api/v1/reports/{report_id}/proof?document=full", headers=auditor),
        ),
        (
            "capture_report",
            "post",
            client.post(
                "/api/v1/reports",
                content=b"x",
                headers={**harness.auth("technician"), "Content-Type": "text/plain"},
            ),
        ),
        (
            "capture_report",
            "post",
            client.post(
                "/api/v1/reports",
                content=b"",
                headers={**harness.auth("technician"), "Content-Type": "application/json"},
            ),
        ),
        (
            "capture_report",
            "post",
            client.post(
                "/api/v1/reports",
                content=b"{}",
                headers={
                    **harness.auth("technician"),
                    "Content-Type": "application/json",
                    "Content-Length": str(big),
                },
            ),
        ),
    ]
    for name, method, response in cases:
        assert response.status_code >= 400, (name, response.status_code, response.text[:200])
        _assert_declared_error(spec, name, method, response)
    statuses = {r.status_code for _, _, r in cases}
    assert {401, 403, 404, 409, 410, 413, 415, 422} <= statuses


def test_the_hostile_tests_answers_are_declared(harness: ApiHarness, spec: dict[str, Any]) -> None:
    """What tests/quitus/test_api_hostile.py observes: huge integers, a non-ASCII portal link."""
    client = harness.client
    for path, name in (
        ("/api/v1/reports?offset=9223372036854775808", "list_reports"),
        ("/api/v1/retention/plan?limit=9223372036854775808", "retention_plan"),
    ):
        _assert_declared_error(spec, name, "get", client.get(path, headers=harness.auth("compliance")))
    _assert_declared_error(spec, "portal_pdf", "get", client.get("/api/v1/portal/abc.%C3%A9t%C3%A9/pdf"))
    _assert_declared_error(spec, "portal_pdf", "get", client.get(f"/api/v1/portal/{'x' * 300}/pdf"))


def test_the_idempotency_and_cursor_errors_are_declared(harness: ApiHarness, spec: dict[str, Any]) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    keyed = {**compliance, "Idempotency-Key": "contract-1"}
    hold = {"reason": "R-contract", "allow_empty": True, "query": {"intervention_from": "2021-01-01"}}
    assert client.post("/api/v1/holds", json=hold, headers=keyed).status_code == 201
    reused = client.post("/api/v1/holds", json={**hold, "reason": "R-contract-2"}, headers=keyed)
    _assert_declared_error(spec, "place_hold", "post", reused)
    for path, name in (
        ("/api/v1/reports?cursor=W10", "list_reports"),
        ("/api/v1/reports?cursor=W10&offset=1", "list_reports"),
        ("/api/v1/holds?cursor=W10", "list_holds"),
        ("/api/v1/review?cursor=W10", "review_queue"),
        ("/api/v1/retention/plan?cursor=W10", "retention_plan"),
        ("/api/v1/retention/disposed?since=2026-01-01&cursor=W10", "disposed_register"),
    ):
        answer = client.get(path, headers=compliance)
        assert answer.status_code == 422, (path, answer.text)
        _assert_declared_error(spec, name, "get", answer)


def test_throttled_sign_ins_answer_the_declared_429(tmp_path: Path, spec: dict[str, Any]) -> None:
    with open_harness(tmp_path / "home") as fresh:  # its own: the throttle would stop the others
        answers = [
            fresh.client.get("/api/v1/me", headers={"Authorization": f"Bearer qt_wrong{n:02d}"})
            for n in range(12)
        ]
    assert answers[0].status_code == 401 and answers[-1].status_code == 429
    _assert_declared_error(spec, "me", "get", answers[-1])
    assert answers[-1].headers["Retry-After"]


# -- HEAD ---------------------------------------------------------------------------------------


def test_head_answers_on_health_and_on_reads_that_record_nothing(
    harness: ApiHarness, spec: dict[str, Any]
) -> None:
    client = harness.client
    health = client.head("/api/v1/health")
    assert health.status_code == 200 and health.content == b""
    assert health.headers["content-type"] == "application/json"
    templates = client.head("/api/v1/templates", headers=harness.auth("auditor"))
    assert templates.status_code == 200 and templates.content == b""
    assert client.head("/api/v1/templates").status_code == 401
    assert _operation(spec, "health", "head")["security"] == []
    # A read of personal data is a ledger event: a HEAD must not record one, so it is refused.
    content = client.head(f"/api/v1/reports/{UNKNOWN_REPORT}/content", headers=harness.auth("compliance"))
    assert content.status_code == 405
    assert "head" not in spec["paths"]["/api/v1/reports/{report_id}/content"]


# -- caching ------------------------------------------------------------------------------------


def test_static_files_are_revalidated_not_downloaded_again(harness: ApiHarness) -> None:
    client = harness.client
    css = client.get("/static/quitus.css")
    assert css.status_code == 200
    assert css.headers["cache-control"] == "no-cache"
    etag = css.headers["etag"]
    again = client.get("/static/quitus.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/v1/health").headers["cache-control"] == "no-store"
    assert client.get("/api/v1/me", headers=harness.auth("auditor")).headers["cache-control"] == "no-store"
    assert client.get("/connexion").headers["cache-control"] == "no-store"


def test_the_cache_rule_is_a_function_of_the_path() -> None:
    from quitus.api.hardening import REVALIDATED_PATHS, cache_control_for

    assert cache_control_for("/static/api.js") == "no-cache"
    assert cache_control_for("/api/v1/reports") == "no-store"
    assert cache_control_for("/technicien") == "no-store"
    assert cache_control_for("/staticky") == "no-store"
    for path in REVALIDATED_PATHS:
        assert cache_control_for(path) == "no-cache"


# -- docs ---------------------------------------------------------------------------------------


def test_docs_describe_security_errors_idempotency_and_caching() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for needle in ("bearerToken", "sessionCookie", "ErrorBody", "Idempotency", "no-cache", "HEAD"):
        assert needle in text, needle
    assert re.search(r"`200`.*same hold", text, flags=re.S)
