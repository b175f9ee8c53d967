"""Dated retention events: declared by the policies, dated within the report's life, and
every change of date a new ledger entry that names the one it replaces."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from retention.clock import FixedClock
from retention.errors import EventError
from retention.events import EventOutcome, record_report_event
from retention.facts import facts_of, iter_report_facts
from storage.database import Database
from storage.event_store import EventStore
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from tests.retention.conftest import MakeReport, loaded

TODAY = dt.date(2026, 12, 2)
INTERVENTION = dt.date(2020, 1, 10)
CLOCK = FixedClock(TODAY)


def waiting_for(pid: str, event_name: str) -> LoadedPolicy:
    """A policy whose period runs from a recorded event."""
    model = Policy.model_validate(
        {
            "id": pid,
            "title": pid,
            "legal_basis": {"text": "t", "references": ["r"]},
            "trigger": {"kind": "event", "event": event_name},
            "duration": "P3Y",
            "action": "anonymize",
        }
    )
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "v1", "")


@pytest.fixture
def event_policies() -> PolicySet:
    return PolicySet(
        [
            waiting_for("contrats", "contract_end"),
            waiting_for("inactifs", "last_contact"),
            loaded("preuve", "P5Y", "anonymize"),
        ]
    )


def event_entries(store: ReportStore, report_id: str) -> list[tuple[int, dict[str, Any]]]:
    entries = [(e.seq, decode_entry(e.entry)) for e in store.ledger.entries_for_report(report_id)]
    return [(seq, entry) for seq, entry in entries if entry["step"] == LedgerStep.EVENT]


def test_the_event_names_are_those_the_policies_in_force_wait_for(event_policies: PolicySet) -> None:
    assert event_policies.event_names() == frozenset({"contract_end", "last_contact"})
    assert PolicySet([loaded("preuve", "P5Y", "anonymize")]).event_names() == frozenset()


@pytest.mark.parametrize(
    ("name", "on", "expected"),
    [
        pytest.param(
            "contract_ned",
            dt.date(2021, 1, 1),
            ["unknown event 'contract_ned'", "did you mean contract_end?", "contract_end, last_contact"],
            id="misspelt: the close match and the known names",
        ),
        pytest.param(
            "sale",
            dt.date(2021, 1, 1),
            ["unknown event 'sale'", "the policies in force wait for: contract_end, last_contact"],
            id="unknown, nothing close",
        ),
        pytest.param(
            "Contract End",
            dt.date(2021, 1, 1),
            ["event names are codes", "contract_end, last_contact"],
            id="not a code",
        ),
        pytest.param(
            "contract_end",
            dt.date(2019, 1, 1),
            ["2019-01-01 is before", "intervention", "2020-01-10"],
            id="before the intervention",
        ),
        pytest.param(
            "contract_end",
            TODAY + dt.timedelta(days=1),
            ["2026-12-03 is after today (2026-12-02)", "once it has happened"],
            id="in the future",
        ),
    ],
)
def test_a_refused_event_says_why_and_writes_nothing(
    store: ReportStore,
    make_report: MakeReport,
    event_policies: PolicySet,
    name: str,
    on: dt.date,
    expected: list[str],
) -> None:
    report = make_report(day=INTERVENTION)
    size = store.ledger.size()
    with pytest.raises(EventError) as refused:
        record_report_event(store, event_policies, report, name, on, clock=CLOCK)
    for fragment in expected:
        assert fragment in str(refused.value)
    assert store.ledger.size() == size
    assert EventStore(store).latest(report, name) is None


def test_with_no_policy_waiting_for_an_event_every_event_is_refused(
    store: ReportStore, make_report: MakeReport
) -> None:
    report = make_report(day=INTERVENTION)
    policies = PolicySet([loaded("preuve", "P5Y", "anonymize")])
    with pytest.raises(EventError, match="no policy in force waits for an event"):
        record_report_event(store, policies, report, "contract_end", dt.date(2021, 1, 1), clock=CLOCK)
    assert event_entries(store, report) == []


@pytest.mark.parametrize("on", [INTERVENTION, TODAY], ids=["the intervention day", "today"])
def test_the_first_and_last_days_are_accepted(
    store: ReportStore, make_report: MakeReport, event_policies: PolicySet, on: dt.date
) -> None:
    report = make_report(day=INTERVENTION)
    written = record_report_event(store, event_policies, report, "contract_end", on, clock=CLOCK)
    assert written.outcome == EventOutcome.RECORDED
    [(seq, entry)] = event_entries(store, report)
    assert written.seq == seq
    assert entry["details"] == {"event": "contract_end", "on": on.isoformat()}
    assert entry["actor"] == "test"


def test_without_an_intervention_date_the_received_date_is_the_first_day(
    store: ReportStore, event_policies: PolicySet
) -> None:
    receipt = store.receive(
        json.dumps({"submission_id": "no-date"}).encode(), source="json", submission_id="no-date"
    )
    received = store.get(receipt.report_id).created_at.date()
    clock = FixedClock(received + dt.timedelta(days=30))
    with pytest.raises(EventError) as refused:
        record_report_event(
            store,
            event_policies,
            receipt.report_id,
            "last_contact",
            received - dt.timedelta(days=1),
            clock=clock,
        )
    assert f"before the day {receipt.report_id} was received ({received})" in str(refused.value)
    written = record_report_event(
        store, event_policies, receipt.report_id, "last_contact", received, clock=clock
    )
    assert written.outcome == EventOutcome.RECORDED


def test_a_new_date_is_a_new_entry_that_names_the_one_it_replaces(
    store: ReportStore, make_report: MakeReport, event_policies: PolicySet
) -> None:
    report = make_report(day=INTERVENTION)
    first = record_report_event(
        store, event_policies, report, "contract_end", dt.date(2021, 1, 1), clock=CLOCK
    )
    other = record_report_event(
        store, event_policies, report, "last_contact", dt.date(2021, 3, 1), clock=CLOCK
    )
    second = record_report_event(
        store, event_policies, report, "contract_end", dt.date(2022, 6, 30), clock=CLOCK
    )
    third = record_report_event(
        store, event_policies, report, "contract_end", dt.date(2021, 9, 1), clock=CLOCK
    )

    assert (second.outcome, second.replaces, second.replaces_seq) == (
        EventOutcome.CHANGED,
        dt.date(2021, 1, 1),
        first.seq,
    )
    # the latest entry for that name, not the first one, nor another event's
    assert (third.replaces, third.replaces_seq) == (dt.date(2022, 6, 30), second.seq)
    entries = dict(event_entries(store, report))
    assert list(entries) == [first.seq, other.seq, second.seq, third.seq]
    assert entries[second.seq]["details"] == {
        "event": "contract_end",
        "on": "2022-06-30",
        "replaces": "2021-01-01",
        "replaces_seq": first.seq,
    }
    assert entries[third.seq]["details"]["replaces_seq"] == second.seq
    # the row keeps the latest date, and it is what the policies see
    latest = EventStore(store).latest(report, "contract_end")
    assert latest is not None and latest.on == dt.date(2021, 9, 1)
    facts = facts_of(store.database, report)
    assert facts is not None
    assert facts.events == {"contract_end": dt.date(2021, 9, 1), "last_contact": dt.date(2021, 3, 1)}


def test_the_same_date_again_changes_nothing(
    store: ReportStore, make_report: MakeReport, event_policies: PolicySet
) -> None:
    report = make_report(day=INTERVENTION)
    first = record_report_event(
        store, event_policies, report, "contract_end", dt.date(2021, 1, 1), clock=CLOCK
    )
    size = store.ledger.size()
    again = record_report_event(
        store, event_policies, report, "contract_end", dt.date(2021, 1, 1), clock=CLOCK
    )
    assert again.outcome == EventOutcome.ALREADY_RECORDED
    assert (again.seq, again.replaces, again.replaces_seq) == (first.seq, None, None)
    assert store.ledger.size() == size


@contextmanager
def statements_on(database: Database, table: str) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_facts_read_the_events_of_a_batch_in_one_query(
    store: ReportStore, make_report: MakeReport, event_policies: PolicySet
) -> None:
    reports = [make_report(day=INTERVENTION) for _ in range(5)]
    for report in reports:
        record_report_event(store, event_policies, report, "contract_end", dt.date(2021, 1, 1), clock=CLOCK)
    record_report_event(store, event_policies, reports[0], "last_contact", dt.date(2021, 2, 1), clock=CLOCK)
    with statements_on(store.database, "report_events") as queries:
        batches = list(iter_report_facts(store.database, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert len(queries) == 3
    events = {f.report_id: f.events for batch in batches for f in batch}
    assert events[reports[0]] == {"contract_end": dt.date(2021, 1, 1), "last_contact": dt.date(2021, 2, 1)}
    assert all(events[r] == {"contract_end": dt.date(2021, 1, 1)} for r in reports[1:])
