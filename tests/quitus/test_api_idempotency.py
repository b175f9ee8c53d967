"""``Idempotency-Key`` on the API's unsafe POSTs, on SQLite and PostgreSQL.

The same key and request answer as the first time and do nothing again (where, without
the key, the endpoint's own rule would have done something: a second hold after a
release, a ``duplicate`` receipt); another request with the key is refused; a key is its
caller's; a failed first request leaves no trace; a key in use answers 409; the table
keeps no personal value.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from quitus.api.errors import PROBLEM_JSON
from quitus.api.idempotency import REPLAYED_HEADER, canonical
from quitus.api.routes.retention import HoldRequest
from storage.access_store import Role
from storage.idempotency_store import IdempotencyStore
from storage.models import IdempotencyKeyRecord
from tests.api_client import ApiHarness, open_harness, sample_reports
from tests.conftest import POSTGRES_ADMIN_URL

EMAIL = "jeanne.idempotence@exemple.fr"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    home = tmp_path_factory.mktemp(f"idempotency-{request.param}") / "home"
    if request.param == "sqlite":
        with open_harness(home) as harness:
            yield harness
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"quitus_test_idem_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        with open_harness(home, database_url=url) as harness:
            yield harness
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def keyed(harness: ApiHarness, who: str, key: str) -> dict[str, str]:
    return {**harness.auth(who), "Idempotency-Key": key}


def place(harness: ApiHarness, body: dict[str, Any], key: str, who: str = "compliance") -> httpx.Response:
    return harness.client.post("/api/v1/holds", json=body, headers=keyed(harness, who, key))


def new_report(harness: ApiHarness, seed: int) -> str:
    report_id: str = harness.capture(sample_reports(1, seed=seed)[0].payload)["report_id"]
    return report_id


def test_a_hold_placed_again_with_its_key_is_the_first_one_even_after_its_release(
    harness: ApiHarness,
) -> None:
    body = {"reason": "RG-IDEM-1", "report_ids": [new_report(harness, 71)]}
    first = place(harness, body, "hold-key-1")
    assert first.status_code == 201 and REPLAYED_HEADER not in first.headers
    hold_id = first.json()["id"]
    harness.client.post(f"/api/v1/holds/{hold_id}/release", headers=harness.auth("compliance"))
    again = place(harness, body, "hold-key-1")
    assert again.status_code == 201 and again.headers[REPLAYED_HEADER] == "true"
    assert again.json()["id"] == hold_id and again.json()["released_at"] is not None
    # Without the key, the same request after the release is a new hold:
    fresh = harness.client.post("/api/v1/holds", json=body, headers=harness.auth("compliance"))
    assert fresh.status_code == 201 and fresh.json()["id"] != hold_id
    placed = [e for e in harness.ledger_events(step="hold.place") if e["details"].get("hold") == hold_id]
    assert len(placed) == 1


def test_the_same_key_with_another_request_is_refused(harness: ApiHarness) -> None:
    report_id = new_report(harness, 72)
    assert place(harness, {"reason": "RG-IDEM-2", "report_ids": [report_id]}, "hold-key-2").status_code == 201
    other = place(harness, {"reason": "RG-IDEM-2 (corrigé)", "report_ids": [report_id]}, "hold-key-2")
    assert other.status_code == 422 and other.headers["content-type"] == PROBLEM_JSON
    problem = other.json()
    assert problem["code"] == "idempotency_key_reused" and problem["where"] == "header.idempotency-key"
    assert "RG-IDEM" not in other.text
    elsewhere = harness.client.post(
        f"/api/v1/reports/{report_id}/retention-events",
        json={"name": "contract_end", "on": "2026-01-01"},
        headers=keyed(harness, "compliance", "hold-key-2"),
    )
    assert elsewhere.status_code == 422 and "(place_hold)" in elsewhere.json()["detail"]


def test_a_key_is_its_caller_s(harness: ApiHarness) -> None:
    if "compliance-2" not in harness.tokens:
        harness.add_user("compliance-2", Role.COMPLIANCE)
    body = {"reason": "RG-IDEM-3", "report_ids": [new_report(harness, 73)]}
    mine = place(harness, body, "shared-key")
    theirs = place(harness, body, "shared-key", who="compliance-2")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert REPLAYED_HEADER not in theirs.headers and theirs.json()["id"] != mine.json()["id"]


def test_a_failed_first_request_leaves_no_trace(harness: ApiHarness) -> None:
    body = {"reason": "RG-IDEM-4", "query": {"template_id": "no_such.template"}}
    assert place(harness, body, "hold-key-4").status_code == 409
    refused_again = place(harness, body, "hold-key-4")
    assert refused_again.status_code == 409 and REPLAYED_HEADER not in refused_again.headers
    assert refused_again.json()["code"] == "hold_refused"


def test_a_key_whose_first_request_is_being_answered_is_409_with_retry_after(harness: ApiHarness) -> None:
    body = {"reason": "RG-IDEM-5", "allow_empty": True, "query": {"client_kind": "professionnel"}}
    store = harness.context.app.store
    IdempotencyStore(store.database, store.keys.index_key).claim(
        "compliance-1",
        "hold-key-5",
        "place_hold",
        canonical("/api/v1/holds", HoldRequest.model_validate(body)),
    )
    busy = place(harness, body, "hold-key-5")
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_use"
    assert 1 <= int(busy.headers["Retry-After"]) <= 300


def test_a_capture_sent_again_with_its_key_is_answered_as_the_first(harness: ApiHarness) -> None:
    payload = json.dumps(sample_reports(1, seed=74)[0].payload).encode()
    headers = {**keyed(harness, "technician", "capture-1"), "Content-Type": "application/json"}
    first = harness.client.post("/api/v1/reports", content=payload, headers=headers)
    again = harness.client.post("/api/v1/reports", content=payload, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["receipt"] == "new" and again.json()["report_id"] == first.json()["report_id"]
    assert again.headers[REPLAYED_HEADER] == "true"
    # Without the key the endpoint's own rule answers: the same submission_id is a duplicate.
    unkeyed = harness.client.post(
        "/api/v1/reports",
        content=payload,
        headers={**harness.auth("technician"), "Content-Type": "application/json"},
    )
    assert unkeyed.status_code == 200 and unkeyed.json()["receipt"] == "duplicate"


def test_an_erasure_request_sent_again_is_registered_once_and_the_table_keeps_no_value(
    harness: ApiHarness,
) -> None:
    body = {"email": EMAIL, "confirm": True}
    headers = keyed(harness, "compliance", "erase-1")
    first = harness.client.post("/api/v1/subjects/erase", json=body, headers=headers)
    again = harness.client.post("/api/v1/subjects/erase", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again.headers[REPLAYED_HEADER] == "true"
    requests = [
        e for e in harness.ledger_events(step="subject.request") if e["details"].get("kind") == "erasure"
    ]
    assert len([e for e in requests if first.json()["request"] in json.dumps(e)]) == 1
    with harness.context.app.store.database.session() as session:
        rows = [
            repr((r.key_digest, r.operation, r.request_digest, r.status, r.answer))
            for r in session.scalars(select(IdempotencyKeyRecord))
        ]
    assert rows and not [row for row in rows if "jeanne" in row or "idempotence" in row or "RG-IDEM" in row]


@pytest.mark.parametrize("key", [b"", "é".encode(), b"x" * 256, b"two words"])
def test_a_malformed_key_is_an_invalid_request(harness: ApiHarness, key: bytes) -> None:
    response = harness.client.post(
        "/api/v1/holds",
        json={"reason": "R", "allow_empty": True, "query": {}},
        headers={**harness.auth("compliance"), "Idempotency-Key": key},
    )
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["where"] == "header.Idempotency-Key"


def test_a_portal_link_asked_again_with_its_key_is_the_same_link_and_one_ledger_entry(
    harness: ApiHarness,
) -> None:
    report_id = new_report(harness, 75)
    headers = keyed(harness, "compliance", "link-1")
    path = f"/api/v1/reports/{report_id}/portal-links"
    first = harness.client.post(path, json={"valid_days": 7}, headers=headers)
    again = harness.client.post(path, json={"valid_days": 7}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert again.json() == first.json() and again.headers[REPLAYED_HEADER] == "true"
    created = [e for e in harness.ledger_events(report_id, step="portal.link") if e["outcome"] == "created"]
    assert len(created) == 1
    other = harness.client.post(path, json={"valid_days": 8}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    with harness.context.app.store.database.session() as session:
        answers = [
            r.answer
            for r in session.scalars(select(IdempotencyKeyRecord))
            if r.operation == "create_portal_link"
        ]
    token = first.json()["path"].rsplit("/", 1)[-1]
    assert answers and token not in json.dumps(answers)  # the credential is signed again, never kept
