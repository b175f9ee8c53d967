"""Offline capture in a real browser: Debian's Chromium driven by Playwright, against ``quitus serve``.

The network is cut for real: the browser talks to ``quitus serve`` through a small TCP
relay of this test, which refuses every connection while "offline" (the service worker's
own requests included, which Playwright's ``set_offline`` does not reach in every
version); ``context.set_offline`` is set with it so the page sees ``navigator.onLine``
change and gets its ``online`` / ``offline`` events.

1. A technician signs in and opens the boiler form (the service worker keeps it), fills
   part of it — a reading out of range is warned about, not refused —, attaches a photo
   and the client signs. The network goes; the page is reloaded: the form comes back from
   the service worker and the draft from the tablet (fields, photo, signature). The
   technician finishes, signs and sends: the report waits, the page says so. The network
   returns: the report leaves, exactly one report arrives, the intake flow seals and
   archives it, and the tablet no longer holds the draft.
2. A queued report whose answer is lost on the way back (the server has it, the tablet
   does not know) is sent again, twice: still one report, the same number each time.

``QUITUS_SCREENSHOTS=docs/screenshots`` saves the offline form and its message there.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from quitus.web.rendering import static_url
from tests.cli_runner import serving_quitus
from tests.integration.test_browser import (
    CHROMIUM,
    VIEWPORT,
    _assert_sealed_pdf,
    _draw_signature,
    _environment,
    _photo_jpeg,
    _quitus,
)

SCREENSHOTS = os.environ.get("QUITUS_SCREENSHOTS")
FORM = "chaudiere_gaz.entretien_annuel"
CLIENT_NAME = "Jeanne Hors-Réseau"
"""A personal value: typed offline, it must reach neither the server's log nor the service worker's cache."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make system-deps` installs it)"
    ),
]


class Relay:
    """A TCP relay from a local port to the server that can cut the network.

    ``online = False``: every connection, open or new, is closed at once (the browser sees
    the connection fail). ``lose_report_answers = True``: a capture request reaches the
    server but its answer is dropped and the connection closed (a network lost on the way
    back).
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.online = True
        self.lose_report_answers = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.online = False
        with self._lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self.online = True

    def close(self) -> None:
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.online:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            swallow = threading.Event()
            threading.Thread(target=self._pump, args=(client, upstream, swallow, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, swallow, False), daemon=True).start()

    def _pump(
        self, source: socket.socket, sink: socket.socket, swallow: threading.Event, request: bool
    ) -> None:
        try:
            while self.online:
                data = source.recv(65536)
                if not data:
                    break
                if request and self.lose_report_answers and b"POST /api/v1/reports " in data:
                    swallow.set()
                if not request and swallow.is_set():
                    break  # the server answered: the answer is lost
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@dataclass(frozen=True)
class Server:
    base_url: str
    """The relay's address: what the browser uses."""
    direct_url: str
    """The server itself: what the test checks with."""
    home: Path
    tokens: dict[str, str]
    log: Path
    relay: Relay


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-offline")
    home = root / "home"
    _quitus(home, "init", "--company", "Thermi-Services Lyon")
    tokens = {}
    for handle, role in (("tech-042", "technician"), ("dpo-01", "compliance")):
        _quitus(home, "users", "add", handle, "--role", role)
        tokens[handle] = _quitus(home, "tokens", "create", handle).stdout.strip().splitlines()[-1]
    log = root / "serve.log"
    with serving_quitus(_environment(home), log) as (direct_url, _):
        relay = Relay(int(direct_url.rsplit(":", 1)[1]))
        try:
            yield Server(f"http://127.0.0.1:{relay.port}", direct_url, home, tokens, log, relay)
        finally:
            relay.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--lang=fr-FR"]
        )
        yield launched
        launched.close()


