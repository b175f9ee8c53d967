"""The technician's status page shows the readings as judged (issue 18): a dangerous CO level is
recorded, shown in red with its threshold, and never hides the report."""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from quitus.api import create_app
from quitus.settings import Settings
from quitus.wiring import initialize, open_app
from reports.intake import Intake, Submission
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.access_store import AccessStore, Role
from storage.states import ReportState

CLIENT_NAME = "Philomène Garaudel-Vasseur"


def _dangerous_boiler_report() -> dict[str, object]:
    sample = next(
        s
        for s in generate_samples(
            TemplateCatalog.load(), 8, seed=11, photo_size=(64, 48), invalid_share=0, unfinished_share=0
        )
        if s.template_id == "chaudiere_gaz.entretien_annuel"
    )
    payload = copy.deepcopy(sample.payload)
    payload["client"]["name"] = CLIENT_NAME
    day = dt.date.today() - dt.timedelta(days=2)
    payload["arrival"], payload["departure"] = f"{day}T09:00:00", f"{day}T10:30:00"
    payload["request"]["date"] = str(day - dt.timedelta(days=3))
    for signature in ("client_signature", "technician_signature"):
        if payload.get(signature):
            payload[signature]["signed_at"] = f"{day}T10:25:00"
    payload["measurements"] = [
        {**m, "value": 62} if m["id"] == "co_ambiant" else m for m in payload["measurements"]
    ]
    payload["checklist"] = [
        *(i for i in payload["checklist"] if i["id"] != "appareil_mis_a_l_arret"),
        {"id": "appareil_mis_a_l_arret", "status": "fait", "comment": "Arrêt, occupant informé."},
    ]
    return payload


def test_the_status_page_shows_a_dangerous_reading_in_red_once_redacted(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", company_name="Thermi-Services Lyon")
    initialize(settings)
    opened = open_app(settings)
    try:
        access = AccessStore(opened.store)
        access.add_user("tech-001", Role.TECHNICIAN, actor="test")
        token = access.create_token("tech-001", actor="test")[1]
        intake = Intake(opened.store.acting_as("tech-001"), opened.catalog)
        outcome = intake.ingest(Submission(json.dumps(_dangerous_boiler_report()).encode(), "json"))
        assert outcome.accepted, outcome.issues  # recorded, not refused
        report_id = outcome.report.id
        with TestClient(create_app(settings), follow_redirects=False) as client:
            assert client.post("/connexion", data={"token": token}).status_code == 303
            before = html.unescape(client.get(f"/technicien/rapports/{report_id}").text)
            assert 'id="readings"' not in before  # not redacted yet: nothing read
            assert opened.pipeline().redact([report_id]).done == [report_id]
            assert opened.store.get(report_id).state == ReportState.REDACTED
            page = html.unescape(client.get(f"/technicien/rapports/{report_id}").text)
    finally:
        opened.close()
    table = page[page.index('id="readings"') :]
    row = re.search(
        r"<tr class=\"reading-alarm\">\s*<td>Teneur en monoxyde de carbone ambiant</td>(.*?)</tr>",
        table,
        re.S,
    )
    assert row, table[:2000]
    assert "62 ppm" in row.group(1)
    assert '<span class="badge bad">✗ hors plage</span>' in row.group(1)
    assert "✗ seuil > 50 ppm : Danger grave et immédiat" in row.group(1)
    assert "hors plage ou franchissent un seuil" in page
    assert CLIENT_NAME not in page
