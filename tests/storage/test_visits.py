"""Planned follow-up visits (storage.visits, reports.visit_plan) on SQLite and PostgreSQL.

A visit is planned from an unfinished, accepted report; its row and its ledger entries hold
ids, days, slots and technicians' identifiers only, its plan is ciphertext under the
report's data key, and erasing the report leaves nothing of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from reports.intake import Intake, Submission
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from reports.visit_plan import CARRIED_OVER_STATUSES, form_prefill, plan_followup, read_visit_plan
from storage.access_store import AccessStore, Role
from storage.equipment import EquipmentStore
from storage.erasure import ShredRequest, shred_reports
from storage.errors import InvalidTransitionError, KeyDestroyedError, ReportNotFoundError
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import BlobRecord, ReportRecord
from storage.report_store import ReportStore
from storage.state_integrity import check_stored_state
from storage.states import ReportState
from storage.visit_integrity import check_visit_state
from storage.visits import (
    PlannedVisitRecord,
    VisitError,
    VisitSlot,
    VisitStatus,
    VisitStore,
    VisitTamperedError,
)

CLIENT = "Philomène Traçable-Unique"
STREET = "17 impasse des Témoins"
DAY = dt.date(2026, 12, 14)


def _payload(*, unfinished: bool, seed: int = 5) -> dict[str, Any]:
    samples = generate_samples(
        TemplateCatalog.load(), 12, seed=seed, photo_size=(32, 24), invalid_share=0, unfinished_share=0.5
    )
    sample = next(s for s in samples if s.unfinished == unfinished and s.template_id.startswith("chaudiere"))
    payload = copy.deepcopy(sample.payload)
    payload["client"]["name"] = CLIENT
    payload["client"]["address"]["street"] = STREET
    if unfinished:
        payload["checklist"][0] = {
            **payload["checklist"][0],
            "status": "non_fait",
            "comment": "Joint à changer",
        }
    return payload


def _accepted(intake: Intake, payload: dict[str, Any]) -> str:
    outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json"))
    assert outcome.accepted, outcome
    return outcome.report.id


@pytest.fixture(autouse=True)
def technicians(store: ReportStore) -> None:
    """The technicians' accounts a visit names (a planner, an auditor and a disabled one beside)."""
    access = AccessStore(store)
    for handle in ("tech-001", "tech-002", "tech-003", "tech-007", "tech-old"):
        access.add_user(handle, Role.TECHNICIAN, actor="test")
    access.add_user("planner-1", Role.PLANNER, actor="test")
    access.disable_user("tech-old", actor="test")


@pytest.fixture
def unfinished(intake: Intake) -> str:
    return _accepted(intake, _payload(unfinished=True))


def _entries(store: ReportStore, *steps: LedgerStep) -> list[dict[str, Any]]:
    return [decode_entry(e.entry) for e in store.ledger.entries_with_step(*steps)]


def test_a_visit_carries_over_what_the_unfinished_report_left(store: ReportStore, unfinished: str) -> None:
    number = store.get(unfinished).number
    assert number is not None
    visit = plan_followup(
        store,
        number,
        day=DAY,
        slot=VisitSlot.MORNING,
        technicians=["tech-001", "tech-002"],
        planner_note="RDV confirmé",
    )
    assert visit.status == VisitStatus.PLANNED and visit.continues_number == number
    assert visit.technicians == ("tech-001", "tech-002") and visit.day == DAY
    plan = read_visit_plan(store.acting_as("planner-1"), visit.id)
    assert plan.client.name == CLIENT and plan.continues_number == number
    assert plan.unfinished_items and {i.status for i in plan.unfinished_items} <= CARRIED_OVER_STATUSES
    assert plan.unfinished_items[0].comment == "Joint à changer"
    assert plan.reason and plan.planner_note == "RDV confirmé"
    prefill = form_prefill(plan)
    assert prefill["continues"] == number and prefill["client.name"] == CLIENT
    assert prefill["client.address.street"] == STREET
    read = _entries(store, LedgerStep.READ)[-1]
    assert read["actor"] == "planner-1" and read["details"] == {"document": "visit_plan", "visit": visit.id}


