"""The company identity (issue 18, finding 3): configured once, checked, recorded in the ledger."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from storage.company import CompanyStore, check_siret, identity_digest
from storage.company_logo import LogoStore, check_logo
from storage.errors import CompanyIdentityError
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord
from storage.report_store import ReportStore


def image_bytes(size: tuple[int, int] = (200, 80), kind: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (20, 90, 160)).save(out, format=kind)
    return out.getvalue()


@pytest.fixture
def company(store: ReportStore, tmp_path: Path) -> CompanyStore:
    return CompanyStore(
        store.database,
        store.ledger,
        LogoStore(tmp_path / "home" / "company"),
        actor="admin",
        fallback_name="X",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
        ("35600000000048", "35600000000048"),  # La Poste's head office: Luhn
        ("35600000000001", "35600000000001"),  # a La Poste office: digit sum a multiple of 5
    ],
)
def test_a_valid_siret_is_accepted(value: str, expected: str) -> None:
    assert check_siret(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("73282932000075", "not a valid SIRET .* check digit"),
        ("7328293200007", "a SIRET is 14 digits .* 13 digit"),
        ("7328293200007A", "characters that are not digits"),
        ("35600000000002", "not a valid SIRET"),
    ],
)
def test_an_invalid_siret_says_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(CompanyIdentityError, match=f"--siret: .*{message}"):
        check_siret(value)


def test_png_and_jpeg_logos_are_stored_as_png_named_by_hash(tmp_path: Path) -> None:
    for data in (image_bytes(), image_bytes(kind="JPEG"), image_bytes(mode="RGBA")):
        logo = check_logo(data)
        assert logo.png.startswith(b"\x89PNG")
        path = LogoStore(tmp_path).put(logo)
        assert path.name == f"logo-{logo.sha256}.png"
        assert LogoStore(tmp_path).get(logo.sha256) == logo.png


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "cannot be read|give a PNG or JPEG"),
        (image_bytes(kind="GIF"), "GIF; give a PNG or JPEG"),
        (image_bytes((10, 10)), "10×10 px; each side must be between 32 and 4000"),
        (image_bytes((5000, 40)), "5000×40 px"),
        (b"\x89PNG" + b"\0" * (1024 * 1024 + 1), "at most 1048576 \\(1 MiB\\)"),
        (image_bytes()[:60], "cannot be read"),
    ],
)
def test_a_bad_logo_is_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(CompanyIdentityError, match=f"--logo: .*({message})"):
        check_logo(data)


def test_an_altered_logo_is_named(tmp_path: Path) -> None:
    logo = check_logo(image_bytes())
    LogoStore(tmp_path).put(logo).write_bytes(image_bytes((64, 64)))
    with pytest.raises(CompanyIdentityError, match="was altered"):
        LogoStore(tmp_path).get(logo.sha256)


def test_the_identity_is_kept_and_each_change_is_a_ledger_event(company: CompanyStore) -> None:
    assert company.current().name == "X"
    assert company.current().revision == 0
    assert company.seed_name("Thermi'Clim Services")
    assert not company.seed_name("Another")
    changed = company.update(
        siret="732 829 320 00074", attestation="AC-69-2024-0042", address="12 rue du Port"
    )
    assert changed.name == "Thermi'Clim Services"
    assert changed.siret == "73282932000074"
    assert changed.revision == 2
    assert company.update(attestation="AC-69-2024-0042").revision == 2  # no change, no event
    assert company.update(address="").address is None
    with company.database.session() as session:
        entries = [
            decode_entry(e)
            for e in session.scalars(
                select(LedgerEntryRecord.entry)
                .where(LedgerEntryRecord.step == LedgerStep.COMPANY_SET)
                .order_by(LedgerEntryRecord.seq)
            )
        ]
    assert [e["details"]["revision"] for e in entries] == [1, 2, 3]
    assert entries[-1]["details"]["identity_sha256"] == identity_digest(company.current())
    assert entries[1]["actor"] == "admin"


def test_an_empty_name_or_a_bad_siret_changes_nothing(company: CompanyStore) -> None:
    company.seed_name("Thermi'Clim Services")
    with pytest.raises(CompanyIdentityError, match="--name"):
        company.update(name="  ")
    with pytest.raises(CompanyIdentityError, match="--siret"):
        company.update(siret="12345678901234", attestation="AC-1")
    assert company.current().attestation is None
    assert company.current().revision == 1
