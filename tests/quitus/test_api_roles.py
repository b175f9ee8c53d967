"""The role × endpoint matrix, exhaustively: every API endpoint, every role, no token, bad tokens.

The routes are read from ``app.routes``: an endpoint added without an entry in
``quitus.api.roles`` (or without a request below) fails here. Portal links — the one
credential that is not a token — are checked for forged, expired and revoked links.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update

from policies.loading import BUILTIN_DIR
from quitus.api.roles import ASSIGNED_VISITS_ONLY, ENDPOINT_ROLES, OWN_REPORTS_ONLY, PUBLIC_ENDPOINTS
from storage.access_store import PortalLinkRecord, Role
from tests.api_client import ApiHarness, open_harness, sample_reports

ROOT = Path(__file__).resolve().parents[2]
BAD_CALLERS = ("no token", "revoked token", "expired token", "disabled user", "malformed token")
PERSONAL_DATA_ENDPOINTS = {"report_content", "report_pdf_full", "subject_export", "subject_erase"}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with open_harness(tmp_path_factory.mktemp("roles") / "home") as harness:
        yield harness


@pytest.fixture(scope="module")
def world(harness: ApiHarness) -> dict[str, Any]:
    return make_world(harness)


def make_world(harness: ApiHarness) -> dict[str, Any]:
    """What the requests refer to: a report the technician captured, a hold, a portal link."""
    access = harness.context.access
    report_id = harness.capture(sample_reports(1)[0].payload)["report_id"]
    hold = harness.client.post(
        "/api/v1/holds",
        json={"reason": "RG-2026-1", "report_ids": [report_id]},
        headers=harness.auth("compliance"),
    ).json()
    link = access.create_portal_link(report_id, actor="test", valid_for=dt.timedelta(days=2))
    bad: dict[str, dict[str, str]] = {"no token": {}, "malformed token": {"Authorization": "Basic dXNlcg=="}}
    access.add_user("revoked-1", Role.ADMIN, actor="test")
    token_id, secret = access.create_token("revoked-1", actor="test")
    access.revoke_token(token_id, actor="test")
    bad["revoked token"] = {"Authorization": f"Bearer {secret}"}
    access.add_user("expired-1", Role.ADMIN, actor="test")
    _, secret = access.create_token("expired-1", actor="test", expires_in=dt.timedelta(microseconds=1))
    bad["expired token"] = {"Authorization": f"Bearer {secret}"}
    access.add_user("disabled-1", Role.COMPLIANCE, actor="test")
    _, secret = access.create_token("disabled-1", actor="test")
    access.disable_user("disabled-1", actor="test")
    bad["disabled user"] = {"Authorization": f"Bearer {secret}"}
    return {
        "report_id": report_id,
        "hold_id": hold["id"],
        "policy_id": "fr.preuve-contractuelle",
        "template_id": next(iter(harness.context.app.catalog)).id,
        "link_id": link.token.partition(".")[0],
        "visit_id": "PV-0000000000000000",
        "token": link.token,
        "bad": bad,
    }


def _requests(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A plausible request for every endpoint (harmless: nothing that erases the world)."""
    policy_file = next(BUILTIN_DIR.glob("*.yaml"))
    return {
        "health": {},
        "me": {},
        "capture_report": {
            "content": b'{"submission_id": "roles-1"}',
            "headers": {"Content-Type": "application/json"},
        },
        "list_reports": {},
        "report_status": {},
        "report_content": {},
        "report_pdf_full": {},
        "report_pdf_redacted": {},
        "create_portal_link": {"json": {"valid_days": 3}},
        "revoke_portal_link": {},
        "portal_pdf": {},
        "list_templates": {},
        "show_template": {},
        "list_policies": {},
        "show_policy": {},
        "validate_policies": {"files": {"files": (policy_file.name, policy_file.read_bytes())}},
        "explain_retention": {},
        "list_holds": {},
        "place_hold": {"json": {"reason": "RG-2026-2", "query": {"template_id": world["template_id"]}}},
        "release_hold": {},
        "retention_plan": {},
        "record_retention_event": {"json": {"name": "contract_end", "on": "2026-01-31"}},
        "review_queue": {},
        "approve_review": {},
        "extend_review": {"json": {"until": "2099-01-01", "reason": "litigation"}},
        "relabel_review": {"json": {"policy": "fr.preuve-contractuelle"}},
        "disposed_register": {"params": {"since": "2026-01-01"}},
        "report_certificate": {},
        "ledger_status": {},
        "verify_ledger": {"params": {"skip_blobs": "true"}},
        "export_proof": {"params": {"document": "none"}},
        "subject_export": {"json": {"email": "personne.inconnue@exemple.fr"}},
        "subject_erase": {"json": {"email": "personne.inconnue@exemple.fr", "confirm": True}},
        "plan_visit": {"json": {"report": world["report_id"], "day": "2030-01-07", "technicians": ["t-1"]}},
        "list_visits": {},
        "show_visit": {},
        "move_visit": {"json": {"day": "2030-01-08"}},
        "cancel_visit": {"json": {"reason": "client_request"}},
        "equipment_history": {
            "params": {"category": "chaudiere_gaz", "brand": "A", "model": "B", "serial": "C"}
        },
    }


