"""Legal holds through the API, on SQLite and PostgreSQL: free-text reasons, holds that
cover nothing refused, a deleted row reported by the ledger verification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import Database
from tests.api_client import ApiHarness, open_harness, sample_reports

REASON = "Litige avec Mme Julien — ne rien détruire avant le jugement"


@pytest.fixture
def harness(database: Database, tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home", database.url) as harness:
        yield harness


@pytest.fixture
def report_id(harness: ApiHarness) -> str:
    return str(harness.capture(sample_reports(1, seed=31)[0].payload)["report_id"])


def test_a_free_text_reason_is_accepted_listed_and_kept_out_of_the_ledger(
    harness: ApiHarness, report_id: str
) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    placed = client.post(
        "/api/v1/holds", json={"reason": REASON, "report_ids": [report_id]}, headers=compliance
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["reason"] == REASON
    listed = client.get("/api/v1/holds", headers=harness.auth("auditor")).json()
    assert [(h["id"], h["reason"]) for h in listed] == [(placed.json()["id"], REASON)]
    (event,) = harness.ledger_events(step="hold.place")
    assert "Julien" not in str(event) and event["details"]["report_ids"] == [report_id]
    too_long = client.post(
        "/api/v1/holds", json={"reason": "x" * 2001, "report_ids": [report_id]}, headers=compliance
    )
    assert too_long.status_code == 422
    technician = client.get("/api/v1/holds", headers=harness.auth("technician"))
    assert technician.status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"subject": {"email": "personne@nulle-part.example"}},
            "no report matches this person",
            id="nobody",
        ),
        pytest.param(
            {"query": {"intervention_to": "2001-01-01"}}, "no report matches this query", id="query"
        ),
    ],
)
def test_a_hold_that_covers_nothing_is_refused_unless_allow_empty(
    harness: ApiHarness, report_id: str, body: dict[str, object], message: str
) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    refused = client.post("/api/v1/holds", json={"reason": REASON, **body}, headers=compliance)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "hold_refused" and message in error["message"] and "personne" not in str(error)
    allowed = client.post(
        "/api/v1/holds", json={"reason": REASON, **body, "allow_empty": True}, headers=compliance
    )
    assert allowed.status_code == 201, allowed.text


def test_an_unknown_template_is_always_refused_with_the_known_ones(
    harness: ApiHarness, report_id: str
) -> None:
    refused = harness.client.post(
        "/api/v1/holds",
        json={
            "reason": REASON,
            "query": {"template_id": "climatisation.mise_en_servise"},
            "allow_empty": True,
        },
        headers=harness.auth("compliance"),
    )
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "did you mean climatisation.mise_en_service?" in message and "known templates:" in message


def test_the_ledger_verification_reports_a_deleted_hold_which_still_holds(
    harness: ApiHarness, report_id: str
) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    hold = client.post(
        "/api/v1/holds", json={"reason": REASON, "report_ids": [report_id]}, headers=compliance
    ).json()
    assert client.post("/api/v1/ledger/verify", headers=harness.auth("auditor")).json()["ok"] is True
    with harness.context.app.database.engine.begin() as connection:
        connection.execute(text("DELETE FROM legal_holds"))

    verified = client.post("/api/v1/ledger/verify", headers=harness.auth("auditor")).json()
    assert verified["ok"] is False
    assert any(f"legal hold {hold['id']}" in p and "row was deleted" in p for p in verified["problems"])
    far = (dt.date.today() + dt.timedelta(days=365 * 40)).isoformat()
    plan = client.get(f"/api/v1/retention/plan?at={far}", headers=compliance).json()
    assert [i["held_by"] for i in plan["items"] if i["report_id"] == report_id] == [[hold["id"]]]
    number = harness.context.app.store.get(report_id).number
    assert [i["number"] for i in plan["items"] if i["report_id"] == report_id] == [number]
