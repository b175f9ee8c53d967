"""``/api/v1/visits`` through the real application: the planner plans, the technician reads
their own, every change and read is in the ledger, and erasing the client leaves nothing.

The erasure goes through the existing subject-erasure path (``POST /api/v1/subjects/erase``,
the disposal gate, ``shred_reports``); the access answer (``/subjects/export``) names the
visits planned for the person.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.access_store import Role
from storage.states import ReportState
from tests.api_client import ApiHarness, open_harness, sample_reports

pytestmark = pytest.mark.slow  # a fresh installation per test

CLIENT = "Honorine Effaçable-Témoin"
EMAIL = "honorine.temoin@exemple.fr"
STREET = "3 allée des Preuves"


def unfinished_payload(seed: int = 3) -> dict[str, Any]:
    """An unfinished boiler intervention of a private client (no obligation keeps it)."""
    samples = generate_samples(
        TemplateCatalog.load(), 16, seed=seed, photo_size=(32, 24), invalid_share=0, unfinished_share=0.6
    )
    sample = next(s for s in samples if s.unfinished and s.template_id.startswith("chaudiere"))
    payload = copy.deepcopy(sample.payload)
    payload["client"] |= {"kind": "particulier", "name": CLIENT, "email": EMAIL}
    payload["client"].pop("company_name", None)
    payload["client"]["address"]["street"] = STREET
    payload["tags"] = []
    payload["equipment"]["serial_number"] = "SN-VISIT-0001"
    recent = sample_reports(1)[0].payload["arrival"][:10]
    day = payload["arrival"][:10]
    return json.loads(json.dumps(payload).replace(f'"{day}T', f'"{recent}T'))


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home") as harness:
        harness.add_user("planner-2", Role.PLANNER)
        yield harness


def _accepted_unfinished(harness: ApiHarness) -> tuple[str, str]:
    report_id = harness.capture(unfinished_payload(), "technician-1")["report_id"]
    harness.context.app.intake.validate(report_id)
    summary = harness.context.app.store.get(report_id)
    assert summary.state == ReportState.VALIDATED and summary.number
    return report_id, summary.number


def _plan(harness: ApiHarness, number: str, **changes: Any) -> Any:
    body = {"report": number, "day": "2030-03-04", "slot": "matin", "technicians": ["technician-1"]} | changes
    return harness.client.post("/api/v1/visits", json=body, headers=harness.auth("planner"))


def test_the_planner_plans_and_the_technician_reads_their_visit(harness: ApiHarness) -> None:
    report_id, number = _accepted_unfinished(harness)
    planned = _plan(harness, number, note="Sonner au 2e")
    assert planned.status_code == 201, planned.text
    visit = planned.json()["visit"]
    assert visit["continues"] == number and visit["technicians"] == ["technician-1"]
    assert CLIENT not in planned.text  # the change answer is ids only

    mine = harness.client.get("/api/v1/visits", headers=harness.auth("technician-1"))
    assert [v["id"] for v in mine.json()["visits"]] == [visit["id"]]
    assert CLIENT not in mine.text
    # Another technician sees neither the list entry nor the plan, even by asking for it.
    theirs = harness.client.get(
        "/api/v1/visits", params={"technician": "technician-1"}, headers=harness.auth("technician-2")
    )
    assert theirs.json()["visits"] == []
    hidden = harness.client.get(f"/api/v1/visits/{visit['id']}", headers=harness.auth("technician-2"))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "visit_not_found"

    detail = harness.client.get(f"/api/v1/visits/{visit['id']}", headers=harness.auth("technician-1"))
    assert detail.status_code == 200, detail.text
    plan = detail.json()["plan"]
    assert plan["client"]["name"] == CLIENT and plan["continues_number"] == number
    assert plan["planner_note"] == "Sonner au 2e"
    assert plan["reason"] and plan["unfinished_items"] is not None
    assert detail.json()["prefill_url"] == f"/technicien/visites/{visit['id']}/rapport"
    reads = harness.ledger_events(report_id, "read")
    assert reads[-1]["actor"] == "technician-1"
    assert reads[-1]["details"] == {"document": "visit_plan", "visit": visit["id"]}
    planned_entry = harness.ledger_events(report_id, "visit.plan")[0]
    assert planned_entry["actor"] == "planner-1" and CLIENT not in json.dumps(planned_entry)


def test_move_and_cancel_are_the_planners_and_recorded(harness: ApiHarness) -> None:
    report_id, number = _accepted_unfinished(harness)
    visit_id = _plan(harness, number).json()["visit"]["id"]
    path = f"/api/v1/visits/{visit_id}"
    refused = harness.client.post(
        f"{path}/move", json={"day": "2030-03-05"}, headers=harness.auth("technician-1")
    )
    assert refused.status_code == 403
    moved = harness.client.post(
        f"{path}/move",
        json={"day": "2030-03-05", "technicians": ["technician-1", "technician-2"]},
        headers=harness.auth("planner-2"),
    )
    assert moved.status_code == 200 and moved.json()["changed"] is True
    assert moved.json()["visit"]["technicians"] == ["technician-1", "technician-2"]
    # Now technician-2 is assigned: they read it.
    assert harness.client.get(path, headers=harness.auth("technician-2")).status_code == 200
    nothing = harness.client.post(f"{path}/move", json={}, headers=harness.auth("planner"))
    assert nothing.status_code == 422
    again = _plan(harness, number)
    assert again.status_code == 409 and again.json()["error"]["code"] == "visit_refused"
    assert visit_id in again.json()["error"]["message"]
    free_text = harness.client.post(
        f"{path}/cancel", json={"reason": "Mme Effaçable a appelé"}, headers=harness.auth("planner")
    )
    assert free_text.status_code == 422 and CLIENT not in free_text.text
    cancelled = harness.client.post(
        f"{path}/cancel", json={"reason": "client_request"}, headers=harness.auth("planner")
    )
    assert cancelled.json()["visit"]["status"] == "cancelled"
    steps = [e["step"] for e in harness.ledger_events(report_id) if e["step"].startswith("visit.")]
    assert steps == ["visit.plan", "visit.move", "visit.cancel"]
    assert harness.ledger_events(report_id, "visit.move")[0]["actor"] == "planner-2"


def test_a_completed_report_or_an_unknown_one_is_not_planned(harness: ApiHarness) -> None:
    finished = harness.capture(sample_reports(1)[0].payload)["report_id"]
    harness.context.app.intake.validate(finished)
    refused = _plan(harness, finished)
    assert (
        refused.status_code == 409 and "not an unfinished intervention" in refused.json()["error"]["message"]
    )
    unknown = _plan(harness, "RI-2030-999999")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "report_not_found"


def test_erasing_the_client_leaves_nothing_in_visits_or_equipment(harness: ApiHarness) -> None:
    report_id, number = _accepted_unfinished(harness)
    visit_id = _plan(harness, number, note="Digicode 1234B").json()["visit"]["id"]
    app = harness.context.app
    with app.database.session() as session:
        assert session.execute(text("SELECT count(*) FROM equipment_interventions")).scalar() == 1

    # Subject access first: the answer names the visit planned for the person.
    export = harness.client.post(
        "/api/v1/subjects/export", json={"email": EMAIL}, headers=harness.auth("compliance")
    )
    assert export.status_code == 200, export.text
    answer = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("subject.json"))
    (entry,) = [r for r in answer["reports"] if r["report_id"] == report_id]
    assert entry["planned_visits"] == [
        {"visit": visit_id, "day": "2030-03-04", "slot": "matin", "status": "planned"}
    ]

    erased = harness.client.post(
        "/api/v1/subjects/erase", json={"email": EMAIL, "confirm": True}, headers=harness.auth("compliance")
    )
    assert erased.status_code == 200, erased.text
    assert [o["result"] for o in erased.json()["outcomes"]] == ["erased"]

    assert harness.client.get(
        "/api/v1/visits", params={"status": "all"}, headers=harness.auth("planner")
    ).json() == {"visits": []}
    gone = harness.client.get(f"/api/v1/visits/{visit_id}", headers=harness.auth("planner"))
    assert gone.status_code == 404
    with app.database.session() as session:
        assert session.execute(text("SELECT count(*) FROM planned_visits")).scalar() == 0
        # Nor in the equipment register: the unit was known from this report only.
        assert session.execute(text("SELECT count(*) FROM equipment_interventions")).scalar() == 0
        assert session.execute(text("SELECT count(*) FROM equipment")).scalar() == 0
    # The plan's file went with the report's blobs.
    assert not (harness.settings.blob_dir / report_id).exists()
    # Nothing of the client anywhere in the database file, the blob store or the ledger.
    needles = [CLIENT.encode(), STREET.encode(), EMAIL.encode(), b"Digicode 1234B"]
    for path in [*harness.settings.home.rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert not any(needle in data for needle in needles), path
    # The ledger keeps the visit's ids-only history; the proofs still verify.
    assert [e["details"]["visit"] for e in harness.ledger_events(report_id, "visit.plan")] == [visit_id]
    verified = harness.client.post("/api/v1/ledger/verify", headers=harness.auth("auditor"))
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text


def test_the_equipment_history_answers_technical_data_only(harness: ApiHarness) -> None:
    _, number = _accepted_unfinished(harness)
    unit = unfinished_payload()["equipment"]
    params = {
        "category": unit["category"],
        "brand": unit["brand"],
        "model": unit["model"],
        "serial": unit["serial_number"],
    }
    answer = harness.client.get(
        "/api/v1/equipment/history", params=params, headers=harness.auth("technician-2")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["number"] for i in body["interventions"]] == [number]
    assert body["interventions"][0]["outcome"] == "unfinished" and number in body["lines"][0]
    assert CLIENT not in answer.text and STREET not in answer.text
    unknown = harness.client.get(
        "/api/v1/equipment/history", params={**params, "serial": "AUTRE-1"}, headers=harness.auth("planner")
    )
    assert unknown.json() == {"interventions": [], "lines": []}
    assert (
        harness.client.get(
            "/api/v1/equipment/history", params=params, headers=harness.auth("auditor")
        ).status_code
        == 403
    )
