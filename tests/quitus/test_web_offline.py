"""Offline capture, the server's side: the service worker, the manifest and its icons, the
list of what the tablet keeps for offline use, the session probe the queue asks before
sending, and measurement inputs that warn instead of refusing.

The browser side (IndexedDB drafts, the queue, going offline) is driven in
``tests/integration/test_browser_offline.py``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from quitus.api import create_app
from quitus.api.auth import CSRF_HEADER
from quitus.settings import Settings
from quitus.web.rendering import static_url
from quitus.wiring import initialize, open_app
from reports.templates import TemplateCatalog
from storage.access_store import AccessStore, Role

FORM = "/technicien/formulaire/climatisation.mise_en_service"


@dataclass(frozen=True)
class Installation:
    settings: Settings
    technician: str
    compliance: str
    other_technician: str


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    settings = Settings(home=tmp_path_factory.mktemp("offline") / "home", company_name="Thermi-Services Lyon")
    initialize(settings)
    opened = open_app(settings)
    try:
        access = AccessStore(opened.store)
        access.add_user("tech-001", Role.TECHNICIAN, actor="test")
        access.add_user("dpo-001", Role.COMPLIANCE, actor="test")
        access.add_user("tech-002", Role.TECHNICIAN, actor="test")
        technician = access.create_token("tech-001", actor="test")[1]
        compliance = access.create_token("dpo-001", actor="test")[1]
        other = access.create_token("tech-002", actor="test")[1]
    finally:
        opened.close()
    return Installation(settings, technician, compliance, other)


@pytest.fixture
def client(installation: Installation) -> Iterator[TestClient]:
    with TestClient(create_app(installation.settings), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, token: str) -> str:
    answer = client.post("/connexion", data={"token": token})
    assert answer.status_code == 303, answer.text
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', client.get("/technicien").text)
    return match.group(1) if match else ""


# -- the measurements: a reading out of range is typed, and flagged -----------------------


def test_a_measurement_out_of_range_is_not_refused_by_the_browser(
    client: TestClient, installation: Installation
) -> None:
    sign_in(client, installation.technician)
    page = client.get(FORM).text
    inputs = re.findall(r"<input[^>]*data-measurement=[^>]*>", page)
    assert inputs, "the form has measurement inputs"
    for tag in inputs:
        assert not re.search(r"\s(min|max)=", tag), f"a hard browser limit refuses the reading: {tag}"
    # The range still travels, for the non-blocking warning beside the input.
    assert any('data-min="0"' in tag and 'data-max="100"' in tag for tag in inputs), inputs
    assert page.count("data-range-warning") == len(inputs)
    assert "Plage admise : 0 à 100 kg" in page


# -- the installable app -------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_scope(client: TestClient) -> None:
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert answer.headers["cache-control"] == "no-cache"  # a new version is seen at the next visit
    assert 'addEventListener("fetch"' in answer.text


def test_the_manifest_names_the_app_and_its_icons_are_pngs_of_their_size(client: TestClient) -> None:
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] and manifest["short_name"] == "quitus"
    assert manifest["start_url"] == "/technicien"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "fr"
    sizes = set()
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        width, height = Image.open(io.BytesIO(png.content)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes  # what a browser asks for to offer "install"


def test_the_technician_pages_link_the_manifest_and_the_offline_script(
    client: TestClient, installation: Installation
) -> None:
    sign_in(client, installation.technician)
    for path in ("/technicien", FORM):
        page = client.get(path).text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page, path
        assert f'<script src="{static_url("offline.js")}"></script>' in page, path


def test_the_offline_shell_lists_every_form_and_no_report_data(
    client: TestClient, installation: Installation
) -> None:
    assert client.get("/technicien/hors-ligne").status_code in {303, 401}
    sign_in(client, installation.technician)
    answer = client.get("/technicien/hors-ligne")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    shell = answer.json()
    urls = set(shell["urls"])
    for template in TemplateCatalog.load():
        assert f"/technicien/formulaire/{template.id}" in urls
    assert {
        "/technicien",
        "/technicien/semaine",  # this week's visits, no plan (the plans stay online only)
        static_url("quitus.css"),
        static_url("capture.js"),
        static_url("offline.js"),
    } <= urls
    assert "/static/quitus.css" in urls  # the service worker's offline page uses the plain name
    assert not [url for url in urls if url.startswith("/api/") or "/rapports/" in url or "/visites/" in url]
    assert re.fullmatch(r"[0-9a-f]{16}", shell["version"])
    # Another technician on the same tablet: the forms name them, so they are kept again.
    client.cookies.clear()
    sign_in(client, installation.other_technician)
    assert client.get("/technicien/hors-ligne").json()["version"] != shell["version"]


def test_the_session_probe_gives_the_csrf_token_or_says_the_session_is_over(
    client: TestClient, installation: Installation
) -> None:
    signed_out = client.get("/technicien/session")
    assert signed_out.status_code == 401
    assert signed_out.json() == {"signed_in": False}
    csrf = sign_in(client, installation.technician)
    answer = client.get("/technicien/session")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {"signed_in": True, "handle": "tech-001", "csrf_token": csrf}
    # The token works for a cookie call (what a queued report is sent with).
    echo = client.post(
        "/api/v1/reports", content=b"{}", headers={CSRF_HEADER: csrf, "Content-Type": "application/json"}
    )
    assert echo.status_code != 403, echo.text


def test_the_session_probe_is_the_technicians(client: TestClient, installation: Installation) -> None:
    sign_in(client, installation.compliance)
    assert client.get("/technicien/session").status_code == 403


def test_signing_out_tells_the_browser_to_forget_the_site_data(
    client: TestClient, installation: Installation
) -> None:
    csrf = sign_in(client, installation.technician)
    answer = client.post("/deconnexion", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert answer.headers["clear-site-data"] == '"cache", "storage"'
