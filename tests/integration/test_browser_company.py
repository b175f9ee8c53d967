"""The company page in a real browser (issue 18): an administrator fills the identity and
uploads the logo on ``/entreprise`` (Debian's Chromium driven by Playwright, against
``quitus serve``); the logo is shown back, stored as ``quitus company set --logo`` stores it.

``QUITUS_SCREENSHOTS=docs/screenshots`` saves ``entreprise.png`` (1024×768, a tablet in landscape).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.company_logo import check_logo
from tests.cli_runner import serving_quitus
from tests.integration.test_browser import CHROMIUM, VIEWPORT, _environment, _quitus, _screenshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make system-deps` installs it)"
    ),
]


def _logo(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 112, 112), fill=(192, 57, 43, 255))
    draw.polygon([(60, 22), (88, 92), (32, 92)], fill=(255, 255, 255, 255))
    draw.rectangle((130, 40, 350, 56), fill=(44, 62, 80, 255))
    draw.rectangle((130, 68, 290, 80), fill=(127, 140, 141, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--lang=fr-FR"]
        )
        yield launched
        launched.close()


def test_the_administrator_fills_the_identity_and_uploads_the_logo(browser: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _quitus(home, "init", "--company", "Thermi-Services Lyon")
    _quitus(home, "users", "add", "admin-01", "--role", "admin")
    token = _quitus(home, "tokens", "create", "admin-01").stdout.strip().splitlines()[-1]
    logo = _logo(tmp_path / "logo.png")
    errors: list[str] = []
    with serving_quitus(_environment(home), tmp_path / "serve.log") as (base_url, _):
        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base_url}/connexion")
        page.fill("#token", token)
        page.click("text=Se connecter")
        page.goto(f"{base_url}/entreprise")
        page.fill("#company-legal-form", "SARL")
        page.fill("#company-address", "12 rue du Port, 69007 Lyon")
        page.fill("#company-phone", "04 72 00 00 00")
        page.fill("#company-siret", "732 829 320 00074")
        page.fill("#company-attestation", "AC-69-2024-0042")
        page.click("#company-save")
        page.wait_for_selector("#company-saved")
        page.set_input_files("#company-logo-file", str(logo))
        page.click("#company-logo-save")
        page.wait_for_selector("#company-saved")
        shown = page.locator("#company-logo img")
        assert shown.evaluate("img => img.complete && img.naturalWidth") == 360
        assert page.locator("#company-logo-remove").is_visible()
        _screenshot(page, "entreprise")
        context.close()
    assert errors == []
    stored = check_logo(logo.read_bytes()).sha256
    shown_file = home / "company" / f"logo-{stored}.png"
    assert hashlib.sha256(shown_file.read_bytes()).hexdigest() == stored
    shown_by_cli = json.loads(_quitus(home, "company", "show", "--json").stdout)
    assert shown_by_cli["logo_sha256"] == stored and shown_by_cli["siret"] == "73282932000074"
