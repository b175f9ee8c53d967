"""Legal holds that cannot be bypassed, on SQLite and PostgreSQL.

A hold's reason is free text kept encrypted; a hold that covers nothing is refused; the
holds in force come from the signed ledger, so editing ``legal_holds`` by hand lifts none,
and :func:`check_retention_state` (``quitus audit verify``) reports every edit of the
retention tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from policies.loading import PolicySet
from retention.clock import FixedClock
from retention.errors import HoldError
from retention.executor import run_retention
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.planner import plan_dispositions
from retention.review import ReviewQueue
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LegalHoldRecord, NoteRecord, ReportEventRecord, utcnow
from storage.report_store import ReportStore
from storage.retention_integrity import check_retention_state
from storage.retention_vocabulary import DisposalPurpose, DisposalRefusal, HoldScope
from storage.states import ReportState
from tests.retention.conftest import MakeReport

LATER = dt.date(2030, 1, 1)
TEMPLATES = ("climatisation.mise_en_service", "chaudiere_gaz.entretien")
REASON = "Litige avec Mme Julien (courrier du 3 mars) : ne rien détruire"


def hold_entries(store: ReportStore, step: LedgerStep = LedgerStep.HOLD_PLACE) -> list[dict[str, Any]]:
    return [decode_entry(e.entry) for e in store.ledger.entries_with_step(step)]


def held_in_plan(store: ReportStore, policies: PolicySet) -> dict[str, tuple[str, ...]]:
    return {
        p.report_id: p.held_by for p in plan_dispositions(store, policies, HoldService(store).active(), LATER)
    }


def sql(store: ReportStore, statement: str, **params: Any) -> None:
    """What someone with the database file does: a statement of their own, no ledger entry."""
    with store.database.engine.begin() as connection:
        connection.execute(text(statement), params)


@contextmanager
def bypassing_the_ledger_triggers(store: ReportStore) -> Iterator[Connection]:
    """A connection with the ledger's append-only triggers out of the way (a database admin)."""
    database = store.database
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        yield connection
        for _, statement in triggers:
            connection.execute(text(statement))


# -- free-text reasons ------------------------------------------------------------------------


def test_a_reason_is_free_text_kept_encrypted_and_the_ledger_names_it_by_hash(
    store: ReportStore, make_report: MakeReport
) -> None:
    report = make_report(kind="professionnel")
    hold = HoldService(store).place(
        reason=f"  {REASON}  ", scope_kind="reports", scope={"report_ids": [report]}
    )
    assert hold.reason == REASON

    [entry] = hold_entries(store)
    details = entry["details"]
    assert details["hold"] == hold.id and details["scope"] == HoldScope.REPORTS
    assert details["report_ids"] == [report]
    assert "Julien" not in str(entry) and "reason" not in details
    with store.database.session() as session:
        row = session.get(LegalHoldRecord, hold.id)
        assert row is not None and row.reason == details["reason_note"]
        note = session.get(NoteRecord, row.reason)
        assert note is not None and note.ciphertext_sha256 == details["reason_sha256"]
        assert b"Julien" not in bytes(note.ciphertext)
    [listed] = HoldService(store).list()
    assert (listed.id, listed.reason) == (hold.id, REASON)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001], ids=["empty", "blank", "too-long"])
def test_a_reason_must_say_something_in_at_most_2000_characters(
    store: ReportStore, make_report: MakeReport, reason: str
) -> None:
    report = make_report()
    size = store.ledger.size()
    with pytest.raises(HoldError, match="reason"):
        HoldService(store).place(reason=reason, scope_kind="reports", scope={"report_ids": [report]})
    assert store.ledger.size() == size and HoldService(store).list() == []


# -- what is refused --------------------------------------------------------------------------