def test_rows_blobs_and_ledger_entries_hold_no_personal_data(
    store: ReportStore, unfinished: str, tmp_path: Path
) -> None:
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    visits = VisitStore(store)
    visits.move(visit.id, day=DAY + dt.timedelta(days=1), slot=VisitSlot.AFTERNOON)
    visits.cancel(visit.id, reason="client_request")
    with store.database.session() as session:
        row = session.execute(select(PlannedVisitRecord.__table__)).one()
    assert CLIENT not in repr(row) and STREET not in repr(row)
    entries = _entries(store, LedgerStep.VISIT_PLAN, LedgerStep.VISIT_MOVE, LedgerStep.VISIT_CANCEL)
    assert [e["step"] for e in entries] == ["visit.plan", "visit.move", "visit.cancel"]
    for entry in entries:
        assert entry["report"] == unfinished and entry["details"]["visit"] == visit.id
        assert CLIENT not in json.dumps(entry) and "Joint" not in json.dumps(entry)
    assert entries[1]["details"] == {
        "visit": visit.id,
        "day": "2026-12-15",
        "slot": "apres_midi",
        "technicians": ["tech-001"],
        "replaces": "2026-12-14",
    }
    assert entries[2]["details"]["reason"] == "client_request"
    # The plan is a blob of the report: ciphertext on disk, its hash in the plan entry.
    with store.database.session() as session:
        blob = session.scalars(select(BlobRecord).where(BlobRecord.kind == "visit_plan")).one()
    assert entries[0]["artifacts"] == {blob.id: blob.ciphertext_sha256}
    on_disk = (tmp_path / "blobs" / unfinished / blob.id).read_bytes()
    assert CLIENT.encode() not in on_disk and b"Philom" not in on_disk


def test_what_cannot_be_planned_is_refused_saying_why(
    store: ReportStore, intake: Intake, unfinished: str
) -> None:
    completed = _accepted(intake, _payload(unfinished=False, seed=7))
    with pytest.raises(VisitError, match="not an unfinished intervention"):
        plan_followup(store, completed, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with pytest.raises(ReportNotFoundError):
        plan_followup(store, "RI-2026-999999", day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with pytest.raises(VisitError, match="not an identifier") as typed_a_name:
        plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["Jean Dupont"])
    assert "Dupont" not in str(typed_a_name.value)  # a name typed by mistake is not repeated
    with pytest.raises(VisitError, match="at least one technician"):
        plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=[" "])
    first = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with pytest.raises(VisitError, match=f"already has visit {first.id} planned"):
        plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with pytest.raises(VisitError, match="not a code") as free_text:
        VisitStore(store).cancel(first.id, reason="Mme Dupont a appelé")
    assert "Dupont" not in str(free_text.value)


def test_moving_to_the_same_values_records_nothing_and_a_cancelled_visit_stays_put(
    store: ReportStore, unfinished: str
) -> None:
    visits = VisitStore(store)
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.MORNING, technicians=["tech-001"])
    assert visits.move(visit.id, day=DAY, slot=VisitSlot.MORNING)[1] is False
    assert _entries(store, LedgerStep.VISIT_MOVE) == []
    moved, changed = visits.move(visit.id, technicians=["tech-002", "tech-003"])
    assert changed and moved.technicians == ("tech-002", "tech-003")
    assert visits.cancel(visit.id, reason="replanned")[1] is True
    assert visits.cancel(visit.id, reason="replanned")[1] is False
    with pytest.raises(InvalidTransitionError, match="cancelled"):
        visits.move(visit.id, day=DAY)
    # Cancelled, it leaves the week; a new visit may then be planned for the same report.
    assert visits.visits(technician="tech-002") == []
    again = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-002"])
    assert [v.id for v in visits.visits(technician="tech-002")] == [again.id]
    assert [v.id for v in visits.visits(technician="tech-001")] == []


def test_the_week_lists_each_technicians_visits_by_day(store: ReportStore, intake: Intake) -> None:
    ids = [_accepted(intake, _payload(unfinished=True, seed=seed)) for seed in (21, 22, 23)]
    for offset, report_id in zip((2, 0, 9), ids, strict=True):
        plan_followup(
            store,
            report_id,
            day=DAY + dt.timedelta(days=offset),
            slot=VisitSlot.MORNING,
            technicians=["tech-007"],
        )
    week = VisitStore(store).visits(since=DAY, until=DAY + dt.timedelta(days=6), technician="tech-007")
    assert [v.continues_report_id for v in week] == [ids[1], ids[0]]


def test_erasing_the_report_leaves_nothing_of_its_visit(store: ReportStore, unfinished: str) -> None:
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    assert shred_reports(store, [ShredRequest(unfinished, "subject_request")]) == [unfinished]
    visits = VisitStore(store)
    assert visits.visits(status=None) == []
    with pytest.raises(ReportNotFoundError):
        visits.get(visit.id)
    with store.database.session() as session:
        assert session.execute(text("SELECT count(*) FROM planned_visits")).scalar() == 0
    with pytest.raises(KeyDestroyedError):
        store.keystore.get(unfinished)
    # The ledger keeps its ids-only entries: the proofs still verify.
    assert [e["details"]["visit"] for e in _entries(store, LedgerStep.VISIT_PLAN)] == [visit.id]