def _flatten(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.13x includes lazily)
            yield from _flatten(route.original_router.routes)
        elif hasattr(route, "routes"):  # a mount
            yield from _flatten(route.routes)


def _api_routes(harness: ApiHarness) -> list[APIRoute]:
    routes = list(_flatten(harness.client.app.routes))  # type: ignore[attr-defined]
    api = [r for r in routes if r.path.startswith("/api/")]
    assert api, "no API route found: did FastAPI change how included routes are listed?"
    return api


def _call(harness: ApiHarness, route: APIRoute, world: dict[str, Any], headers: dict[str, str]) -> Any:
    request = dict(_requests(world)[route.name])
    path = re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), route.path)
    (method,) = route.methods
    request["headers"] = {**request.get("headers", {}), **headers}
    return harness.client.request(method, path, **request)


def _admitted_roles(route: APIRoute) -> frozenset[Role] | None:
    for dependency in route.dependant.dependencies:
        if dependency.call is not None and hasattr(dependency.call, "admitted_roles"):
            admitted: frozenset[Role] = dependency.call.admitted_roles
            return admitted
    return None


def test_every_endpoint_is_in_the_matrix_and_enforces_it(harness: ApiHarness, world: dict[str, Any]) -> None:
    routes = _api_routes(harness)
    names = {r.name for r in routes}
    assert names == set(ENDPOINT_ROLES) | set(PUBLIC_ENDPOINTS), "routes and matrix disagree"
    assert not set(ENDPOINT_ROLES) & set(PUBLIC_ENDPOINTS)
    assert set(_requests(world)) == names, "every endpoint needs a request in this test"
    for route in routes:
        expected = None if route.name in PUBLIC_ENDPOINTS else ENDPOINT_ROLES[route.name]
        assert _admitted_roles(route) == expected, route.name


@pytest.mark.parametrize("caller", BAD_CALLERS)
def test_without_a_valid_token_only_public_endpoints_answer(
    harness: ApiHarness, world: dict[str, Any], caller: str
) -> None:
    for route in _api_routes(harness):
        response = _call(harness, route, world, world["bad"][caller])
        if route.name in PUBLIC_ENDPOINTS:
            assert response.status_code not in (401, 403), (route.name, response.text)
        else:
            assert response.status_code == 401, (route.name, caller, response.text)
            assert response.json()["error"]["code"] == "unauthenticated"
            assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_endpoints(
    harness: ApiHarness, world: dict[str, Any], role: Role
) -> None:
    for route in _api_routes(harness):
        if route.name in PUBLIC_ENDPOINTS:
            continue
        response = _call(harness, route, world, harness.auth(role.value))
        code = response.json()["error"]["code"] if response.status_code >= 400 else None
        if role in ENDPOINT_ROLES[route.name]:
            assert code not in ("unauthenticated", "forbidden_role"), (route.name, role, response.text)
            assert response.status_code < 500, (route.name, role, response.text)
        else:
            assert response.status_code == 403, (route.name, role, response.text)
            assert code == "forbidden_role"


