"""A retried ``POST /holds`` (the answer was lost) gives back the hold it placed, not a second one.

The same caller, reason and scope as a hold in force is the same request: ``200`` with
that hold. Another reason, another scope or another officer is a new hold (``201``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.access_store import Role
from storage.database import Database
from tests.api_client import ApiHarness, open_harness, sample_reports


@pytest.fixture
def harness(database: Database, tmp_path: Path) -> Iterator[ApiHarness]:
    with open_harness(tmp_path / "home", database.url) as harness:
        yield harness


def _place(harness: ApiHarness, body: dict[str, Any], who: str = "compliance") -> Any:
    return harness.client.post("/api/v1/holds", json=body, headers=harness.auth(who))


def _in_force(harness: ApiHarness) -> list[str]:
    listed = harness.client.get("/api/v1/holds", headers=harness.auth("auditor"))
    return sorted(h["id"] for h in listed.json())


@pytest.mark.parametrize("scope", ["report_ids", "subject", "query"])
def test_the_same_hold_placed_again_is_the_same_hold(harness: ApiHarness, scope: str) -> None:
    sample = sample_reports(1, seed=47)[0]
    report_id = harness.capture(sample.payload)["report_id"]
    scopes: dict[str, dict[str, Any]] = {
        "report_ids": {"report_ids": [report_id, report_id]},
        "subject": {"subject": {"email": "personne.retenue@exemple.fr"}, "allow_empty": True},
        "query": {
            "query": {"template_id": sample.template_id, "intervention_from": "2020-01-01"},
            "allow_empty": True,
        },
    }
    body = {"reason": "Litige RG-2026-7", **scopes[scope]}
    first = _place(harness, body)
    assert first.status_code == 201, first.text
    again = _place(harness, body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _in_force(harness) == [first.json()["id"]]
    assert len(harness.ledger_events(step="hold.place")) == 1

    other_reason = _place(harness, {**body, "reason": "Litige RG-2026-8"})
    assert other_reason.status_code == 201
    harness.add_user("compliance-2", Role.COMPLIANCE)
    other_officer = _place(harness, body, who="compliance-2")
    assert other_officer.status_code == 201
    assert len(_in_force(harness)) == 3


def test_a_released_hold_placed_again_is_a_new_hold(harness: ApiHarness) -> None:
    report_id = harness.capture(sample_reports(1, seed=53)[0].payload)["report_id"]
    body = {"reason": "AUDIT-9", "report_ids": [report_id]}
    first = _place(harness, body).json()
    released = harness.client.post(f"/api/v1/holds/{first['id']}/release", headers=harness.auth("compliance"))
    assert released.status_code == 200
    again = _place(harness, body)
    assert again.status_code == 201 and again.json()["id"] != first["id"]