def test_the_report_that_continues_a_visit_marks_it_done_once_accepted(
    store: ReportStore, intake: Intake, unfinished: str
) -> None:
    number = store.get(unfinished).number
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    follow_up = _payload(unfinished=False, seed=7) | {"continues": number, "submission_id": "suite-1"}
    continuing = _accepted(intake, follow_up)
    done = VisitStore(store).get(visit.id)
    assert done.status == VisitStatus.DONE and done.continued_by_report_id == continuing
    (entry,) = _entries(store, LedgerStep.VISIT_CONTINUE)
    assert entry["report"] == unfinished and entry["details"]["continued_by"] == continuing
    # A report that continues an unknown number, or one already continued, changes nothing.
    other = _payload(unfinished=False, seed=9) | {"continues": "RI-2099-000001", "submission_id": "suite-2"}
    _accepted(intake, other)
    assert len(_entries(store, LedgerStep.VISIT_CONTINUE)) == 1


def test_a_restricted_report_is_not_planned_and_its_plan_not_read(
    store: ReportStore, unfinished: str
) -> None:
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with store.database.session() as session:
        session.execute(
            update(ReportRecord).where(ReportRecord.id == unfinished).values(restriction_reason="legal_hold")
        )
    with pytest.raises(VisitError, match="restricted") as refused:
        read_visit_plan(store, visit.id)
    assert CLIENT not in str(refused.value)
    VisitStore(store).cancel(visit.id, reason="replanned")
    with pytest.raises(VisitError, match="restricted"):
        plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])


@pytest.mark.parametrize(
    "technician", ["jeanne.leroy@exemple.fr", "dupont", "0611223344", "planner-1", "tech-old"]
)
def test_a_technician_is_an_enabled_technicians_account(
    store: ReportStore, unfinished: str, technician: str
) -> None:
    """An e-mail, a surname or a phone number typed as an "identifier" would sit in the signed
    ledger for good (found by the round-4 adversary): only technicians' accounts are taken."""
    with pytest.raises(VisitError, match="technician 2 is not an enabled technician's account") as refused:
        plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001", technician])
    assert technician not in str(refused.value)
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    with pytest.raises(VisitError, match="not an enabled technician's account"):
        VisitStore(store).move(visit.id, technicians=[technician])
    ledger = json.dumps(_entries(store, LedgerStep.VISIT_PLAN, LedgerStep.VISIT_MOVE))
    assert technician not in ledger


# -- rows edited beside the ledger (storage.visit_integrity) -----------------------------------

_EDITS: dict[str, dict[str, Any]] = {
    "technicians": {"technicians": ["tech-002"]},
    "day": {"day": DAY + dt.timedelta(days=3)},
    "slot": {"slot": VisitSlot.AFTERNOON.value},
    "status": {"status": VisitStatus.CANCELLED.value},
    "continued_by": {"continued_by_report_id": "RI-01JZZZZZZZZZZZZZZZZZZZZZZZ"},
    "template": {"template_id": "ascenseur.maintenance"},
}


def _moved_twice(store: ReportStore, unfinished: str) -> str:
    visits = VisitStore(store)
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.MORNING, technicians=["tech-001"])
    visits.move(visit.id, day=DAY + dt.timedelta(days=1), technicians=["tech-001", "tech-003"])
    visits.move(visit.id, slot=VisitSlot.DAY)
    return visit.id


def test_a_visit_moved_by_quitus_is_what_its_entries_say(store: ReportStore, unfinished: str) -> None:
    visit_id = _moved_twice(store, unfinished)
    visit = VisitStore(store).get(visit_id)
    assert visit.tampered == () and visit.technicians == ("tech-001", "tech-003")
    assert check_visit_state(store) == []
    VisitStore(store).cancel(visit_id, reason="replanned")
    assert check_visit_state(store) == []