REFUSED = [
    pytest.param(
        {"scope_kind": "query", "scope": {"template_id": "climatisation.mise_en_servise"}},
        "no template climatisation.mise_en_servise: did you mean climatisation.mise_en_service?",
        True,
        id="unknown-template-even-allowing-empty",
    ),
    pytest.param(
        {"scope_kind": "query", "scope": {"template_id": "chaudiere_gaz.entretien"}},
        "no report matches this query",
        False,
        id="query-matching-nothing",
    ),
    pytest.param(
        {
            "scope_kind": "query",
            "scope": {"intervention_from": "2001-01-01", "intervention_to": "2002-12-31"},
        },
        "no report matches this query",
        False,
        id="dates-matching-nothing",
    ),
    pytest.param(
        {
            "scope_kind": "query",
            "scope": {"intervention_from": "2021-01-01", "intervention_to": "2020-01-01"},
        },
        "is after intervention_to",
        True,
        id="dates-that-can-never-match",
    ),
    pytest.param(
        {"scope_kind": "query", "scope": {"couleur": "rouge"}},
        "a query hold takes",
        True,
        id="unknown-query-field",
    ),
    pytest.param(
        {"scope_kind": "reports", "scope": {"report_ids": ["RI-NOSUCHREPORT"]}},
        "no report RI-NOSUCHREPORT",
        True,
        id="unknown-report",
    ),
]


@pytest.mark.parametrize(("place", "message", "even_allowing_empty"), REFUSED)
def test_a_hold_that_covers_nothing_is_refused_with_what_to_do(
    store: ReportStore,
    make_report: MakeReport,
    place: dict[str, Any],
    message: str,
    even_allowing_empty: bool,
) -> None:
    make_report(day=dt.date(2020, 1, 10))
    service = HoldService(store)
    size = store.ledger.size()
    with pytest.raises(HoldError, match=message.replace("?", r"\?").replace("(", r"\(")):
        service.place(reason=REASON, known_templates=TEMPLATES, **place)
    if even_allowing_empty:
        with pytest.raises(HoldError, match=r"no |a query hold|is after"):
            service.place(reason=REASON, known_templates=TEMPLATES, allow_empty=True, **place)
    else:
        hold = service.place(reason=REASON, known_templates=TEMPLATES, allow_empty=True, **place)
        assert [h.id for h in service.list()] == [hold.id]
    with store.database.session() as session:
        notes = session.scalars(select(NoteRecord.id)).all()
    assert store.ledger.size() == size + (0 if even_allowing_empty else 1)
    assert len(notes) == (0 if even_allowing_empty else 1)  # a refused hold leaves no note behind


def test_a_hold_on_a_person_nobody_matches_is_refused_unless_allowed(
    store: ReportStore, make_report: MakeReport
) -> None:
    make_report(email="litige@exemple.fr")
    service = HoldService(store)
    with pytest.raises(HoldError, match="no report matches this person") as refused:
        service.place_on_subject(reason=REASON, terms=[("email", "litgie@exemple.fr")])
    assert "litgie" not in str(refused.value)  # an error message never quotes a person
    later = service.place_on_subject(reason=REASON, terms=[("email", "litgie@exemple.fr")], allow_empty=True)
    found = service.place_on_subject(reason=REASON, terms=[("email", "LITIGE@exemple.fr")])
    assert {h.id for h in service.list()} == {later.id, found.id}
    [digest] = hold_entries(store)[-1]["details"]["digests"]
    assert digest.startswith("email:") and "litige" not in digest


# -- holds come from the signed ledger --------------------------------------------------------


