"""Checksums of the identifiers quitus validates before calling them personal data.

Every function takes the identifier *without* separators and returns ``False`` for
anything malformed instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "IBAN_LENGTHS",
    "iban_is_valid",
    "luhn_is_valid",
    "nir_is_valid",
    "nir_key",
    "siren_is_valid",
    "siret_is_valid",
]

IBAN_LENGTHS: Final[Mapping[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
"""IBAN length by country (SWIFT IBAN registry)."""

_CORSICA: Final[Mapping[str, str]] = {"2A": "19", "2B": "18"}
_LA_POSTE_SIREN: Final = "356000000"


def luhn_is_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards, SIREN and SIRET."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def nir_key(body: str) -> int | None:
    """The control key of a 13-character NIR body (``97 − body mod 97``); Corsica's 2A/2B count as 19/18."""
    if len(body) != 13:
        return None
    department = body[5:7].upper()
    numeric = body[:5] + _CORSICA.get(department, department) + body[7:]
    if not numeric.isdigit() or not numeric.isascii():
        return None
    return 97 - int(numeric) % 97


def nir_is_valid(nir: str) -> bool:
    """A 15-character NIR (*numéro de sécurité sociale*): plausible fields and the right key."""
    if len(nir) != 15 or not nir[13:].isdigit():
        return False
    sex, month = nir[0], nir[3:5]
    if sex not in "123478" or not month.isdigit() or not (1 <= int(month) <= 12 or 20 <= int(month) <= 99):
        return False
    return nir_key(nir[:13]) == int(nir[13:])


def siren_is_valid(siren: str) -> bool:
    """A 9-digit SIREN (Luhn)."""
    return len(siren) == 9 and luhn_is_valid(siren)


def siret_is_valid(siret: str) -> bool:
    """A 14-digit SIRET: Luhn, except La Poste's establishments (sum of digits divisible by 5)."""
    if len(siret) != 14 or not siret.isdigit() or not siret.isascii():
        return False
    if siret.startswith(_LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_is_valid(siret)


def iban_is_valid(iban: str) -> bool:
    """An IBAN of any registered country: its length and the ISO 7064 mod-97 check."""
    iban = iban.upper()
    if not iban.isascii() or not iban.isalnum() or IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    if not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
