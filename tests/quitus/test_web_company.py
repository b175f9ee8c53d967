"""Issue 18, findings 3 and 4, on the web: the administrator keeps the company identity on
``/entreprise``; the technician's form shows it read-only; the status page, the portal and
the API show and find the report's number."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quitus.api import create_app
from quitus.settings import Settings
from quitus.wiring import initialize, open_app
from reports.intake import Intake, Submission
from storage.access_store import AccessStore, Role
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord
from tests.quitus.test_web_pages import _payload as recent_payload

YEAR = dt.datetime.now(dt.UTC).astimezone().year


@dataclass(frozen=True)
class Home:
    settings: Settings
    tokens: dict[str, str]
    report_id: str
    portal: str


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    settings = Settings(home=tmp_path_factory.mktemp("company") / "home")  # default company_name
    initialize(settings)
    opened = open_app(settings)
    try:
        opened.company().seed_name("Thermi'Clim Services")
        opened.company().update(address="12 rue du Port, 69007 Lyon", phone="04 72 00 00 00")
        access = AccessStore(opened.store)
        tokens = {}
        for handle, role in (("tech-001", Role.TECHNICIAN), ("admin-001", Role.ADMIN)):
            access.add_user(handle, role, actor="test")
            tokens[handle] = access.create_token(handle, actor="test")[1]
        # A recent report: an old one would be restricted (intermediate archiving), off the portal.
        payload = {
            **recent_payload("chaudiere_gaz.entretien_annuel"),
            "company": {"name": "Entreprise de maintenance"},
        }
        intake = Intake(opened.store.acting_as("tech-001"), opened.catalog, company=opened.intake.company)
        outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json"))
        assert outcome.accepted, outcome.issues
        link = access.create_portal_link(outcome.report.id, actor="test", valid_for=dt.timedelta(days=3))
        opened.ledger.checkpoint()
    finally:
        opened.close()
    return Home(settings, tokens, outcome.report.id, link.token)


@pytest.fixture
def client(home: Home) -> Iterator[TestClient]:
    with TestClient(create_app(home.settings), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, token: str) -> str:
    answer = client.post("/connexion", data={"token": token})
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page.text)
    assert match
    return match.group(1)


def text(answer: object) -> str:
    return html.unescape(answer.text)  # type: ignore[attr-defined]


def test_the_administrator_keeps_the_identity_and_each_change_is_in_the_ledger(
    client: TestClient, home: Home
) -> None:
    csrf = sign_in(client, home.tokens["admin-001"])
    page = client.get("/entreprise")
    assert page.status_code == 200
    assert 'value="Thermi\'Clim Services"' in text(page) and 'href="/entreprise"' in page.text
    form = {
        "csrf_token": csrf,
        "name": "Thermi'Clim Services",
        "legal_form": "SARL",
        "address": "12 rue du Port, 69007 Lyon",
        "phone": "04 72 00 00 00",
        "attestation": "AC-69-2024-0042",
    }
    refused = client.post("/entreprise", data={**form, "siret": "732 829 320 00075"})
    assert refused.status_code == 422
    assert "73282932000075 is not a valid SIRET" in text(refused)
    assert 'value="732 829 320 00075"' in text(refused)  # what was typed stays, to be corrected
    saved = client.post("/entreprise", data={**form, "siret": "732 829 320 00074"})
    assert saved.status_code == 200 and "Enregistré" in text(saved)
    opened = open_app(home.settings)
    try:
        assert opened.company().current().siret == "73282932000074"
        with opened.database.session() as session:
            entries = [
                decode_entry(e)
                for e in session.scalars(
                    LedgerEntryRecord.__table__.select()
                    .with_only_columns(LedgerEntryRecord.entry)
                    .where(LedgerEntryRecord.step == LedgerStep.COMPANY_SET)
                )
            ]
    finally:
        opened.close()
    assert entries[-1]["actor"] == "admin-001"


def test_only_the_administrator_opens_the_company_page(client: TestClient, home: Home) -> None:
    sign_in(client, home.tokens["tech-001"])
    assert client.get("/entreprise").status_code == 403
    assert client.get("/entreprise/logo").status_code == 403


def test_the_technician_cannot_type_the_company_name(client: TestClient, home: Home) -> None:
    sign_in(client, home.tokens["tech-001"])
    form = text(client.get("/technicien/formulaire/chaudiere_gaz.entretien_annuel"))
    field = re.search(r'<input[^>]*id="company-name"[^>]*>', form, re.S)
    assert field is not None
    assert "Thermi'Clim Services" in field.group(0) and "readonly" in field.group(0)
    assert "Entreprise de maintenance" not in form
    assert 'data-field="company.siret"' not in form


def test_the_status_page_the_portal_and_the_api_show_the_number(client: TestClient, home: Home) -> None:
    number = f"RI-{YEAR}-000001"
    portal = text(client.get(f"/portail/{home.portal}"))
    assert number in portal and "Thermi'Clim Services" in portal and "Entreprise de maintenance" not in portal
    assert "12 rue du Port, 69007 Lyon" in portal
    headers = {"Authorization": f"Bearer {home.tokens['admin-001']}"}
    by_number = client.get(f"/api/v1/reports/{number}", headers=headers)
    assert by_number.status_code == 200, by_number.text
    assert by_number.json()["id"] == home.report_id and by_number.json()["number"] == number
    assert client.get(f"/api/v1/reports/RI-{YEAR}-000042", headers=headers).status_code == 404
    sign_in(client, home.tokens["tech-001"])
    status = text(client.get(f"/technicien/rapports/{home.report_id}"))
    assert f'id="report-number">{number}<' in status


def test_reports_record_the_configured_company(home: Home, tmp_path: Path) -> None:
    opened = open_app(home.settings)
    try:
        summary = opened.store.get(home.report_id)
        content = json.loads(opened.store.read_blob(home.report_id, summary.content_blob_id or ""))
    finally:
        opened.close()
    assert content["company"]["name"] == "Thermi'Clim Services"