def test_a_hold_whose_row_was_deleted_still_holds_and_audit_verify_says_so(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    held = make_report(kind="professionnel")
    free = make_report(kind="professionnel")
    hold = HoldService(store).place(reason=REASON, scope_kind="reports", scope={"report_ids": [held]})
    assert check_retention_state(store) == []

    sql(store, "DELETE FROM legal_holds")
    assert held_in_plan(store, policies)[held] == (hold.id,)
    refused = DisposalGate(store, policies, clock=FixedClock(LATER)).dispose(
        [held], DisposalPurpose.ERASURE_REQUEST, reason="subject_request"
    )
    assert [r.rule for r in refused.refused] == [DisposalRefusal.HELD]
    run_retention(store, policies, clock=FixedClock(LATER))
    assert store.get(held).state != ReportState.ERASED
    assert store.get(free).state == ReportState.ERASED
    [listed] = HoldService(store).list()
    assert (listed.id, listed.reason) == (hold.id, REASON)  # listed from the ledger, reason and all
    [problem] = check_retention_state(store)
    assert f"legal hold {hold.id}" in problem and "row was deleted" in problem
    with pytest.raises(HoldError, match="table was edited by hand"):
        HoldService(store).release(hold.id)  # releasing would bless the edit


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        pytest.param(
            "UPDATE legal_holds SET released_at = placed_at", "no hold.release entry", id="released"
        ),
        pytest.param(
            "UPDATE legal_holds SET scope = :other, scope_kind = 'reports'", "its scope", id="scope"
        ),
        pytest.param("UPDATE legal_holds SET scope_kind = 'subject'", "its scope", id="scope-kind"),
        pytest.param("UPDATE legal_holds SET reason = 'note-0000'", "its reason", id="reason"),
    ],
)
def test_an_edited_hold_row_changes_nothing_and_is_reported(
    store: ReportStore, make_report: MakeReport, policies: PolicySet, edit: str, problem: str
) -> None:
    held = make_report(kind="professionnel")
    other = make_report(kind="professionnel")
    hold = HoldService(store).place(reason=REASON, scope_kind="reports", scope={"report_ids": [held]})
    sql(store, edit, other=f'{{"report_ids": ["{other}"]}}')
    plan = held_in_plan(store, policies)
    assert plan[held] == (hold.id,) and plan[other] == ()
    [found] = check_retention_state(store)
    assert f"legal hold {hold.id}" in found and problem in found


def test_a_row_added_by_hand_holds_too_and_is_reported(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    report = make_report(kind="professionnel")
    with store.database.session() as session:
        session.add(
            LegalHoldRecord(
                id="hold-forged00000",
                reason="RG-1",
                scope_kind="reports",
                scope={"report_ids": [report]},
                placed_by="nobody",
                placed_at=utcnow(),
            )
        )
    assert held_in_plan(store, policies)[report] == ("hold-forged00000",)  # holds win: never less
    [problem] = check_retention_state(store)
    assert "legal hold hold-forged00000" in problem and "added by hand" in problem


def test_a_released_hold_stays_released_whatever_the_table_says(
    store: ReportStore, make_report: MakeReport, policies: PolicySet
) -> None:
    report = make_report(kind="professionnel")
    service = HoldService(store)
    hold = service.place(reason=REASON, scope_kind="reports", scope={"report_ids": [report]})
    released = service.release(hold.id)
    assert released.released_at is not None and released.reason == REASON
    assert held_in_plan(store, policies)[report] == ()
    assert check_retention_state(store) == []
    with pytest.raises(HoldError, match="already released"):
        service.release(hold.id)
    assert [h.id for h in service.list(include_released=True)] == [hold.id]
    sql(store, "UPDATE legal_holds SET released_at = NULL")
    [problem] = check_retention_state(store)
    assert f"legal hold {hold.id}: released by ledger entry" in problem


@pytest.mark.parametrize(
    ("edit", "columns"),
    [
        pytest.param("step = 'capture'", "step 'capture', report None", id="step"),
        pytest.param("report_id = :report", "step 'hold.place', report 'RI-", id="report-id"),
    ],
)
def test_a_hold_entry_whose_columns_were_edited_is_reported(
    store: ReportStore, make_report: MakeReport, edit: str, columns: str
) -> None:
    """The columns beside an entry are not hashed: hiding a hold's entry from the readers
    that select on them is reported, from the entry's own text."""
    report = make_report(kind="professionnel")
    hold = HoldService(store).place(reason=REASON, scope_kind="reports", scope={"report_ids": [report]})
    with bypassing_the_ledger_triggers(store) as connection:
        connection.execute(
            text(f"UPDATE ledger_entries SET {edit} WHERE step = 'hold.place'"), {"report": report}
        )
    sql(store, "DELETE FROM legal_holds")
    problems = check_retention_state(store)
    assert any(
        f"columns say {columns}" in p and "entry is step 'hold.place', report None" in p for p in problems
    )
    assert any(f"legal hold {hold.id}" in p and "row was deleted" in p for p in problems), problems


# -- the review queue and events --------------------------------------------------------------


def record_event(store: ReportStore, report_id: str, name: str, on: dt.date) -> None:
    """A dated event as ``retention.events`` writes it: the row and its ``event`` entry."""
    with store.database.session() as session:
        row = session.get(ReportEventRecord, (report_id, name))
        if row is None:
            session.add(
                ReportEventRecord(report_id=report_id, name=name, occurred_on=on, recorded_at=utcnow())
            )
        else:
            row.occurred_on = on
        store.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.EVENT,
                    actor="test",
                    outcome="recorded",
                    report_id=report_id,
                    details={"event": name, "on": on.isoformat()},
                )
            ],
        )


