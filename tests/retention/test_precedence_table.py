"""The precedence table of docs/retention.md, one test per row, and a check that every
row of the table has its test (a row added to the docs without a test fails)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from policies.decision import ReportFacts, decide
from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from retention.clock import FixedClock
from retention.effective import effective_decision
from retention.errors import ReviewError
from retention.executor import run_retention
from retention.holds import HoldService
from retention.review import ReviewQueue
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.retention.conftest import MakeReport, loaded

DOC = Path(__file__).parents[2] / "docs" / "retention.md"
DAY = dt.date(2020, 3, 15)
TODAY = dt.date(2026, 12, 2)
TESTED: set[str] = set()
_Test = TypeVar("_Test", bound=Callable[..., Any])


def row(row_id: str) -> Callable[[_Test], _Test]:
    """Marks the test of a row of the documented table."""
    TESTED.add(row_id)
    return lambda test: test


def facts(**overrides: object) -> ReportFacts:
    base: dict[str, object] = {
        "report_id": "RI-1",
        "intervention_type": "mise_en_service",
        "equipment_category": "climatisation",
        "client_kind": "particulier",
        "tags": frozenset(),
        "site_country": "FR",
        "intervention_date": DAY,
        "archival_date": None,
        "received_date": DAY,
        "events": {},
    }
    base.update(overrides)
    return ReportFacts(**base)  # type: ignore[arg-type]


def event_policy(pid: str) -> LoadedPolicy:
    model = Policy.model_validate(
        {
            "id": pid,
            "title": pid,
            "legal_basis": {"text": "t", "references": ["r"]},
            "trigger": {"kind": "event", "event": "contract_end"},
            "duration": "P1Y",
            "action": "delete",
        }
    )
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "v1", "")


def years(n: int) -> dt.date:
    return DAY.replace(year=DAY.year + n)


@row("P1")
def test_p1_the_longest_retention_decides_the_due_date() -> None:
    decision = decide(facts(), PolicySet([loaded("a", "P2Y", "delete"), loaded("b", "P10Y", "anonymize")]))
    assert decision.due == years(10)


@row("P2")
def test_p2_explicit_scope_wins() -> None:
    policies = PolicySet(
        [
            loaded("broad", "P2Y", "delete"),
            loaded("ac", "P5Y", "anonymize", equipment_categories=["climatisation"]),
        ]
    )
    assert decide(facts(), policies).action == "anonymize"


@row("P3")
def test_p3_an_obligation_wins_a_tie() -> None:
    policies = PolicySet(
        [
            loaded("fr.clients-inactifs", "P3Y", "anonymize", client_kinds=["particulier"]),
            loaded(
                "fr.fluides-frigorigenes",
                "P5Y",
                "review",
                obligation=True,
                equipment_categories=["climatisation"],
            ),
        ]
    )
    decision = decide(facts(), policies)
    assert (decision.action, decision.due) == ("review", years(5))
    assert "legal obligation wins" in decision.reasons[-2]


@row("P4")
def test_p4_a_review_beats_an_automatic_action() -> None:
    decision = decide(facts(), PolicySet([loaded("rev", "P10Y", "review"), loaded("del", "P2Y", "delete")]))
    assert decision.action == "review"


@row("P5")
def test_p5_then_the_shortest_period_wins() -> None:
    decision = decide(facts(), PolicySet([loaded("six", "P6Y", "delete"), loaded("three", "P3Y", "delete")]))
    assert decision.winner is not None
    assert (decision.winner.policy.id, decision.due) == ("three", years(6))


@row("P6")
def test_p6_then_anonymize_before_delete() -> None:
    decision = decide(facts(), PolicySet([loaded("d", "P3Y", "delete"), loaded("z", "P3Y", "anonymize")]))
    assert decision.action == "anonymize"


@row("P7")
def test_p7_then_the_policy_id() -> None:
    decision = decide(facts(), PolicySet([loaded("b", "P3Y", "delete"), loaded("a", "P3Y", "delete")]))
    assert decision.winner is not None
    assert decision.winner.policy.id == "a"


@row("P8")
def test_p8_a_trigger_not_happened_keeps_the_report() -> None:
    decision = decide(facts(), PolicySet([event_policy("contrat"), loaded("a", "P1Y", "delete")]))
    assert decision.due is None
    assert not decision.is_due(dt.date(2099, 1, 1))


@row("P9")
def test_p9_relabel_stays_in_scope_and_respects_the_obligation(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet(
        [
            loaded("obligation", "P5Y", "review", obligation=True),
            loaded("pros", "P6Y", "delete", client_kinds=["professionnel"]),
            loaded("court", "P1Y", "delete"),
        ]
    )
    report = make_report(day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(TODAY))
    queue = ReviewQueue(store, policies, clock=FixedClock(TODAY))
    with pytest.raises(ReviewError, match="does not cover"):
        queue.relabel(report, "pros", reason="r")
    with pytest.raises(ReviewError, match="cannot be shortened"):
        queue.relabel(report, "court", reason="r")


@row("P10")
def test_p10_extend_brings_it_back_to_review_at_the_new_date(
    store: ReportStore, make_report: MakeReport
) -> None:
    policies = PolicySet([loaded("rev", "P1Y", "review")])
    report = make_report(day=dt.date(2020, 1, 10))
    run_retention(store, policies, clock=FixedClock(TODAY))
    ReviewQueue(store, policies, clock=FixedClock(TODAY)).extend(report, dt.date(2028, 1, 1), reason="r")
    effective = effective_decision(store, policies, report)
    assert effective is not None
    assert (effective.action, effective.due) == ("review", dt.date(2028, 1, 1))


@row("P11")
def test_p11_a_hold_wins_over_everything(store: ReportStore, make_report: MakeReport) -> None:
    policies = PolicySet([loaded("del", "P1Y", "delete")])
    report = make_report(day=dt.date(2010, 1, 10))
    HoldService(store).place(reason="RG-1", scope_kind="reports", scope={"report_ids": [report]})
    summary = run_retention(store, policies, clock=FixedClock(TODAY))
    assert (summary.total, summary.held) == (0, 1)
    assert store.get(report).state != ReportState.ERASED


def test_every_row_of_the_documented_table_has_its_test() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Precedence") : text.index("## Legal holds")]
    documented = set(re.findall(r"^\| (P\d+) \|", section, flags=re.MULTILINE))
    assert documented == TESTED
