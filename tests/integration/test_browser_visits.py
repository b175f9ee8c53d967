"""A follow-up visit in a real browser: Debian's Chromium driven by Playwright, against ``quitus serve``.

One story: an unfinished boiler service is ingested and sealed; the planner opens
``/planning``, finds it waiting and plans its visit for a technician; the technician sees
it in their week, opens it (what it carries over: the client, the unfinished items, the
parts on order), starts the report — pre-filled from the plan — finishes and sends it;
the intake flow seals it, the visit is done, and the sealed PDF says *Suite de
l'intervention RI-…*, the first report's number.

``QUITUS_SCREENSHOTS=docs/screenshots`` saves the planning pages' screenshots there.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import serving_quitus
from tests.integration.test_browser import (
    CHROMIUM,
    SCREENSHOTS,
    SCRIPT_ERRORS,
    Server,
    _draw_signature,
    _environment,
    _page,
    _photo_jpeg,
    _quitus,
    _screenshot,
    _sign_in,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make system-deps` installs it)"
    ),
]

PLAYWRIGHT = pytest.importorskip("playwright.sync_api")
TEMPLATE = "chaudiere_gaz.entretien_annuel"
CLIENT = "Gervaise Suivie-Dossier"
STREET = "8 rue de la Reprise"


def _unfinished_payload() -> dict[str, Any]:
    samples = generate_samples(
        TemplateCatalog.load(), 40, seed=19, photo_size=(64, 48), invalid_share=0, unfinished_share=0.5
    )
    sample = next(s for s in samples if s.unfinished and s.template_id == TEMPLATE)
    payload = copy.deepcopy(sample.payload)
    payload["client"] |= {"kind": "particulier", "name": CLIENT}
    payload["client"].pop("company_name", None)
    payload["client"]["address"]["street"] = STREET
    payload["checklist"][0] = {
        **payload["checklist"][0],
        "status": "non_fait",
        "comment": "Vase d'expansion à purger",
    }
    recent = dt.date.today() - dt.timedelta(days=3)
    day = payload["arrival"][:10]
    return json.loads(json.dumps(payload).replace(f'"{day}T', f'"{recent.isoformat()}T'))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with PLAYWRIGHT.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--lang=fr-FR"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-visits")
    home = root / "home"
    _quitus(home, "init", "--company", "Thermi-Services Lyon")
    tokens = {}
    for handle, role in (("tech-042", "technician"), ("plan-01", "planner")):
        _quitus(home, "users", "add", handle, "--role", role)
        tokens[handle] = _quitus(home, "tokens", "create", handle).stdout.strip().splitlines()[-1]
    log = root / "serve.log"
    with serving_quitus(_environment(home), log) as (base_url, _):
        yield Server(base_url, home, tokens, log)


def _top_screenshot(page: Any, name: str) -> None:
    """What the technician sees on opening the form: its first screen, not the whole page."""
    if SCREENSHOTS:
        page.evaluate("window.scrollTo(0, 0)")
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)


def _pdftotext(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_a_follow_up_is_planned_seen_in_the_week_captured_pre_filled_and_sealed(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    # (a) The unfinished intervention, received and sealed.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "unfinished.json").write_text(
        json.dumps(_unfinished_payload(), ensure_ascii=False), encoding="utf-8"
    )
    ingested = json.loads(
        _quitus(server.home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()[0]
    )
    first_id, number = ingested["report_id"], ingested["number"]
    assert number and number.startswith("RI-")
    _quitus(server.home, "run", "intake")

    # (b) The planner plans its visit from /planning.
    day = dt.date.today() + dt.timedelta(days=7)
    page = _page(browser)
    _sign_in(page, server, "plan-01")
    page.wait_for_url("**/planning")
    page.goto(f"{server.base_url}/planning?semaine={day.isoformat()}")
    row = page.locator(f'#waiting-table tr[data-report="{first_id}"]')
    assert number in row.inner_text()
    row.locator("input[name=day]").fill(day.isoformat())
    row.locator("select[name=slot]").select_option("matin")
    row.locator("input[name=technicians]").fill("tech-042")
    row.locator("input[name=note]").fill("Client prévenu par téléphone")
    _screenshot(page, "planning-a-replanifier")
    row.locator("button", has_text="Planifier").click()
    planned = page.locator('#week-table tr[data-technician="tech-042"] .visit')
    try:
        planned.first.wait_for()  # the page reloads once the API has planned it
    except PLAYWRIGHT.TimeoutError:
        pytest.fail(f"not planned: {page.inner_text('#plan-result')}")
    assert number in planned.first.inner_text()
    assert page.locator(f'#waiting-table tr[data-report="{first_id}"]').count() == 0
    _screenshot(page, "planning")

    # (c) The technician sees it in their week and opens it.
    page = _page(browser)
    _sign_in(page, server, "tech-042")
    page.wait_for_url("**/technicien")
    page.goto(f"{server.base_url}/technicien/semaine?semaine={day.isoformat()}")
    tile = page.locator(f'section[data-day="{day.isoformat()}"] a.visit')
    assert f"suite de {number}" in tile.inner_text()
    _screenshot(page, "technicien-semaine")
    tile.click()
    page.wait_for_url("**/technicien/visites/PV-*")
    assert CLIENT in page.inner_text("#client-name")
    assert "Vase d'expansion à purger" in page.inner_text("#unfinished-items")
    assert "Client prévenu par téléphone" in page.inner_text("#planner-note")
    _screenshot(page, "technicien-visite")

    # (d) The report that continues it, pre-filled from the plan.
    page.click("#start-report")
    page.wait_for_url("**/rapport")
    assert page.input_value("#client-name") == CLIENT
    assert page.input_value("#client-street") == STREET
    assert page.input_value("#continues") == number
    assert page.input_value("#equipment-brand")
    # The unit's history, asked of the server for the serial number the form holds.
    page.locator("#equipment-history-live", has_text=number).wait_for()
    assert "non terminée" in page.inner_text("#equipment-history-live")
    carried = page.locator(".checklist-item.carried-over")
    assert carried.count() >= 1 and "Vase d'expansion à purger" in carried.first.inner_text()
    _top_screenshot(page, "technicien-formulaire-suite")
    page.fill("#technician-name", "Paul Exemple")
    for item in page.locator("[data-item]").all():
        item.locator("label", has=page.locator("input[value=fait]")).click()
    for measurement in page.locator("input[data-measurement][required]").all():
        low, high = measurement.get_attribute("data-min"), measurement.get_attribute("data-max")
        value = (float(low or 0) + float(high or float(low or 0) + 2)) / 2
        measurement.fill(f"{value:.1f}")
    for select in page.locator("select[data-selection]").all():
        select.select_option(index=1)
    page.set_input_files("input[data-photo-kind=after]", str(_photo_jpeg(tmp_path / "apres.jpg")))
    page.fill("#client-signer", CLIENT)
    page.fill("#technician-signer", "Paul Exemple")
    for canvas in page.locator(".signature-pad canvas").all():
        _draw_signature(page, canvas)
    page.click("#submit-report")
    page.locator("#sent").wait_for(state="visible")
    second_id = page.inner_text("#sent-report-id").strip()
    assert second_id.startswith("RI-") and second_id != first_id

    # (e) Sealed: the visit is done, and the PDF says which intervention it continues.
    _quitus(server.home, "run", "intake")
    visits = json.loads(
        _quitus(server.home, "visits", "list", "--from", "2000-01-01", "--status", "all", "--json").stdout
    )
    (visit,) = visits["visits"]
    assert visit["status"] == "done" and visit["continued_by_report_id"] == second_id
    pdf = httpx.get(
        f"{server.base_url}/api/v1/reports/{second_id}/pdf/redacted",
        headers={"Authorization": f"Bearer {server.tokens['tech-042']}"},
    )
    assert pdf.status_code == 200, pdf.text
    assert f"Suite de l'intervention {number}" in " ".join(
        _pdftotext(pdf.content, tmp_path / "suite.pdf").split()
    )
    checked = subprocess.run(
        ["pdfsig", str(tmp_path / "suite.pdf")], capture_output=True, text=True, check=False
    )
    assert "Signature #1" in checked.stdout, checked.stdout + checked.stderr
    assert CLIENT not in server.log.read_text(errors="replace")
    assert SCRIPT_ERRORS == []