@pytest.fixture
def queued(store: ReportStore, make_report: MakeReport, policies: PolicySet) -> list[str]:
    """Three reports queued for review (tag litige), one of each decided later."""
    ids = [make_report(kind="particulier", tags=("litige",)) for _ in range(3)]
    run_retention(store, policies, clock=FixedClock(dt.date(2023, 6, 1)))
    queue = ReviewQueue(store, policies, clock=FixedClock(dt.date(2023, 6, 1)))
    assert {i.report_id for i in queue.pending()} == set(ids)
    queue.extend(ids[1], dt.date(2099, 1, 1), reason="Mme Julien demande un délai")
    queue.relabel(ids[2], "anon-particuliers", reason="plus de litige")
    record_event(store, ids[0], "contract_end", dt.date(2021, 3, 1))
    record_event(store, ids[0], "contract_end", dt.date(2021, 4, 1))  # moved: the latest counts
    assert check_retention_state(store) == []
    return ids


@pytest.mark.parametrize(
    ("edit", "which", "problem"),
    [
        pytest.param(
            "UPDATE review_queue SET status = 'approved' WHERE report_id = :id", 0, "status", id="status"
        ),
        pytest.param(
            "UPDATE review_queue SET extended_until = '2199-01-01' WHERE report_id = :id",
            1,
            "extended_until",
            id="extended-until",
        ),
        pytest.param(
            "UPDATE review_queue SET override_policy = 'del-pros' WHERE report_id = :id",
            2,
            "override_policy",
            id="override-policy",
        ),
        pytest.param("DELETE FROM review_queue WHERE report_id = :id", 1, "row was deleted", id="deleted"),
        pytest.param(
            "UPDATE report_events SET occurred_on = '2031-01-01' WHERE report_id = :id",
            0,
            "event contract_end of",
            id="event-date",
        ),
        pytest.param(
            "DELETE FROM report_events WHERE report_id = :id",
            0,
            "deleted from report_events",
            id="event-deleted",
        ),
    ],
)
def test_an_edited_review_or_event_row_is_reported(
    store: ReportStore, queued: list[str], edit: str, which: int, problem: str
) -> None:
    sql(store, edit, id=queued[which])
    [found] = check_retention_state(store)
    assert queued[which] in found and problem in found


def test_review_and_event_rows_added_by_hand_are_reported(store: ReportStore, queued: list[str]) -> None:
    sql(
        store,
        "INSERT INTO report_events (report_id, name, occurred_on, recorded_at) "
        "VALUES (:id, 'last_contact', '2020-01-01', '2020-01-01 00:00:00')",
        id=queued[1],
    )
    [found] = check_retention_state(store)
    assert f"event last_contact of {queued[1]}" in found and "added by hand" in found


def test_an_edited_reason_note_is_reported(store: ReportStore, queued: list[str]) -> None:
    sql(store, "UPDATE notes SET ciphertext_sha256 = :h", h="0" * 64)
    problems = check_retention_state(store)
    assert len(problems) == 2 and all("its hash differs" in p for p in problems), problems  # extend, relabel