@pytest.mark.parametrize("edit", sorted(_EDITS))
def test_a_visit_row_edited_beside_the_ledger_is_refused_and_reported(
    store: ReportStore, unfinished: str, edit: str
) -> None:
    """Found by the round-4 adversary (the crew): the signed entries decide who sees a visit and
    when; a row that differs is tampered — its plan is not read, it is not moved, cancelled or
    closed (which would sign the edit) — and `audit verify` names it."""
    visit_id = _moved_twice(store, unfinished)
    with store.database.session() as session:
        session.execute(
            update(PlannedVisitRecord).where(PlannedVisitRecord.id == visit_id).values(**_EDITS[edit])
        )
    visits = VisitStore(store)
    shown = visits.get(visit_id)
    assert shown.tampered, edit
    # What a reader is shown is the signed visit, not the edited row.
    assert shown.technicians == ("tech-001", "tech-003") and shown.day == DAY + dt.timedelta(days=1)
    assert shown.status == VisitStatus.PLANNED and shown.slot == VisitSlot.DAY
    assert [v.id for v in visits.visits(technician="tech-001", since=DAY)] == [visit_id]
    assert visits.visits(technician="tech-002") == []
    with pytest.raises(VisitTamperedError, match="audit verify") as refused:
        read_visit_plan(store, visit_id)
    assert CLIENT not in str(refused.value)
    with pytest.raises(VisitTamperedError):
        visits.move(visit_id, day=DAY)
    with pytest.raises(VisitTamperedError):
        visits.cancel(visit_id, reason="replanned")
    with pytest.raises(VisitTamperedError):
        visits.mark_continued(visit_id, "RI-01JYYYYYYYYYYYYYYYYYYYYYYY")
    problems = check_visit_state(store)
    assert problems and all(p.startswith(f"visit {visit_id}: ") for p in problems), problems
    assert CLIENT not in json.dumps(problems)


def test_a_visit_row_added_or_deleted_by_hand_is_reported(store: ReportStore, unfinished: str) -> None:
    visit_id = _moved_twice(store, unfinished)
    with store.database.session() as session:
        row = session.get(PlannedVisitRecord, visit_id)
        assert row is not None
        forged = PlannedVisitRecord(
            id="PV-00000000000000ff",
            continues_report_id=unfinished,
            template_id=row.template_id,
            day=DAY,
            slot=VisitSlot.DAY.value,
            technicians=["tech-002"],
            status=VisitStatus.PLANNED.value,
            plan_blob_id=row.plan_blob_id,
        )
        session.add(forged)
    forged_row = VisitStore(store).get("PV-00000000000000ff")
    assert forged_row.tampered and forged_row.technicians == ()  # no one's: no entry planned it
    assert VisitStore(store).visits(technician="tech-002") == []
    assert any("PV-00000000000000ff" in p and "added by hand" in p for p in check_visit_state(store))
    with store.database.session() as session:
        session.execute(delete_visit(visit_id))
    assert any(visit_id in p and "deleted" in p for p in check_visit_state(store))


def delete_visit(visit_id: str) -> Any:
    return delete(PlannedVisitRecord).where(PlannedVisitRecord.id == visit_id)


def test_audit_verify_runs_the_visit_check(store: ReportStore, unfinished: str) -> None:
    visit_id = _moved_twice(store, unfinished)
    assert check_stored_state(store) == []
    with store.database.session() as session:
        session.execute(
            update(PlannedVisitRecord)
            .where(PlannedVisitRecord.id == visit_id)
            .values(technicians=["tech-002"])
        )
    assert any(p.startswith(f"visit {visit_id}: its technicians") for p in check_stored_state(store))


def test_a_crash_while_accepting_the_continuing_report_leaves_both_or_neither(
    store: ReportStore, intake: Intake, unfinished: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the acceptance committed, then the visit was closed in a transaction of its own;
    a crash between them left the report validated and its visit planned for good (a retry
    found nothing to validate). Now both are one transaction: a crash undoes both, the retry
    does both."""
    number = store.get(unfinished).number
    visit = plan_followup(store, unfinished, day=DAY, slot=VisitSlot.DAY, technicians=["tech-001"])
    follow_up = _payload(unfinished=False, seed=7) | {"continues": number, "submission_id": "suite-crash"}
    follow_up["equipment"]["serial_number"] = "SN-CRASH-1"

    def crash(*args: object, **kwargs: object) -> str:
        raise OSError("the machine went down")

    monkeypatch.setattr(EquipmentStore, "record_intervention_in", crash)
    with pytest.raises(OSError, match="went down"):
        intake.ingest(Submission(json.dumps(follow_up).encode(), "json"))
    [captured] = [r for r in store.list_reports() if r.id not in (unfinished,)]
    assert captured.state == ReportState.CAPTURED and captured.number is None
    assert VisitStore(store).get(visit.id).status == VisitStatus.PLANNED
    assert _entries(store, LedgerStep.VISIT_CONTINUE) == []
    monkeypatch.undo()
    retried = intake.validate(captured.id)
    assert retried.accepted and retried.report.state == ReportState.VALIDATED
    done = VisitStore(store).get(visit.id)
    assert done.status == VisitStatus.DONE and done.continued_by_report_id == captured.id
    assert check_stored_state(store) == []
