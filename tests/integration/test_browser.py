"""The web pages in a real browser: Debian's Chromium driven by Playwright, against ``quitus serve``.

One story, in the order it happens: a technician signs in, fills a boiler-service form,
signs it on the canvas, attaches a photo and sends it; the intake flow runs; the status
page says "archivé" and links a sealed PDF. A compliance officer places a legal hold on
that report and sees it held in the plan of a later date. An auditor verifies the ledger
and exports the report's proof bundle, which ``quitus proof verify`` accepts. The client
opens the report through a portal link. It is one test because each step needs the
previous one (and the server, the intake run and the browser are the slow parts).

``QUITUS_SCREENSHOTS=docs/screenshots`` saves a screenshot of each page there (1024×768,
a tablet in landscape).
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_runner import run_quitus, serving_quitus

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1024, "height": 768}
SCREENSHOTS = os.environ.get("QUITUS_SCREENSHOTS")
SCRIPT_ERRORS: list[str] = []
"""Uncaught JavaScript errors of every page opened (there must be none)."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make system-deps` installs it)"
    ),
]


@dataclass(frozen=True)
class Server:
    base_url: str
    home: Path
    tokens: dict[str, str]
    """handle → API token."""
    log: Path


def _environment(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "QUITUS_HOME": str(home),
        "NO_COLOR": "1",
        "QUITUS_COMPANY_NAME": "Thermi-Services Lyon",
    }
    return {k: v for k, v in env.items() if not k.startswith("PREFECT_") and k != "QUITUS_DATABASE_URL"}


def _quitus(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_quitus(home, *args)
    assert result.returncode == 0, f"quitus {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    home = root / "home"
    _quitus(home, "init", "--company", "Thermi-Services Lyon")
    tokens = {}
    for handle, role in (("tech-042", "technician"), ("dpo-01", "compliance"), ("audit-07", "auditor")):
        _quitus(home, "users", "add", handle, "--role", role)
        tokens[handle] = _quitus(home, "tokens", "create", handle).stdout.strip().splitlines()[-1]
    log = root / "serve.log"
    with serving_quitus(_environment(home), log) as (base_url, _):
        yield Server(base_url, home, tokens, log)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--lang=fr-FR"]
        )
        yield launched
        launched.close()


def _page(browser: Any) -> Any:
    context = browser.new_context(
        viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda error: SCRIPT_ERRORS.append(str(error)))
    return page


def _screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Any, server: Server, handle: str, *, screenshot: bool = False) -> None:
    page.goto(f"{server.base_url}/connexion")
    page.fill("#token", server.tokens[handle])
    if screenshot:
        page.fill("#token", "")
        _screenshot(page, "connexion")
        page.fill("#token", server.tokens[handle])
    page.click("text=Se connecter")


