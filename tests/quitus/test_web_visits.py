"""The planning pages through the real application: the planner's week, the technician's
week, a visit's plan and the capture form pre-filled from it.

The weeks carry no personal data; the visit page and its form do, and each opening is a
``read`` entry in the ledger naming the technician. The browser side (the pre-fill script,
drafts, sending) is driven in tests/integration/test_browser_visits.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quitus.web.rendering import static_url
from storage.access_store import Role
from tests.api_client import ApiHarness, open_harness
from tests.quitus.test_api_visits import CLIENT, STREET, unfinished_payload

pytestmark = pytest.mark.slow  # an installation and a few reports

DAY = "2030-03-06"  # a Wednesday
MONDAY = "2030-03-04"


@dataclass(frozen=True)
class Planned:
    harness: ApiHarness
    report_id: str
    number: str
    visit_id: str


def _signed_in(harness: ApiHarness, handle: str) -> tuple[TestClient, str]:
    client = TestClient(harness.client.app, follow_redirects=False)
    answer = client.post("/connexion", data={"token": harness.tokens[handle]})
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    assert page.status_code == 200, (answer.headers["location"], page.text[:300])
    csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page.text)
    assert csrf, page.text[:300]
    return client, csrf.group(1)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planned]:
    home: Path = tmp_path_factory.mktemp("web-visits") / "home"
    with open_harness(home) as harness:
        report_id = harness.capture(unfinished_payload(), "technician-1")["report_id"]
        harness.context.app.intake.validate(report_id)
        number = harness.context.app.store.get(report_id).number
        assert number
        # The planner plans from the page: the waiting list, then the API with the session.
        client, csrf = _signed_in(harness, "planner-1")
        page = html.unescape(client.get("/planning", params={"semaine": DAY}).text)
        assert f'<tr data-report="{report_id}">' in page and number in page
        assert CLIENT not in page and STREET not in page
        answer = client.post(
            "/api/v1/visits",
            json={"report": number, "day": DAY, "slot": "apres_midi", "technicians": ["technician-1"]},
            headers={"X-CSRF-Token": csrf},
        )
        assert answer.status_code == 201, answer.text
        yield Planned(harness, report_id, number, answer.json()["visit"]["id"])


def test_the_planner_signs_in_to_the_planning_and_sees_the_week(planned: Planned) -> None:
    client, _ = _signed_in(planned.harness, "planner-1")
    page = html.unescape(client.get("/planning", params={"semaine": DAY}).text)
    assert "semaine du lundi 4 mars 2030" in page
    row = re.search(r'<tr data-technician="technician-1">(.*?)</tr>', page, flags=re.S)
    assert row and f'data-visit="{planned.visit_id}"' in row.group(1) and planned.number in row.group(1)
    assert f'<tr data-report="{planned.report_id}">' not in page  # planned: no longer waiting
    assert "/api/v1/visits/{visit_id}/move" in page and f'value="{planned.visit_id}"' in page
    assert CLIENT not in page and STREET not in page


def test_the_technician_sees_the_visit_in_their_week_without_personal_data(planned: Planned) -> None:
    client, _ = _signed_in(planned.harness, "technician-1")
    page = html.unescape(client.get("/technicien/semaine", params={"semaine": MONDAY}).text)
    day = re.search(rf'data-day="{DAY}">(.*?)</section>', page, flags=re.S)
    assert day and f'href="/technicien/visites/{planned.visit_id}"' in day.group(1)
    assert f"suite de {planned.number}" in day.group(1) and "après-midi" in day.group(1)
    assert CLIENT not in page
    empty = html.unescape(client.get("/technicien/semaine", params={"semaine": "2030-03-11"}).text)
    assert planned.visit_id not in empty and "Rien de planifié" in empty


def test_opening_the_visit_shows_its_plan_and_records_the_read(planned: Planned) -> None:
    client, _ = _signed_in(planned.harness, "technician-1")
    before = len(planned.harness.ledger_events(planned.report_id, "read"))
    answer = client.get(f"/technicien/visites/{planned.visit_id}")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    page = html.unescape(answer.text)
    assert CLIENT in page and STREET in page
    assert f"Suite de l'intervention {planned.number}" in html.unescape(re.sub(r"<[^>]+>", "", page))
    assert f'href="/technicien/visites/{planned.visit_id}/rapport"' in page
    # The unit's history (the unfinished report itself, when it names a serial number).
    history = re.search(r'<dd id="equipment-history">(.*?)</dd>', page, flags=re.S)
    assert history and planned.number in history.group(1) and "non terminée" in history.group(1)
    reads = planned.harness.ledger_events(planned.report_id, "read")
    assert len(reads) == before + 1 and reads[-1]["actor"] == "technician-1"


def test_the_continuing_form_is_pre_filled_from_the_plan(planned: Planned) -> None:
    client, _ = _signed_in(planned.harness, "technician-1")
    page = client.get(f"/technicien/visites/{planned.visit_id}/rapport").text
    assert f'data-visit="{planned.visit_id}"' in page
    assert f'<input type="hidden" id="continues" data-field="continues" value="{planned.number}">' in page
    data = re.search(r'<script type="application/json" id="visit-prefill">(.*?)</script>', page, flags=re.S)
    assert data, page[:500]
    prefill = json.loads(data.group(1))
    assert prefill["fields"]["client.name"] == CLIENT and prefill["fields"]["continues"] == planned.number
    assert prefill["fields"]["client.address.street"] == STREET
    assert f'<script src="{static_url("visit-prefill.js")}"></script>' in page
    assert client.get(static_url("visit-prefill.js")).status_code == 200
    # The team rows (several technicians per report): the visit's other technicians go there.
    assert prefill["team"] == [] and 'id="team-2-name" data-team="name"' in page
    # The empty form of the same template (kept offline) has none of it.
    template = planned.harness.context.app.store.get(planned.report_id).template_id
    empty = client.get(f"/technicien/formulaire/{template}").text
    assert "visit-prefill" not in empty and CLIENT not in html.unescape(empty)


def test_another_technician_and_other_roles_are_kept_out(planned: Planned) -> None:
    other, _ = _signed_in(planned.harness, "technician-2")
    for path in (
        f"/technicien/visites/{planned.visit_id}",
        f"/technicien/visites/{planned.visit_id}/rapport",
    ):
        answer = other.get(path)
        assert answer.status_code == 404 and CLIENT not in html.unescape(answer.text)
    assert planned.visit_id not in other.get("/technicien/semaine", params={"semaine": MONDAY}).text
    planner, _ = _signed_in(planned.harness, "planner-1")
    assert planner.get("/technicien/semaine").status_code == 403
    for role in (Role.TECHNICIAN, Role.COMPLIANCE, Role.ADMIN):
        client, _ = _signed_in(planned.harness, f"{role.value}-1")
        assert client.get("/planning").status_code == 403


def test_a_bad_week_says_so_in_french(planned: Planned) -> None:
    client, _ = _signed_in(planned.harness, "planner-1")
    page = html.unescape(client.get("/planning", params={"semaine": "demain"}).text)
    assert "Date invalide" in page
