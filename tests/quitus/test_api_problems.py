"""Error answers are RFC 9457 problem details (``application/problem+json``).

Every error path — a route's ``ApiError``, a domain error, FastAPI's validation, an
authentication refusal, the request guard's ``413`` before the app runs, a ``500`` — answers
``type``, ``title``, ``status``, ``detail`` and ``instance``, with the stable ``code`` (and
``where``, ``hint``, ``problems``, ``error_id``) as extension members, and the former
``{"error": {...}}`` object kept beside them for the clients written against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quitus.api.errors import PROBLEM_JSON, PROBLEM_TYPE_PREFIX
from retention.holds import HoldService
from tests.api_client import ApiHarness, open_harness

UNKNOWN_REPORT = "RI-00000000000000000000000000"


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("problems") / "home") as harness:
        yield harness


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == f"{PROBLEM_TYPE_PREFIX}{code}"
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["title"][0].isupper()
    assert body["detail"]
    # The former shape, kept as an extension for the clients that read it:
    assert body["error"]["code"] == code and body["error"]["message"] == body["detail"]
    return body


def test_a_domain_error_is_a_problem_naming_its_instance(harness: ApiHarness) -> None:
    path = f"/api/v1/reports/{UNKNOWN_REPORT}"
    body = assert_problem(harness.client.get(path, headers=harness.auth("auditor")), 404, "report_not_found")
    assert body["title"] == "Report not found"
    assert body["instance"] == path
    assert body["hint"] == body["error"]["hint"]


def test_validation_problems_are_an_extension_member(harness: ApiHarness) -> None:
    response = harness.client.get("/api/v1/reports?limit=0", headers=harness.auth("auditor"))
    body = assert_problem(response, 422, "invalid_request")
    assert body["problems"][0]["where"] == "query.limit"
    assert body["problems"] == body["error"]["problems"]
    assert body["instance"] == "/api/v1/reports"  # never the query string


def test_authentication_refusals_are_problems(harness: ApiHarness) -> None:
    client = harness.client
    unauthenticated = assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")
    assert unauthenticated["instance"] == "/api/v1/me"
    assert_problem(client.get("/api/v1/holds", headers=harness.auth("technician")), 403, "forbidden_role")
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_an_api_error_raised_by_a_route_is_a_problem(harness: ApiHarness) -> None:
    response = harness.client.post(
        "/api/v1/reports", content=b"x", headers={**harness.auth("technician"), "Content-Type": "text/plain"}
    )
    body = assert_problem(response, 415, "unsupported_media_type")
    assert body["where"] == "header.content-type"


def test_the_guard_s_413_before_the_app_runs_is_a_problem(harness: ApiHarness) -> None:
    big = harness.settings.max_request_bytes + 1
    response = harness.client.post(
        "/api/v1/reports",
        content=b"{}",
        headers={
            **harness.auth("technician"),
            "Content-Type": "application/json",
            "Content-Length": str(big),
        },
    )
    body = assert_problem(response, 413, "request_too_large")
    assert "instance" not in body  # refused before any route is matched: the path is the client's


def test_a_portal_token_is_never_echoed_as_the_instance(harness: ApiHarness) -> None:
    token = "kq" * 10 + ".abc"
    body = assert_problem(harness.client.get(f"/api/v1/portal/{token}/pdf"), 404, "portal_link_invalid")
    assert token not in str(body)
    assert body["instance"] == "/api/v1/portal/{token}/pdf"


def test_an_internal_error_is_a_problem_with_its_error_id(
    harness: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: HoldService, *, include_released: bool = False) -> list[Any]:
        raise RuntimeError("jeanne.martin@exemple.fr")  # a message that must never be answered

    monkeypatch.setattr(HoldService, "list", broken)
    response = harness.client.get("/api/v1/holds", headers=harness.auth("compliance"))
    body = assert_problem(response, 500, "internal_error")
    assert len(body["error_id"]) == 12 and "jeanne" not in response.text
