"""The web pages through FastAPI's TestClient: sign-in, redirects, roles, CSRF, what each page shows.

The browser itself (JavaScript, the signature pad, downloads) is driven in
``tests/integration/test_browser.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from quitus.api import create_app
from quitus.api.auth import CSRF_HEADER, SESSION_COOKIE, require
from quitus.settings import Settings
from quitus.wiring import initialize, open_app
from reports.intake import Intake, Submission
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from retention.holds import HoldService
from storage.access_store import AccessStore, Principal, Role

CLIENT_NAME = "Albertine Vérifiable-Témoin"
"""A personal value the pages must never show back (it is in the submitted reports)."""


@dataclass(frozen=True)
class Installation:
    settings: Settings
    tokens: dict[str, str]
    """role → API token (tech-001 is the technician who captured the reports)."""
    other_technician: str
    valid_report: str
    rejected_report: str
    portal: dict[str, str]
    """valid / expired / revoked → portal link token."""


def _payload(template_id: str) -> dict[str, Any]:
    sample = next(
        s
        for s in generate_samples(
            TemplateCatalog.load(), 8, seed=11, photo_size=(64, 48), invalid_share=0, unfinished_share=0
        )
        if s.template_id == template_id
    )
    payload = copy.deepcopy(sample.payload)
    payload["client"]["name"] = CLIENT_NAME
    # Recent: an old report would be restricted (intermediate archiving) and hidden from the portal.
    day = dt.date.today() - dt.timedelta(days=2)
    payload["arrival"], payload["departure"] = f"{day}T09:00:00", f"{day}T10:30:00"
    payload["request"]["date"] = str(day - dt.timedelta(days=3))
    for signature in ("client_signature", "technician_signature"):
        if payload.get(signature):
            payload[signature]["signed_at"] = f"{day}T10:25:00"
    return payload


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    settings = Settings(home=tmp_path_factory.mktemp("web") / "home", company_name="Thermi-Services Lyon")
    initialize(settings)
    opened = open_app(settings)
    try:
        access = AccessStore(opened.store)
        tokens = {}
        for handle, role in (
            ("tech-001", Role.TECHNICIAN),
            ("dpo-001", Role.COMPLIANCE),
            ("audit-001", Role.AUDITOR),
            ("admin-001", Role.ADMIN),
            ("tech-002", Role.TECHNICIAN),
        ):
            access.add_user(handle, role, actor="test")
            tokens[handle] = access.create_token(handle, actor="test")[1]
        intake = Intake(opened.store.acting_as("tech-001"), opened.catalog)
        valid = _payload("chaudiere_gaz.entretien_annuel")
        valid_id = intake.ingest(Submission(json.dumps(valid).encode(), "json")).report.id
        rejected = _payload("chaudiere_gaz.entretien_annuel")
        rejected["submission_id"] = "web-test-rejected"
        rejected["measurements"][0]["unit"] = "mg/m3"
        rejected["checklist"] = []
        outcome = intake.ingest(Submission(json.dumps(rejected).encode(), "json"))
        assert not outcome.accepted
        portal = {
            "valid": access.create_portal_link(valid_id, actor="test", valid_for=dt.timedelta(days=3)).token,
            "expired": access.create_portal_link(
                valid_id, actor="test", valid_for=dt.timedelta(seconds=-1)
            ).token,
        }
        revoked = access.create_portal_link(valid_id, actor="test", valid_for=dt.timedelta(days=3)).token
        access.revoke_portal_link(revoked, actor="test")
        portal["revoked"] = revoked
        opened.ledger.checkpoint()
    finally:
        opened.close()
    return Installation(
        settings=settings,
        tokens={
            "technician": tokens["tech-001"],
            "compliance": tokens["dpo-001"],
            "auditor": tokens["audit-001"],
            "admin": tokens["admin-001"],
        },
        other_technician=tokens["tech-002"],
        valid_report=valid_id,
        rejected_report=outcome.report.id,
        portal=portal,
    )


def _app(installation: Installation) -> FastAPI:
    api = create_app(installation.settings)

    @api.post("/api/v1/test-only/echo")
    def echo(principal: Annotated[Principal, Depends(require(*Role))]) -> dict[str, str]:
        return {"handle": principal.handle}

    return api


@pytest.fixture(scope="module")
def app(installation: Installation) -> FastAPI:
    return _app(installation)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def text_of(answer: Any) -> str:
    """The page's text with HTML entities decoded (Jinja escapes apostrophes)."""
    return html.unescape(answer.text)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the page; returns the CSRF token the pages then carry."""
    answer = client.post("/connexion", data={"token": token})
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page.text)
    assert match, page.text[:500]
    return match.group(1)


# -- sign-in, sessions, roles --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/technicien", "/technicien/formulaire/chaudiere_gaz.entretien_annuel", "/conformite", "/audit"],
)
def test_pages_without_a_session_go_to_the_sign_in_page(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion"


def test_the_sign_in_page_is_french_and_asks_for_the_token(client: TestClient) -> None:
    answer = client.get("/connexion")
    assert answer.status_code == 200
    assert '<html lang="fr">' in text_of(answer)
    assert "Jeton d'accès" in text_of(answer) and 'name="token"' in text_of(answer)
    assert answer.headers["cache-control"] == "no-store"


def test_an_unknown_token_is_refused_without_a_cookie(client: TestClient) -> None:
    answer = client.post("/connexion", data={"token": "qt_not-a-real-token"})
    assert answer.status_code == 401
    assert "Jeton inconnu, expiré ou révoqué" in text_of(answer)
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("technician", "/technicien"),
        ("compliance", "/conformite"),
        ("auditor", "/audit"),
        ("admin", "/audit"),
    ],
)
def test_sign_in_sets_a_strict_httponly_cookie_and_goes_to_the_role_page(
    client: TestClient, installation: Installation, role: str, home: str
) -> None:
    answer = client.post("/connexion", data={"token": installation.tokens[role]})
    assert answer.status_code == 303
    assert answer.headers["location"] == home
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=qt_")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (a test server): a Secure cookie would never come back
    assert client.get(home).status_code == 200


def test_the_cookie_is_secure_over_https(app: FastAPI, installation: Installation) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as secure:
        answer = secure.post("/connexion", data={"token": installation.tokens["technician"]})
    assert "Secure" in answer.headers["set-cookie"]


def test_a_sign_in_form_posted_from_another_site_is_refused(
    client: TestClient, installation: Installation
) -> None:
    answer = client.post(
        "/connexion",
        data={"token": installation.tokens["technician"]},
        headers={"Origin": "https://attaquant.example"},
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("technician", "/conformite"),
        ("technician", "/audit"),
        ("auditor", "/technicien"),
        ("admin", "/conformite"),
    ],
)
def test_a_wrong_role_gets_a_polite_french_403(
    client: TestClient, installation: Installation, role: str, path: str
) -> None:
    sign_in(client, installation.tokens[role])
    answer = client.get(path)
    assert answer.status_code == 403
    assert "Accès non autorisé" in text_of(answer) and "Retour à votre page" in text_of(answer)


def test_signing_out_needs_the_csrf_token_and_clears_the_cookie(
    client: TestClient, installation: Installation
) -> None:
    csrf = sign_in(client, installation.tokens["technician"])
    refused = client.post("/deconnexion", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403 and "Action refusée" in text_of(refused)
    answer = client.post("/deconnexion", data={"csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"]
    assert client.get("/technicien").status_code == 303


# -- CSRF on cookie-authenticated API calls ------------------------------------------------


def test_a_cookie_post_without_or_with_a_wrong_csrf_token_is_refused(
    client: TestClient, installation: Installation
) -> None:
    csrf = sign_in(client, installation.tokens["technician"])
    missing = client.post("/api/v1/test-only/echo")
    altered = csrf[:-1] + ("1" if csrf[-1] == "0" else "0")
    wrong = client.post("/api/v1/test-only/echo", headers={CSRF_HEADER: altered})
    other_session = client.post("/api/v1/test-only/echo", headers={CSRF_HEADER: "f" * 64})
    assert (missing.status_code, wrong.status_code, other_session.status_code) == (403, 403, 403)
    assert "csrf" in missing.text.lower()


def test_a_cookie_post_with_the_csrf_token_is_accepted(
    client: TestClient, installation: Installation
) -> None:
    csrf = sign_in(client, installation.tokens["technician"])
    by_header = client.post("/api/v1/test-only/echo", headers={CSRF_HEADER: csrf})
    by_form = client.post("/api/v1/test-only/echo", data={"csrf_token": csrf})
    assert by_header.status_code == 200 and by_header.json() == {"handle": "tech-001"}
    assert by_form.status_code == 200


def test_the_csrf_token_of_one_session_does_not_fit_another(
    app: FastAPI, client: TestClient, installation: Installation
) -> None:
    technician_csrf = sign_in(client, installation.tokens["technician"])
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, installation.other_technician)
        assert other.post("/api/v1/test-only/echo", headers={CSRF_HEADER: technician_csrf}).status_code == 403


def test_bearer_calls_need_no_csrf_token(client: TestClient, installation: Installation) -> None:
    token = installation.tokens["auditor"]
    answer = client.post("/api/v1/test-only/echo", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == {"handle": "audit-001"}


def test_safe_methods_need_no_csrf_token(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.tokens["technician"])
    assert client.get("/technicien").status_code == 200


# -- the technician's pages ----------------------------------------------------------------


def test_the_template_chooser_lists_every_template(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.tokens["technician"])
    page = text_of(client.get("/technicien"))
    assert "/technicien/formulaire/chaudiere_gaz.entretien_annuel" in page
    assert "/technicien/formulaire/climatisation.mise_en_service" in page


def test_the_capture_form_is_generated_from_the_template(
    client: TestClient, installation: Installation
) -> None:
    sign_in(client, installation.tokens["technician"])
    answer = client.get("/technicien/formulaire/climatisation.mise_en_service")
    assert answer.status_code == 200
    page = text_of(answer)
    assert "Contrôle d'étanchéité du circuit frigorifique" in page  # a checklist item
    assert 'data-measurement="quantite_chargee" data-unit="kg"' in page
    # The range is shown and warned about, never a browser refusal (tests/quitus/test_web_offline.py).
    assert 'data-min="0" data-max="100"' in page and "Plage admise : 0 à 100 kg" in page
    assert "<option>R32</option>" in page  # a dropdown choice
    assert 'data-photo-kind="before"' in page and 'data-photo-kind="after"' in page
    assert page.count("<canvas") == 2
    assert "Intervention non terminée : à replanifier" in page
    assert 'value="Thermi-Services Lyon"' in page and 'value="tech-001"' in page
    # Nothing typed into the form can reach a URL: no GET form, no named personal field.
    assert 'method="get"' not in page
    assert not re.search(r'data-field="client\.[^"]*"[^>]*name=', page)
    assert answer.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_an_unknown_template_is_a_french_404(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.tokens["technician"])
    answer = client.get("/technicien/formulaire/inconnu.modele")
    assert answer.status_code == 404 and "Ce modèle d'intervention n'existe pas" in text_of(answer)


def test_the_status_page_shows_structured_issues_and_no_submitted_value(
    client: TestClient, installation: Installation
) -> None:
    sign_in(client, installation.tokens["technician"])
    answer = client.get(f"/technicien/rapports/{installation.rejected_report}")
    assert answer.status_code == 200
    page = text_of(answer)
    assert "refusé" in page and "Problèmes à corriger" in page
    assert "measurements[0].unit" in page and "doit être en ppm" in page
    assert "n'est pas renseigné" in page  # a missing checklist item, in French
    assert CLIENT_NAME not in page and "Albertine" not in page
    assert answer.headers["cache-control"] == "no-store"


def test_the_status_page_links_the_pdf_only_once_archived(
    client: TestClient, installation: Installation
) -> None:
    sign_in(client, installation.tokens["technician"])
    page = text_of(client.get(f"/technicien/rapports/{installation.valid_report}"))
    assert "validé" in page
    assert "pdf-link" not in page
    assert 'http-equiv="refresh"' in page  # follows the report until it is final


def test_another_technician_does_not_see_the_report(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.other_technician)
    answer = client.get(f"/technicien/rapports/{installation.valid_report}")
    assert answer.status_code == 404
    assert "Aucun rapport de votre compte ne porte ce numéro" in text_of(answer)


# -- compliance and audit ------------------------------------------------------------------


def test_the_compliance_page_shows_policies_plan_holds_and_reviews(
    client: TestClient, installation: Installation
) -> None:
    opened = open_app(installation.settings)
    try:
        hold = HoldService(opened.store.acting_as("dpo-001")).place(
            reason="RG-2026-118", scope_kind="reports", scope={"report_ids": [installation.valid_report]}
        )
    finally:
        opened.close()
    sign_in(client, installation.tokens["compliance"])
    page = text_of(client.get("/conformite", params={"date": "2040-01-01"}))
    assert "fr.pieces-comptables@" in page  # a policy, with its version
    assert hold.id in page and "RG-2026-118" in page
    row = re.search(rf'<tr data-report="{installation.valid_report}" class="held">(.*?)</tr>', page, re.S)
    assert row and "gel juridique" in row.group(1)
    assert "Aucun rapport n'attend d'examen" in page
    assert CLIENT_NAME not in page


def test_a_bad_plan_date_says_so_in_french(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.tokens["compliance"])
    answer = client.get("/conformite", params={"date": "31/12/2040"})
    assert answer.status_code == 200 and "Date invalide" in text_of(answer)


def test_the_audit_page_verifies_the_ledger(client: TestClient, installation: Installation) -> None:
    csrf = sign_in(client, installation.tokens["auditor"])
    page = text_of(client.get("/audit"))
    assert "événements enregistrés" in page and "Dernier point de contrôle" in page
    verified = client.post("/audit/verification", data={"csrf_token": csrf})
    assert verified.status_code == 200
    assert "Registre intact" in text_of(verified)


def test_verifying_the_ledger_needs_the_csrf_token(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.tokens["auditor"])
    assert client.post("/audit/verification").status_code == 403


def test_a_compliance_officer_sees_the_ledger_but_verification_is_the_auditors(
    client: TestClient, installation: Installation
) -> None:
    csrf = sign_in(client, installation.tokens["compliance"])
    assert client.get("/audit").status_code == 200
    assert client.post("/audit/verification", data={"csrf_token": csrf}).status_code == 403


# -- client portal -------------------------------------------------------------------------


def test_the_portal_shows_one_report_without_sign_in(client: TestClient, installation: Installation) -> None:
    answer = client.get(f"/portail/{installation.portal['valid']}")
    assert answer.status_code == 200
    page = text_of(answer)
    assert "Thermi-Services Lyon" in page and "Entretien annuel chaudière gaz" in page
    assert "en cours de préparation" in page  # validated, not sealed yet: no download
    assert CLIENT_NAME not in page
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("link", "status", "text"),
    [("expired", 410, "Lien expiré"), ("revoked", 410, "Lien désactivé"), ("forged", 404, "Lien invalide")],
)
def test_unusable_portal_links_say_why_in_french(
    client: TestClient, installation: Installation, link: str, status: int, text: str
) -> None:
    token = installation.portal.get(link) or installation.portal["valid"].partition(".")[0] + ".0000"
    answer = client.get(f"/portail/{token}")
    assert answer.status_code == status
    assert text in text_of(answer)


def test_static_files_are_served(client: TestClient) -> None:
    for name in (
        "quitus.css",
        "signature-pad.js",
        "capture.js",
        "api.js",
        "actions.js",
        "drafts.js",
        "outbox.js",
        "offline.js",
    ):
        assert client.get(f"/static/{name}").status_code == 200


def test_templates_and_static_files_ship_with_the_package() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    assert {"*.html", "*.css", "*.js"} <= set(globs)
