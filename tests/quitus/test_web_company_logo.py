"""Issue 18: the administrator uploads the company's logo on ``/entreprise`` — the same checks
and storage as ``quitus company set --logo``, CSRF as the page's other forms, admin only."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from quitus.api import create_app
from quitus.wiring import open_app
from storage.company_logo import LOGO_MAX_BYTES, check_logo
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord
from tests.quitus.test_web_company import Home, home, sign_in, text

__all__ = ["home"]  # the module fixture shared with test_web_company


@pytest.fixture
def client(home: Home) -> Iterator[TestClient]:
    with TestClient(create_app(home.settings), follow_redirects=False) as test_client:
        yield test_client


def image(size: tuple[int, int], image_format: str = "PNG", color: str = "#c0392b") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(client: TestClient, csrf: str | None, data: bytes, name: str = "logo.png") -> httpx.Response:
    fields = {"csrf_token": csrf} if csrf is not None else {}
    return client.post("/entreprise/logo", data=fields, files={"logo": (name, data, "image/png")})


def company_entries(home: Home) -> list[dict]:
    opened = open_app(home.settings)
    try:
        with opened.database.session() as session:
            return [
                decode_entry(e)
                for e in session.scalars(
                    LedgerEntryRecord.__table__.select()
                    .with_only_columns(LedgerEntryRecord.entry)
                    .where(LedgerEntryRecord.step == LedgerStep.COMPANY_SET)
                    .order_by(LedgerEntryRecord.seq)
                )
            ]
    finally:
        opened.close()


def current_logo(home: Home) -> str | None:
    opened = open_app(home.settings)
    try:
        return opened.company().current().logo_sha256
    finally:
        opened.close()


def test_the_administrator_uploads_a_logo_kept_as_the_cli_keeps_it(client: TestClient, home: Home) -> None:
    csrf = sign_in(client, home.tokens["admin-001"])
    page = client.get("/entreprise")
    assert 'enctype="multipart/form-data"' in page.text and 'name="logo"' in page.text
    jpeg = image((240, 80), "JPEG")
    saved = upload(client, csrf, jpeg, "logo.jpg")
    assert saved.status_code == 200, saved.text
    assert "Enregistré" in text(saved)
    expected = check_logo(jpeg).sha256  # what the CLI's --logo stores: the same PNG, the same hash
    assert current_logo(home) == expected
    shown = client.get("/entreprise/logo")
    assert shown.status_code == 200 and hashlib.sha256(shown.content).hexdigest() == expected
    assert (home.settings.home / "company" / f"logo-{expected}.png").read_bytes() == shown.content
    assert company_entries(home)[-1]["actor"] == "admin-001"
    removed = client.post("/entreprise/logo", data={"csrf_token": csrf, "remove": "1"}, files={})
    assert removed.status_code == 200 and "Aucun logo" in text(removed)
    assert current_logo(home) is None


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(image((16, 16)), "16×16 px", id="too-small"),
        pytest.param(b"GIF89a" + b"\0" * 64, "cannot be read as a PNG or JPEG", id="not-an-image"),
        pytest.param(b"\x89PNG" + b"\0" * LOGO_MAX_BYTES, "at most 1048576 (1 MiB)", id="too-large"),
        pytest.param(b"", "cannot be read as a PNG or JPEG", id="no-file"),
    ],
)
def test_a_logo_the_cli_would_refuse_is_refused_and_nothing_changes(
    client: TestClient, home: Home, data: bytes, says: str
) -> None:
    csrf = sign_in(client, home.tokens["admin-001"])
    before, entries = current_logo(home), len(company_entries(home))
    refused = upload(client, csrf, data)
    assert refused.status_code == 422
    assert says in text(refused) and "Logo:" in text(refused)
    assert current_logo(home) == before and len(company_entries(home)) == entries


def test_the_logo_form_needs_the_csrf_token_and_the_administrator(client: TestClient, home: Home) -> None:
    csrf = sign_in(client, home.tokens["admin-001"])
    before = current_logo(home)
    for token in (None, "0" * 64):
        refused = upload(client, token, image((64, 64)))
        assert refused.status_code == 403, refused.text
    assert current_logo(home) == before
    technician_csrf = sign_in(client, home.tokens["tech-001"])
    assert upload(client, technician_csrf, image((64, 64))).status_code == 403
    assert current_logo(home) == before
    assert csrf != technician_csrf
