"""Several technicians per report: the team (issue 19).

The lead (``technician``) signs; up to three others worked beside them. Their names are
personal data like the lead's (redacted, indexed for a person's requests); their ids, when
they are technicians' accounts, make the report theirs too (*Mes rapports*), and only then
reach the signed ledger — an id typed as a phone number never does.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from quitus.api.ownership import captured_by, reports_captured_by
from reports.intake import Intake, Submission
from reports.schema import InterventionReport
from storage.access_store import AccessStore, Role
from storage.blind_index import subject_digests
from storage.report_store import ReportStore
from tests.reports.test_pdf_render import SAMPLES, flat, pdftotext, render, report_of

TEMPLATE = "chaudiere_gaz.entretien_annuel"
PARTNER = "Anselme Coéquipier-Rare"


def _payload(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(SAMPLES[TEMPLATE].payload)
    payload.update(changes)
    return payload


def _ingest(intake: Intake, payload: dict[str, Any]) -> Any:
    return intake.ingest(Submission(json.dumps(payload).encode(), "json"))


@pytest.mark.parametrize("variant", ["full", "redacted"])
def test_the_pdf_names_the_team_and_the_redacted_copy_does_not(tmp_path: Path, variant: str) -> None:
    report, template = report_of(TEMPLATE, team=[{"id": "tech-002", "name": PARTNER}])
    text = flat(pdftotext(render(report, template, variant=variant), tmp_path))
    assert "Avec" in text and "tech-002" in text
    assert (PARTNER in text) is (variant == "full")


def test_a_team_member_given_twice_or_the_lead_again_is_an_issue(store: ReportStore, intake: Intake) -> None:
    lead = SAMPLES[TEMPLATE].payload["technician"]["id"]
    outcome = _ingest(
        intake,
        _payload(
            submission_id="team-dup",
            team=[
                {"id": "tech-002", "name": PARTNER},
                {"id": "tech-002", "name": PARTNER},
                {"id": lead, "name": "X"},
            ],
        ),
    )
    assert not outcome.accepted
    assert sorted(i.params.get("item", "") for i in outcome.issues if i.code == "duplicate_entry") == sorted(
        ["tech-002", lead]
    )
    four = [{"id": f"tech-10{n}", "name": PARTNER} for n in range(4)]
    assert not _ingest(intake, _payload(submission_id="team-four", team=four)).accepted


def test_the_team_makes_the_report_theirs_when_they_are_accounts_only(
    store: ReportStore, intake: Intake
) -> None:
    AccessStore(store).add_user("tech-002", Role.TECHNICIAN, actor="test")
    team = [{"id": "tech-002", "name": PARTNER}, {"id": "ext-0007", "name": "Jeanne Leroy"}]
    outcome = _ingest(intake, _payload(submission_id="team-1", team=team))
    assert outcome.accepted, outcome.issues
    report_id = outcome.report.id
    assert report_id in reports_captured_by(store, "tech-002")
    assert "tech-002" in captured_by(store, report_id)
    assert reports_captured_by(store, "ext-0007") == []
    ledger = "\n".join(e.entry.decode() for e in store.ledger.entries_for_report(report_id))
    assert "ext-0007" not in ledger and PARTNER not in ledger
    (capture,) = [
        json.loads(e.entry)
        for e in store.ledger.entries_for_report(report_id)
        if b'"step":"capture"' in e.entry
    ]
    assert capture["details"]["team"] == ["tech-002"]
    # A person's request finds the report by a team member's name (the blind index).
    assert store.find_by_subject(subject_digests(store.keys.index_key, [("name", PARTNER)])) == [report_id]


def test_without_a_team_the_report_is_as_before() -> None:
    assert InterventionReport.model_validate(SAMPLES[TEMPLATE].payload).team == []


def test_a_phone_typed_as_a_team_identifier_is_refused(intake: Intake) -> None:
    """Ids are printed in both PDFs ("matricule …"): a phone there is refused (round-5 adversary)."""
    outcome = _ingest(
        intake, _payload(submission_id="team-phone", team=[{"id": "0611223344", "name": PARTNER}])
    )
    assert not outcome.accepted
    assert [(i.path, i.code) for i in outcome.issues] == [("team[0].id", "technical_personal")]