def test_only_compliance_reaches_personal_data() -> None:
    for endpoint in PERSONAL_DATA_ENDPOINTS:
        assert ENDPOINT_ROLES[endpoint] == {Role.COMPLIANCE}, endpoint
    for endpoint, roles in ENDPOINT_ROLES.items():
        if Role.ADMIN in roles:
            assert not endpoint.startswith(("approve", "extend", "relabel", "place", "release", "subject"))


def test_technicians_reach_only_the_reports_they_captured(harness: ApiHarness, world: dict[str, Any]) -> None:
    report_id = world["report_id"]
    for endpoint, path, method in (
        ("report_status", f"/api/v1/reports/{report_id}", "GET"),
        ("report_pdf_redacted", f"/api/v1/reports/{report_id}/pdf/redacted", "GET"),
        ("create_portal_link", f"/api/v1/reports/{report_id}/portal-links", "POST"),
    ):
        assert Role.TECHNICIAN in OWN_REPORTS_ONLY[endpoint]
        kwargs: dict[str, Any] = {"json": {"valid_days": 1}} if method == "POST" else {}
        other = harness.client.request(method, path, headers=harness.auth("technician-2"), **kwargs)
        assert other.status_code == 404, endpoint
        assert other.json()["error"]["code"] == "report_not_found"
        own = harness.client.request(method, path, headers=harness.auth("technician-1"), **kwargs)
        assert own.status_code != 404, endpoint


def test_portal_links_forged_expired_and_revoked_are_refused(
    harness: ApiHarness, world: dict[str, Any]
) -> None:
    access = harness.context.access
    link = access.create_portal_link(world["report_id"], actor="test", valid_for=dt.timedelta(days=1))
    link_id, _, signature = link.token.partition(".")

    def opened(token: str) -> tuple[int, str | None]:
        response = harness.client.get(f"/api/v1/portal/{token}/pdf")
        return response.status_code, response.json()["error"]["code"] if response.status_code >= 400 else None

    # Valid, but the report is not sealed yet: the link itself is accepted.
    assert opened(link.token) == (409, "portal_not_ready")
    forged = f"{link_id}.{'0' * len(signature)}"
    assert opened(forged) == (404, "portal_link_invalid")
    other_id = link_id[:-1] + ("B" if link_id.endswith("A") else "A")  # another id, the same signature
    assert opened(f"{other_id}.{signature}") == (404, "portal_link_invalid")
    assert opened("not-a-link") == (404, "portal_link_invalid")
    assert opened("x" * 300) == (422, "invalid_request")

    with harness.context.app.database.session() as session:
        session.execute(
            update(PortalLinkRecord)
            .where(PortalLinkRecord.id == link_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    assert opened(link.token) == (410, "portal_link_expired")

    other = access.create_portal_link(world["report_id"], actor="test", valid_for=dt.timedelta(days=1))
    revoked = harness.client.delete(
        f"/api/v1/portal-links/{other.token.partition('.')[0]}", headers=harness.auth("compliance")
    )
    assert revoked.status_code == 200
    assert opened(other.token) == (410, "portal_link_revoked")


def test_the_documented_matrix_is_the_enforced_one() -> None:
    """docs/api.md's table lists every endpoint with the roles it admits."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `[A-Z]+ /api/[^`]*` \|([^\n]*)$", text, flags=re.MULTILINE)
    documented: dict[str, frozenset[Role]] = {}
    for name, cells in rows:
        marks = [c.strip() for c in cells.split("|")[0 : len(Role)]]
        documented[name] = frozenset(
            role for role, mark in zip(Role, marks, strict=True) if mark.startswith("✓")
        )
    public = {name for name, cells in rows if "public" in cells}
    assert public == set(PUBLIC_ENDPOINTS)
    assert {name for name, cells in rows if "✓ own" in cells} == set(OWN_REPORTS_ONLY)
    assert {name for name, cells in rows if "✓ assigned" in cells} == set(ASSIGNED_VISITS_ONLY)
    assert {k: v for k, v in documented.items() if k not in public} == dict(ENDPOINT_ROLES)
