"""Checksums: valid identifiers pass, the same with an off-by-one check digit fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymization.checksums import (
    iban_is_valid,
    luhn_is_valid,
    nir_is_valid,
    nir_key,
    siren_is_valid,
    siret_is_valid,
)


def _bump_last_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


@pytest.mark.parametrize(
    ("nir", "valid"),
    [
        ("185057800608491", True),
        ("185057800608492", False),
        ("269052A00208416", True),  # Corsica: 2A counts as 19
        ("269052A00208417", False),
        ("269052B12345618", True),  # 2B counts as 18
        ("269052B12345616", False),  # 2A's key on a 2B number
        ("285137502301203", False),  # month 13
        ("985057800608436", False),  # sex digit 9
        ("18505780060843", False),  # 14 characters
    ],
)
def test_nir(nir: str, valid: bool) -> None:
    assert nir_is_valid(nir) is valid


@given(
    sex=st.sampled_from("12"),
    year=st.integers(0, 99),
    month=st.integers(1, 12),
    department=st.sampled_from(["01", "2A", "2B", "75", "95"]),
    commune=st.integers(1, 999),
    order=st.integers(1, 999),
)
def test_nir_key_is_97_minus_body_mod_97(
    sex: str, year: int, month: int, department: str, commune: int, order: int
) -> None:
    body = f"{sex}{year:02d}{month:02d}{department}{commune:03d}{order:03d}"
    key = nir_key(body)
    assert key is not None and 1 <= key <= 97
    assert nir_is_valid(f"{body}{key:02d}")
    assert not nir_is_valid(f"{body}{(key % 97) + 1:02d}")


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4970101234567893", True),
        ("4970101234567894", False),
        ("378282246310005", True),
        ("0", True),
        ("", False),
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_is_valid(number) is valid


@pytest.mark.parametrize(
    ("siren", "siret", "valid"),
    [
        ("732829320", "73282932000074", True),
        ("732829321", "73282932000075", False),
        ("356000000", "35600000000001", True),  # La Poste: sum of the digits divisible by 5
        ("356000000", "35600000000002", False),
    ],
)
def test_siren_and_siret(siren: str, siret: str, valid: bool) -> None:
    if siren != "356000000":
        assert siren_is_valid(siren) is valid
    assert siret_is_valid(siret) is valid


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890189",
        "DE89370400440532013000",
        "BE68539007547034",
        "GB29NWBK60161331926819",
        "CH9300762011623852957",
        "NL91ABNA0417164300",
        "fr7630006000011234567890189",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_is_valid(iban)
    assert not iban_is_valid(_bump_last_digit(iban))


@pytest.mark.parametrize(
    "iban",
    ["FR763000600001123456789018", "XX7630006000011234567890189", "FR76 3000", "DEAB370400440532013000"],
)
def test_invalid_iban_shapes(iban: str) -> None:
    assert not iban_is_valid(iban)