@pytest.fixture
def tablet(browser: Any, server: Server) -> Iterator[tuple[Any, Any, list[str]]]:
    """A fresh browser profile (its own IndexedDB, Cache Storage and service worker)."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris", service_workers="allow"
    )
    context.set_default_timeout(20_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield context, page, errors
    finally:
        server.relay.restore()
        server.relay.lose_report_answers = False
        context.close()


def _screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)


def _sign_in_and_open_the_form(page: Any, server: Server) -> None:
    page.goto(f"{server.base_url}/connexion")
    page.fill("#token", server.tokens["tech-042"])
    page.click("text=Se connecter")
    page.wait_for_url("**/technicien")
    page.click("text=Entretien annuel chaudière gaz")
    page.wait_for_url(f"**/technicien/formulaire/{FORM}")
    # The service worker has kept the forms: they open without a network from now on.
    page.locator("html[data-offline-ready=true]").wait_for(state="attached")


def _go_offline(context: Any, server: Server) -> None:
    server.relay.cut()
    context.set_offline(True)


def _go_online(context: Any, server: Server) -> None:
    server.relay.restore()
    context.set_offline(False)


def _reports(server: Server) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.direct_url}/api/v1/reports",
        headers={"Authorization": f"Bearer {server.tokens['dpo-01']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    reports: list[dict[str, Any]] = answer.json()["reports"]
    return reports


def _drafts_on_the_tablet(page: Any) -> int:
    count: int = page.evaluate("async () => (await QuitusDrafts.all()).length")
    return count


def _cache_storage(page: Any) -> dict[str, str]:
    """What the service worker keeps in Cache Storage: path → text."""
    kept: dict[str, str] = page.evaluate(
        """async () => {
            const kept = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    kept[new URL(request.url).pathname] = await (await cache.match(request)).text();
                }
            }
            return kept;
        }"""
    )
    return kept


def test_a_report_typed_offline_survives_a_reload_and_leaves_once_when_the_network_returns(
    tablet: tuple[Any, Any, list[str]], server: Server, tmp_path: Path
) -> None:
    context, page, errors = tablet
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    before = len(_reports(server))
    _sign_in_and_open_the_form(page, server)

    # Part of the form, with the network still there.
    for selector, value in {
        "#technician-name": "Paul Exemple",
        "#client-name": CLIENT_NAME,
        "#client-street": "12 rue des Caves",
        "#client-postal-code": "69003",
        "#client-city": "Lyon",
        "#request-description": "Entretien annuel prévu au contrat",
    }.items():
        page.fill(selector, value)
    # 12 ppm is above the template's range (0 to 10): typed, kept, and flagged beside the input.
    page.fill("#measure-co_ambiant", "12")
    warning = page.locator("#range-co_ambiant")
    assert warning.is_visible() and "Hors plage" in warning.inner_text()
    assert page.eval_on_selector("#measure-co_ambiant", "input => input.checkValidity()")
    page.set_input_files("input[data-photo-kind=after]", str(_photo_jpeg(tmp_path / "chaudiere.jpg")))
    page.fill("#client-signer", CLIENT_NAME)
    _draw_signature(page, page.locator('[data-signature="client_signature"] canvas'))
    page.locator("#draft-status", has_text="Brouillon enregistré sur la tablette").wait_for()
    page.wait_for_timeout(600)  # the last keystrokes' save (debounced 250 ms)

    # The network goes; the page is reloaded: form from the service worker, draft from the tablet.
    _go_offline(context, server)
    page.reload()
    page.locator("#draft-status", has_text="rétabli").wait_for()
    assert page.is_visible("#network-status") and "Hors ligne" in page.inner_text("#network-status")
    assert page.input_value("#client-name") == CLIENT_NAME
    assert page.input_value("#client-street") == "12 rue des Caves"
    assert page.input_value("#measure-co_ambiant") == "12"
    assert page.is_visible("#range-co_ambiant")
    assert page.eval_on_selector("input[data-photo-kind=after]", "input => input.files.length") == 1
    assert page.locator(".previews img").count() == 1
    assert page.locator('[data-signature="client_signature"].signed').count() == 1
    assert page.input_value("#client-signer") == CLIENT_NAME
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, "technicien-hors-ligne-brouillon")
    page.locator("#measure-co_ambiant").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -140)")  # below the sticky "Hors ligne" banner
    _screenshot(page, "technicien-mesure-hors-plage")

    # Offline still: the technician finishes and sends.
    page.fill("#measure-co_ambiant", "2")
    assert page.is_hidden("#range-co_ambiant")
    for selector, value in {
        "#equipment-brand": "Saunier Duval",
        "#equipment-model": "ThemaPlus Condens F25",
        "#measure-co_fumees": "45",
        "#measure-rendement": "96.5",
        "#measure-temperature_fumees": "68",
        "#measure-pression_circuit": "1.4",
        "#technician-signer": "Paul Exemple",
    }.items():
        page.fill(selector, value)
    for item in page.locator("[data-item][data-required]").all():
        item.locator("label", has=page.locator("input[value=fait]")).click()
    for select in page.locator("select[data-selection]").all():
        select.select_option(index=1)
    _draw_signature(page, page.locator('[data-signature="technician_signature"] canvas'))
    page.click("#submit-report")
    queued = page.locator(
        "#queued-message", has_text="Hors ligne : le rapport partira dès le retour du réseau"
    )
    queued.wait_for()
    assert page.is_visible("#queued")
    _screenshot(page, "technicien-hors-ligne-envoi")
    assert len(_reports(server)) == before, "nothing can have left without a network"
    assert _drafts_on_the_tablet(page) == 1

    # The network returns: the queue sends, once.
    _go_online(context, server)
    page.locator("#sent").wait_for(state="visible", timeout=60_000)
    report_id = page.inner_text("#sent-report-id").strip()
    assert report_id.startswith("RI-")
    reports = _reports(server)
    assert len(reports) == before + 1
    assert [r["id"] for r in reports if r["id"] == report_id] == [report_id]
    assert _drafts_on_the_tablet(page) == 0, "the tablet keeps no report the server accepted"

    # The intake flow validates, redacts, renders, seals and archives it.
    intake = _quitus(server.home, "run", "intake")
    assert "archive 1" in intake.stdout, intake.stdout
    status = httpx.get(
        f"{server.direct_url}/api/v1/reports/{report_id}",
        headers={"Authorization": f"Bearer {server.tokens['tech-042']}"},
        timeout=30,
    ).json()
    assert status["state"] == "archived", status
    pdf = httpx.get(
        f"{server.direct_url}/api/v1/reports/{report_id}/pdf/redacted",
        headers={"Authorization": f"Bearer {server.tokens['tech-042']}"},
        timeout=60,
    )
    assert pdf.status_code == 200, pdf.text[:300]
    (tmp_path / "rapport.pdf").write_bytes(pdf.content)
    _assert_sealed_pdf(tmp_path / "rapport.pdf")

    # Privacy: the service worker's cache holds pages and scripts only; nothing typed, no token.
    kept = _cache_storage(page)
    assert f"/technicien/formulaire/{FORM}" in kept and static_url("capture.js") in kept
    assert not [path for path in kept if path.startswith("/api/") or "/rapports/" in path], sorted(kept)
    for path, text in kept.items():
        assert CLIENT_NAME not in text and "12 rue des Caves" not in text, path
        assert not re.search(r"\b[0-9a-f]{64}\b", text), f"{path} keeps the session's CSRF token"
    assert CLIENT_NAME not in server.log.read_text(errors="replace")
    assert not [line for line in console if CLIENT_NAME in line or "Caves" in line], console
    assert errors == []


def _queued_report(server: Server) -> str:
    """A valid report, as the form would queue it (its JSON, byte for byte)."""
    from reports.samples import generate_samples
    from reports.templates import TemplateCatalog

    sample = next(
        s
        for s in generate_samples(
            TemplateCatalog.load(), 8, seed=5, photo_size=(64, 48), invalid_share=0, unfinished_share=0
        )
        if s.template_id == FORM
    )
    payload = copy.deepcopy(sample.payload)
    day = dt.date.today() - dt.timedelta(days=1)
    payload["arrival"], payload["departure"] = f"{day}T09:00:00", f"{day}T10:30:00"
    payload["request"]["date"] = str(day - dt.timedelta(days=3))
    for signature in ("client_signature", "technician_signature"):
        if payload.get(signature):
            payload[signature]["signed_at"] = f"{day}T10:25:00"
    payload["technician"]["id"] = "tech-042"
    payload["submission_id"] = "web-" + os.urandom(16).hex()
    return json.dumps(payload, ensure_ascii=False)


QUEUE_AND_SEND = """async ([id, body, templateId]) => {
    await QuitusDrafts.put({ submissionId: id, templateId: templateId, handle: "tech-042",
                             status: "queued", body: body, queuedAt: new Date().toISOString() });
    let listen;
    const outcome = new Promise((resolve) => {
        listen = (event) => { if (event.detail.submissionId === id) resolve(event.detail); };
    });
    window.addEventListener("quitus:outbox", listen);
    QuitusOutbox.flush();
    const first = await outcome;
    window.removeEventListener("quitus:outbox", listen);
    const message = first.message || { text: "", details: [] };
    return { kind: first.kind, reportId: first.reportId || null,
             text: message.text, details: message.details };
}"""
"""Queue ``body`` on the tablet as the form does, send the queue, and give what happened to it."""


def test_a_queued_report_sent_again_after_a_lost_answer_is_one_report(
    tablet: tuple[Any, Any, list[str]], server: Server
) -> None:
    _context, page, errors = tablet
    _sign_in_and_open_the_form(page, server)
    page.goto(f"{server.base_url}/technicien")
    body = _queued_report(server)
    submission_id = json.loads(body)["submission_id"]

    # The server receives the report, but its answer is lost: to the tablet, it did not leave.
    server.relay.lose_report_answers = True
    first = page.evaluate(QUEUE_AND_SEND, [submission_id, body, FORM])
    assert first["kind"] == "offline", first
    assert _drafts_on_the_tablet(page) == 1, "a report whose answer was lost stays queued"
    mine = [r for r in _reports(server) if r["submission_id"] == submission_id]
    assert len(mine) == 1 and mine[0]["state"] != "rejected", mine
    page.locator("#outbox-status", has_text="1 rapport(s) en attente d'envoi").wait_for()

    # Sent again (the network is back), and once more: the same report, never a second one.
    server.relay.lose_report_answers = False
    second = page.evaluate(QUEUE_AND_SEND, [submission_id, body, FORM])
    third = page.evaluate(QUEUE_AND_SEND, [submission_id, body, FORM])
    assert second["kind"] == third["kind"] == "accepted", (second, third)
    assert second["reportId"] == third["reportId"] == mine[0]["id"], (second, third)
    assert [r["id"] for r in _reports(server) if r["submission_id"] == submission_id] == [mine[0]["id"]]
    assert _drafts_on_the_tablet(page) == 0
    page.locator("#outbox-status", has_text=f"Rapport {mine[0]['id']} envoyé").wait_for()
    assert errors == []


def test_a_refused_report_goes_back_to_the_form_with_the_servers_reasons(
    tablet: tuple[Any, Any, list[str]], server: Server
) -> None:
    _context, page, errors = tablet
    _sign_in_and_open_the_form(page, server)
    page.goto(f"{server.base_url}/technicien")
    broken = json.loads(_queued_report(server))
    del broken["client"]
    outcome = page.evaluate(QUEUE_AND_SEND, [broken["submission_id"], json.dumps(broken), FORM])
    assert outcome["kind"] == "rejected", outcome
    assert "refusé par le serveur" in outcome["text"] and any("client" in line for line in outcome["details"])
    kept = page.evaluate("async (id) => await QuitusDrafts.get(id)", broken["submission_id"])
    assert kept["status"] == "editing" and "body" not in kept, "refused: back to the form, not resent"
    page.locator("#outbox-status", has_text="Un rapport a été refusé par le serveur").wait_for()
    assert errors == []


def test_a_queued_report_waits_for_a_new_session_and_sign_out_empties_the_tablet(
    tablet: tuple[Any, Any, list[str]], server: Server
) -> None:
    _context, page, errors = tablet
    _quitus(server.home, "users", "add", "tech-043", "--role", "technician")
    token = _quitus(server.home, "tokens", "create", "tech-043").stdout.strip().splitlines()[-1]
    page.goto(f"{server.base_url}/connexion")
    page.fill("#token", token)
    page.click("text=Se connecter")
    page.wait_for_url("**/technicien")
    page.locator("html[data-offline-ready=true]").wait_for(state="attached")
    before = len(_reports(server))
    body = json.loads(_queued_report(server))
    body["technician"]["id"] = "tech-043"

    # The session ends (the user is disabled) while the report waits: it is kept, and the page says why.
    _quitus(server.home, "users", "disable", "tech-043")
    outcome = page.evaluate(
        QUEUE_AND_SEND.replace('"tech-042"', '"tech-043"'), [body["submission_id"], json.dumps(body), FORM]
    )
    assert outcome["kind"] == "session", outcome
    assert (
        "Votre session a expiré" in outcome["text"] and "reste enregistré sur la tablette" in outcome["text"]
    )
    assert _drafts_on_the_tablet(page) == 1
    assert len(_reports(server)) == before
    page.locator("#outbox-status", has_text="Votre session a expiré").wait_for()

    # Signing out asks first (a report has not left), then empties the tablet.
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("text=Se déconnecter")
    page.wait_for_url("**/connexion")
    assert dialogs and "pas encore envoyé" in dialogs[0], dialogs
    assert page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)") == []
    assert page.evaluate("async () => await caches.keys()") == []
    assert errors == []
