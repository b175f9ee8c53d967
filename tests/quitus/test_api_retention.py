"""Retention through the API, on SQLite and PostgreSQL: policies, holds, plan, review decisions.

Each decision is a ledger event naming the compliance officer who took it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from policies.loading import BUILTIN_DIR
from storage.database import Database
from storage.ledger.steps import LedgerStep
from storage.models import ReviewItemRecord
from tests.api_client import ApiHarness, open_harness, sample_reports


@pytest.fixture
def harness(database: Database, tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home", database.url) as harness:
        yield harness


@pytest.fixture
def report_ids(harness: ApiHarness) -> list[str]:
    return [harness.capture(s.payload)["report_id"] for s in sample_reports(2, seed=31)]


def test_policies_are_listed_shown_validated_and_explained(
    harness: ApiHarness, report_ids: list[str]
) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    listed = client.get("/api/v1/policies", headers=harness.auth("auditor")).json()
    ids = [p["id"] for p in listed["policies"]]
    assert "fr.preuve-contractuelle" in ids and listed["version"]
    shown = client.get("/api/v1/policies/fr.preuve-contractuelle", headers=compliance).json()
    assert shown["ref"].startswith("fr.preuve-contractuelle@") and "legal_basis" in shown["text"]
    assert client.get("/api/v1/policies/fr.nothing", headers=compliance).json()["error"]["code"] == (
        "policy_not_found"
    )

    good = next(BUILTIN_DIR.glob("*.yaml"))
    valid = client.post(
        "/api/v1/policies/validate", files={"files": (good.name, good.read_bytes())}, headers=compliance
    ).json()
    assert valid == {"valid": True, "policies": 1, "version": valid["version"], "problems": []}
    broken = good.read_text(encoding="utf-8").replace("duration:", "duraton:")
    invalid = client.post(
        "/api/v1/policies/validate", files={"files": ("maison.yaml", broken.encode())}, headers=compliance
    ).json()
    assert invalid["valid"] is False and invalid["problems"]
    assert all(p["where"].startswith("maison.yaml:") for p in invalid["problems"])
    assert "/tmp" not in str(invalid)
    named = client.post(
        "/api/v1/policies/validate", files={"files": ("../evil.yaml", b"id: x")}, headers=compliance
    )
    assert named.json()["error"]["code"] == "invalid_file_name"

    explained = client.get(
        f"/api/v1/reports/{report_ids[0]}/retention", headers=harness.auth("auditor")
    ).json()
    assert explained["erased"] is False and explained["winner"] and explained["due"] and explained["reasons"]


def test_holds_keep_reports_out_of_the_plan_and_name_who_placed_them(
    harness: ApiHarness, report_ids: list[str]
) -> None:
    client, compliance = harness.client, harness.auth("compliance")
    far = (dt.date.today() + dt.timedelta(days=365 * 40)).isoformat()
    plan = client.get(f"/api/v1/retention/plan?at={far}", headers=harness.auth("auditor")).json()
    assert {i["report_id"] for i in plan["items"]} == set(report_ids)
    assert "held" not in plan["counts"]

    placed = client.post(
        "/api/v1/holds", json={"reason": "RG-2026-118", "report_ids": [report_ids[0]]}, headers=compliance
    )
    assert placed.status_code == 201
    hold = placed.json()
    assert hold["placed_by"] == "compliance-1" and hold["report_ids"] == [report_ids[0]]
    (event,) = harness.ledger_events(step=LedgerStep.HOLD_PLACE)
    assert event["actor"] == "compliance-1" and event["details"]["hold"] == hold["id"]

    plan = client.get(f"/api/v1/retention/plan?at={far}&limit=1", headers=compliance).json()
    assert plan["counts"]["held"] == 1 and plan["truncated"] is True and len(plan["items"]) == 1
    listed = client.get("/api/v1/holds", headers=harness.auth("auditor")).json()
    assert [h["id"] for h in listed] == [hold["id"]]
    explained = client.get(f"/api/v1/reports/{report_ids[0]}/retention", headers=compliance).json()
    assert explained["held_by"] == [hold["id"]]

    released = client.post(f"/api/v1/holds/{hold['id']}/release", headers=compliance)
    assert released.status_code == 200 and released.json()["released_at"]
    again = client.post(f"/api/v1/holds/{hold['id']}/release", headers=compliance)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "hold_refused")
    unknown = client.post("/api/v1/holds/hold-000000000000/release", headers=compliance)
    assert unknown.json()["error"]["code"] == "hold_refused"

    person = client.post(
        "/api/v1/holds",
        json={"reason": "RG-2026-119", "subject": {"email": "quelquun@exemple.fr"}, "allow_empty": True},
        headers=compliance,
    ).json()
    assert person["scope_kind"] == "subject" and "quelquun" not in str(person)
    both = client.post(
        "/api/v1/holds",
        json={"reason": "RG-1", "report_ids": [report_ids[0]], "query": {"client_kind": "particulier"}},
        headers=compliance,
    )
    assert both.status_code == 422


def test_review_decisions_are_taken_and_recorded_by_the_officer(
    harness: ApiHarness, report_ids: list[str]
) -> None:
    with harness.context.app.database.session() as session:
        for report_id in report_ids:
            session.add(
                ReviewItemRecord(
                    report_id=report_id, policy_ref="fr.fluides-frigorigenes@test", due=dt.date.today()
                )
            )
    client, compliance = harness.client, harness.auth("compliance")
    queue = client.get("/api/v1/review", headers=harness.auth("auditor")).json()
    assert sorted(i["report_id"] for i in queue) == sorted(report_ids)
    store = harness.context.app.store
    assert all(i["number"] == store.get(i["report_id"]).number for i in queue)  # what people read

    past = client.post(
        f"/api/v1/review/{report_ids[1]}/extend",
        json={"until": "2001-01-01", "reason": "audit"},
        headers=compliance,
    )
    assert (past.status_code, past.json()["error"]["code"]) == (409, "review_refused")
    extended = client.post(
        f"/api/v1/review/{report_ids[1]}/extend",
        json={"until": "2099-01-01", "reason": "audit"},
        headers=compliance,
    )
    number = harness.context.app.store.get(report_ids[1]).number
    assert extended.json() == {"report_id": report_ids[1], "number": number, "decision": "extended"}

    # A row put in the queue by hand, that no review.queue entry records, is not believed:
    # the gate refuses the approval as tampering and says what to do.
    early = client.post(f"/api/v1/review/{report_ids[0]}/approve", headers=compliance)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "review_refused")
    assert "a row in review_queue that no review entry records" in early.json()["error"]["message"]
    assert "quitus audit verify" in early.json()["error"]["message"]
    status = client.get(f"/api/v1/reports/{report_ids[0]}", headers=harness.auth("auditor")).json()
    assert status["state"] != "erased"
    (decision,) = harness.ledger_events(report_ids[1], LedgerStep.REVIEW_EXTEND)
    assert decision["actor"] == "compliance-1"
    assert "audit" not in str(decision["details"])  # the reason is a note, named by hash


def test_a_dated_event_starts_the_periods_that_wait_for_it(
    harness: ApiHarness, report_ids: list[str]
) -> None:
    # fr.clients-inactifs waits for last_contact; validated, the report is dated 3 days ago.
    harness.context.app.intake.validate(report_ids[0])
    today = dt.date.today()
    first, second = (str(today - dt.timedelta(days=n)) for n in (2, 1))
    path = f"/api/v1/reports/{report_ids[0]}/retention-events"
    compliance = harness.auth("compliance")
    answer = harness.client.post(path, json={"name": "last_contact", "on": first}, headers=compliance)
    assert answer.status_code == 201
    assert answer.json()["outcome"] == "recorded"
    (event,) = harness.ledger_events(report_ids[0], LedgerStep.EVENT)
    assert event["actor"] == "compliance-1" and event["details"] == {"event": "last_contact", "on": first}

    again = harness.client.post(path, json={"name": "last_contact", "on": first}, headers=compliance)
    assert (again.status_code, again.json()["outcome"]) == (200, "already_recorded")
    moved = harness.client.post(path, json={"name": "last_contact", "on": second}, headers=compliance)
    assert moved.status_code == 201
    assert moved.json() == {
        "name": "last_contact",
        "on": second,
        "outcome": "changed",
        "replaces": first,
        "replaces_seq": event["seq"],
    }
    assert len(harness.ledger_events(report_ids[0], LedgerStep.EVENT)) == 2

    for body, message in (
        ({"name": "contract_end", "on": first}, "the policies in force wait for: last_contact"),
        ({"name": "last_contcat", "on": first}, "did you mean last_contact?"),
        ({"name": "last_contact", "on": str(today + dt.timedelta(days=1))}, "after today"),
        ({"name": "last_contact", "on": str(today - dt.timedelta(days=10))}, "before the intervention"),
    ):
        refused = harness.client.post(path, json=body, headers=compliance)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "retention_refused")
        assert message in refused.json()["error"]["message"]
    assert len(harness.ledger_events(report_ids[0], LedgerStep.EVENT)) == 2


def test_certificates_of_disposition_and_the_register_of_disposed_items(harness: ApiHarness) -> None:
    import hashlib
    import json

    samples = sample_reports(4, seed=31)
    ids = [harness.capture(s.payload)["report_id"] for s in samples]
    for report_id in ids:
        harness.context.app.intake.validate(report_id)  # indexes the people it names
    client, auditor = harness.client, harness.auth("auditor")
    live = client.get(f"/api/v1/reports/{ids[0]}/certificate", headers=auditor)
    assert (live.status_code, live.json()["error"]["code"]) == (409, "certificate_unavailable")
    assert "not disposed of" in live.json()["error"]["message"]
    erased: list[str] = []
    for sample in samples:
        email = sample.payload["client"].get("email")
        if not email:
            continue
        answer = client.post(
            "/api/v1/subjects/erase",
            json={"email": email, "confirm": True},
            headers=harness.auth("compliance"),
        ).json()
        erased += [o["report_id"] for o in answer["outcomes"] if o["result"] == "erased"]
    assert erased, f"no sample report could be erased: {answer}"
    report_id = erased[0]
    pdf = client.get(f"/api/v1/reports/{report_id}/certificate", headers=auditor)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    raw = client.get(f"/api/v1/reports/{report_id}/certificate", params={"document": "json"}, headers=auditor)
    certificate = json.loads(raw.content)
    assert certificate["report_id"] == report_id and certificate["requested_by"] == "compliance-1"
    (shred,) = harness.ledger_events(report_id, LedgerStep.SHRED)
    assert shred["details"]["certificate_sha256"] == hashlib.sha256(raw.content).hexdigest()
    (certify,) = harness.ledger_events(report_id, LedgerStep.CERTIFY)
    assert certify["details"]["certificate_pdf_sha256"] == hashlib.sha256(pdf.content).hexdigest()
    today = dt.datetime.now(dt.UTC).date()
    register = client.get("/api/v1/retention/disposed", params={"since": str(today)}, headers=auditor).json()
    assert {r["report_id"] for r in register} == set(erased)
    assert all(r["pdf_issued"] and r["purpose"] == "erasure_request" for r in register)
    backwards = client.get(
        "/api/v1/retention/disposed",
        params={"since": str(today), "until": str(today - dt.timedelta(days=1))},
        headers=auditor,
    )
    assert (backwards.status_code, backwards.json()["error"]["code"]) == (422, "invalid_period")


def test_a_report_edited_in_the_database_is_planned_and_explained_as_tampered(
    harness: ApiHarness, report_ids: list[str]
) -> None:
    from sqlalchemy import update

    from storage.models import ReportRecord

    with harness.context.app.store.database.session() as session:
        session.execute(
            update(ReportRecord)
            .where(ReportRecord.id == report_ids[0])
            .values(intervention_date=dt.date(1986, 1, 10))
        )
    auditor = harness.auth("auditor")
    plan = harness.client.get("/api/v1/retention/plan", headers=auditor).json()
    statuses = {i["report_id"]: i["status"] for i in plan["items"]}
    assert statuses.get(report_ids[0]) == "tampered", plan
    assert plan["counts"]["tampered"] == 1
    explained = harness.client.get(f"/api/v1/reports/{report_ids[0]}/retention", headers=auditor).json()
    assert any("retention facts" in p for p in explained["tampered"]), explained
    other = harness.client.get(f"/api/v1/reports/{report_ids[1]}/retention", headers=auditor).json()
    assert other["tampered"] == []