def _photo_jpeg(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (200, 210, 225))
    ImageDraw.Draw(image).rectangle((60, 40, 260, 200), outline=(30, 30, 30), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def _draw_signature(page: Any, canvas: Any) -> None:
    """Two strokes with the mouse: a looping scrawl, then an underline."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, middle = box["x"] + 30, box["y"] + box["height"] * 0.5
    page.mouse.move(left, middle)
    page.mouse.down()
    for step in range(1, 80):
        angle = step / 4
        page.mouse.move(
            left + step * 3.2 + 14 * math.cos(angle), middle - 28 * math.sin(angle) * (1 - step / 120)
        )
    page.mouse.up()
    page.mouse.move(left + 10, middle + 42)
    page.mouse.down()
    page.mouse.move(left + 250, middle + 36, steps=12)
    page.mouse.up()


def _technician_captures_a_report(browser: Any, server: Server, tmp_path: Path) -> tuple[Any, str]:
    page = _page(browser)
    _sign_in(page, server, "tech-042", screenshot=True)
    page.wait_for_url("**/technicien")
    page.click("text=Entretien annuel chaudière gaz")
    page.wait_for_url("**/technicien/formulaire/chaudiere_gaz.entretien_annuel")
    for selector, value in {
        "#technician-name": "Paul Exemple",
        "#client-name": "Jeanne Fictive",
        "#client-street": "12 rue des Essais",
        "#client-postal-code": "69003",
        "#client-city": "Lyon",
        "#client-email": "jeanne.fictive@exemple.fr",
        "#request-description": "Entretien annuel prévu au contrat",
        "#equipment-brand": "Saunier Duval",
        "#equipment-model": "ThemaPlus Condens F25",
        "#measure-co_ambiant": "2",
        "#measure-co_fumees": "45",
        "#measure-rendement": "96.5",
        "#measure-temperature_fumees": "68",
        "#measure-pression_circuit": "1.4",
        "#client-signer": "Jeanne Fictive",
        "#technician-signer": "Paul Exemple",
    }.items():
        page.fill(selector, value)
    # "Non terminée": the reason is asked for; the "after" photo and the measurements are not.
    page.check("#unfinished")
    assert page.is_visible("#unfinished-reason")
    assert not page.eval_on_selector("input[data-photo-kind=after]", "input => input.required")
    assert not page.eval_on_selector("#measure-co_ambiant", "input => input.required")
    page.uncheck("#unfinished")
    assert page.is_hidden("#unfinished-reason")
    for item in page.locator("[data-item][data-required]").all():
        item.locator("label", has=page.locator("input[value=fait]")).click()
    for select in page.locator("select[data-selection]").all():
        select.select_option(index=1)
    page.set_input_files("input[data-photo-kind=after]", str(_photo_jpeg(tmp_path / "chaudiere.jpg")))
    for canvas in page.locator(".signature-pad canvas").all():
        _draw_signature(page, canvas)
    assert page.locator(".signature-pad.signed").count() == 2, "both signature pads should hold a signature"
    _screenshot(page, "technicien-formulaire")
    page.click("#submit-report")
    page.locator("#sent").wait_for(state="visible")
    report_id: str = page.inner_text("#sent-report-id").strip()
    assert report_id.startswith("RI-")
    return page, report_id


def test_technician_compliance_auditor_and_client_in_the_browser(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    # (a) The technician captures; the intake flow validates, redacts, renders, seals, archives.
    page, report_id = _technician_captures_a_report(browser, server, tmp_path)
    page.click("#sent-status-link")
    page.wait_for_url(f"**/technicien/rapports/{report_id}")
    assert page.inner_text("#report-state") == "reçu"
    intake = _quitus(server.home, "run", "intake")
    assert "archive 1" in intake.stdout, intake.stdout
    page.reload()
    assert page.inner_text("#report-state") == "archivé", page.content()
    _screenshot(page, "technicien-statut")
    with page.expect_download() as download_info:
        page.click("#pdf-link")
    pdf = tmp_path / "rapport.pdf"
    download_info.value.save_as(pdf)
    _assert_sealed_pdf(pdf)

    # (b) The compliance officer places a legal hold and sees the report held in a later plan.
    page = _page(browser)
    _sign_in(page, server, "dpo-01")
    page.wait_for_url("**/conformite")
    page.fill("#hold-reason", "RG-2026-118")
    page.fill("#hold-reports", report_id)
    page.click("text=Poser le gel")
    shown = json.loads(_quitus(server.home, "reports", "show", report_id, "--json").stdout)
    page.locator("#holds-table", has_text=shown["number"]).wait_for()  # people read the number
    page.fill("#plan-date", "2040-01-01")
    page.click("text=Afficher")
    held = page.locator(f'#plan-table tr[data-report="{report_id}"]')
    assert "held" in (held.get_attribute("class") or "")
    assert "gel juridique" in held.inner_text()
    _screenshot(page, "conformite")

    # (c) The auditor verifies the ledger and exports the report's proof bundle.
    page = _page(browser)
    _sign_in(page, server, "audit-07")
    page.wait_for_url("**/audit")
    page.click("#verify-ledger")
    assert "Registre intact" in page.inner_text("#verification")
    page.fill("#proof-report", report_id)
    with page.expect_download() as download_info:
        page.click("text=Exporter la preuve")
    bundle = tmp_path / "preuve.zip"
    download_info.value.save_as(bundle)
    page.locator("#proof-result", has_text="Preuve exportée").wait_for()
    _screenshot(page, "audit")
    vkey = (server.home / "ledger.vkey").read_text().strip()
    verified = run_quitus(server.home, "proof", "verify", str(bundle), "--key", vkey)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert report_id in verified.stdout

    # (d) The client opens the report through a portal link, without signing in.
    link = httpx.post(
        f"{server.base_url}/api/v1/reports/{report_id}/portal-links",
        json={"valid_days": 7},
        headers={"Authorization": f"Bearer {server.tokens['tech-042']}"},
    )
    assert link.status_code == 201, link.text
    page = _page(browser)
    page.goto(server.base_url + link.json()["path"])
    assert "Thermi-Services Lyon" in page.inner_text("main")
    _screenshot(page, "portail")
    with page.expect_download() as download_info:
        page.click("#portal-download")
    client_pdf = tmp_path / "client.pdf"
    download_info.value.save_as(client_pdf)
    _assert_sealed_pdf(client_pdf)
    assert "Jeanne Fictive" not in server.log.read_text(errors="replace")
    assert SCRIPT_ERRORS == []


def _assert_sealed_pdf(path: Path) -> None:
    from pypdf import PdfReader

    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), data[:40]
    fields = PdfReader(path).get_fields() or {}
    assert any(field.get("/FT") == "/Sig" for field in fields.values()), "no signature field in the PDF"
    checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature #1" in checked.stdout, checked.stdout + checked.stderr
