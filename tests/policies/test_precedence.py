"""Precedence and triggers: which policy decides, and when a report is due."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from policies.decision import ReportFacts, decide
from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy

DAY = dt.date(2024, 3, 15)


def policy(
    pid: str,
    duration: str,
    action: str = "delete",
    *,
    trigger: dict | None = None,
    obligation: bool = False,
    active: str | None = None,
    **scope: list[str],
) -> LoadedPolicy:
    model = Policy.model_validate(
        {
            "id": pid,
            "title": pid,
            "legal_basis": {"text": "t", "references": ["r"], "obligation": obligation},
            "scope": scope,
            "trigger": trigger or {"kind": "intervention_date"},
            "duration": duration,
            "action": action,
            "active_period": active,
        }
    )
    return LoadedPolicy(model, Path(f"{pid}.yaml"), "v1", "")


def facts(**overrides: object) -> ReportFacts:
    base: dict[str, object] = {
        "report_id": "RI-1",
        "intervention_type": "mise_en_service",
        "equipment_category": "climatisation",
        "client_kind": "particulier",
        "tags": frozenset({"facturee"}),
        "site_country": "FR",
        "intervention_date": DAY,
        "archival_date": None,
        "received_date": DAY,
        "events": {},
    }
    base.update(overrides)
    return ReportFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policies", "winner", "due", "action"),
    [
        # one policy
        ([policy("a", "P5Y")], "a", dt.date(2029, 3, 15), "delete"),
        # retention wins over deletion / longest retention wins: the due date is the latest end
        (
            [policy("short", "P2Y"), policy("long", "P10Y", "anonymize")],
            "short",
            dt.date(2034, 3, 15),
            "delete",
        ),
        # among equally explicit: a review beats a shorter automatic action
        ([policy("short", "P2Y"), policy("long", "P10Y", "review")], "long", dt.date(2034, 3, 15), "review"),
        # explicit scope wins over broad scope (even when its period is longer)
        (
            [
                policy("broad", "P2Y"),
                policy("explicit", "P5Y", "anonymize", equipment_categories=["climatisation"]),
            ],
            "explicit",
            dt.date(2029, 3, 15),
            "anonymize",
        ),
        # among equally explicit: the shortest deletion wins
        (
            [policy("six", "P6Y", client_kinds=["particulier"]), policy("three", "P3Y", tags=["facturee"])],
            "three",
            dt.date(2030, 3, 15),
            "delete",
        ),
        # same period and scope: the gentlest action wins
        (
            [policy("del", "P3Y"), policy("anon", "P3Y", "anonymize"), policy("rev", "P3Y", "review")],
            "rev",
            dt.date(2027, 3, 15),
            "review",
        ),
        # out of scope: not applicable
        (
            [policy("pro", "P1Y", client_kinds=["professionnel"]), policy("any", "P4Y")],
            "any",
            dt.date(2028, 3, 15),
            "delete",
        ),
        ([policy("tag", "P1Y", tags=["contrat_electronique"])], None, None, None),
        ([policy("country", "P1Y", site_countries=["BE"])], None, None, None),
    ],
)
def test_precedence(
    policies: list[LoadedPolicy], winner: str | None, due: dt.date | None, action: str | None
) -> None:
    decision = decide(facts(), PolicySet(policies))
    assert (decision.winner.policy.id if decision.winner else None) == winner
    assert decision.due == due
    assert decision.action == action
    assert decision.reasons


@pytest.mark.parametrize(
    ("trigger", "fact_changes", "due"),
    [
        ({"kind": "intervention_date"}, {}, dt.date(2026, 3, 15)),
        (
            {"kind": "intervention_date"},
            {"intervention_date": None, "received_date": dt.date(2024, 1, 2)},
            dt.date(2026, 1, 2),
        ),
        ({"kind": "archival_date"}, {}, None),
        ({"kind": "archival_date"}, {"archival_date": dt.date(2024, 6, 1)}, dt.date(2026, 6, 1)),
        ({"kind": "event", "event": "contract_end"}, {}, None),
        (
            {"kind": "event", "event": "contract_end"},
            {"events": {"contract_end": dt.date(2025, 1, 31)}},
            dt.date(2027, 1, 31),
        ),
        (
            {"kind": "event", "event": "last_contact", "fallback": "intervention_date"},
            {},
            dt.date(2026, 3, 15),
        ),
        (
            {"kind": "event", "event": "last_contact", "fallback": "intervention_date"},
            {"events": {"last_contact": dt.date(2025, 5, 5)}},
            dt.date(2027, 5, 5),
        ),
    ],
)
def test_every_trigger(trigger: dict, fact_changes: dict, due: dt.date | None) -> None:
    decision = decide(facts(**fact_changes), PolicySet([policy("p", "P2Y", trigger=trigger)]))
    assert decision.due == due
    assert decision.is_due(dt.date(2099, 1, 1)) == (due is not None)


def test_a_waiting_policy_keeps_the_report_even_if_others_are_over() -> None:
    decision = decide(
        facts(),
        PolicySet(
            [
                policy("short", "P1Y"),
                policy("contract", "P1Y", trigger={"kind": "event", "event": "contract_end"}),
            ]
        ),
    )
    assert decision.due is None
    assert any("waits for event 'contract_end'" in r for r in decision.reasons)


def test_periods_are_calendar_periods() -> None:
    leap = decide(facts(intervention_date=dt.date(2024, 2, 29)), PolicySet([policy("p", "P1Y")]))
    assert leap.due == dt.date(2025, 2, 28)
    months = decide(facts(intervention_date=dt.date(2024, 1, 31)), PolicySet([policy("p", "P1M")]))
    assert months.due == dt.date(2024, 2, 29)


def test_legal_obligation_and_active_period_are_reported() -> None:
    decision = decide(
        facts(),
        PolicySet(
            [policy("keep", "P10Y", obligation=True, active="P3Y"), policy("other", "P5Y", "anonymize")]
        ),
    )
    assert decision.obligation_until == dt.date(2034, 3, 15)
    assert decision.restricted_from == dt.date(2027, 3, 15)


@pytest.mark.parametrize(
    ("policies", "fact_changes"),
    [
        ([policy("tag", "P1Y", tags=["contrat_electronique"])], {}),
        ([policy("short", "P2Y"), policy("long", "P10Y", "review")], {}),
        ([policy("broad", "P2Y"), policy("explicit", "P5Y", equipment_categories=["climatisation"])], {}),
        ([policy("del", "P3Y"), policy("anon", "P3Y", "anonymize"), policy("rev", "P3Y", "review")], {}),
        ([policy("pro", "P1Y", client_kinds=["professionnel"]), policy("any", "P4Y")], {}),
        ([policy("short", "P1Y"), policy("c", "P1Y", trigger={"kind": "event", "event": "end"})], {}),
        ([policy("keep", "P10Y", obligation=True, active="P3Y"), policy("other", "P5Y", "anonymize")], {}),
        ([policy("a", "P2Y", trigger={"kind": "archival_date"})], {"archival_date": dt.date(2024, 6, 1)}),
    ],
)
def test_a_decision_without_its_explanation_is_the_same_decision(
    policies: list[LoadedPolicy], fact_changes: dict
) -> None:
    explained = decide(facts(**fact_changes), PolicySet(policies))
    unexplained = decide(facts(**fact_changes), PolicySet(policies), explain=False)
    assert explained.reasons
    assert unexplained.reasons == ()
    assert unexplained == replace(explained, reasons=())
