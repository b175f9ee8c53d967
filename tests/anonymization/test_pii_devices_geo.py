"""Online identifiers (MAC, IMEI) and GPS coordinates: accept and reject tables (no model needed)."""

from __future__ import annotations

import pytest

from anonymization.recognizers import GpsRecognizer, ImeiRecognizer, MacAddressRecognizer
from anonymization.recognizers.base import FrenchRecognizer


def found(recognizer: FrenchRecognizer, text: str) -> list[str]:
    return [text[e.start : e.end] for e in recognizer.find(text) if e.score >= 0.45]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("box : adresse MAC 6D:FA:35:B8:B9:06, IP…", ["6D:FA:35:B8:B9:06"]),
        ("mac 6d-fa-35-b8-b9-06", ["6d-fa-35-b8-b9-06"]),
        ("Cisco 6dfa.35b8.b906", ["6dfa.35b8.b906"]),
        ("adresse mac : 6DFA35B8B906", ["6DFA35B8B906"]),
        ("réf. 6DFA35B8B906", []),  # glued, no MAC word: a reference as likely
        ("6D:FA:35:B8:B9", []),  # five pairs
        ("heure 10:30:45", []),
        ("IPv6 fe80::1:2:3:4", []),
    ],
)
def test_mac_addresses(text: str, expected: list[str]) -> None:
    assert found(MacAddressRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IMEI 490154203237518", ["490154203237518"]),  # Luhn-valid
        ("transmetteur GSM, imei 49 015420 323751 8", ["49 015420 323751 8"]),
        ("imei: 490154203237519", ["490154203237519"]),  # key wrong, but introduced as an IMEI
        ("compteur 490154203237519", []),  # key wrong, no context
        ("trouvé 490154203237518 sur le boîtier", ["490154203237518"]),  # valid key is enough
        ("imei 12345", []),
    ],
)
def test_imeis(text: str, expected: list[str]) -> None:
    assert found(ImeiRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GPS 48.66341, -4.23314", ["48.66341, -4.23314"]),
        ("maison isolée 48,66341 ; -4,23314 au bout", ["48,66341 ; -4,23314"]),
        ("48°18'55.6\"N 7°20'40.4\"E", ["48°18'55.6\"N 7°20'40.4\"E"]),
        ("N 48°18.927 E 7°20.673", ["N 48°18.927 E 7°20.673"]),
        ("coordonnées : 47.5, -2.1", ["47.5, -2.1"]),  # few decimals, but introduced
        ("pression 1.5, 2.5 après purge", []),  # measurements, not a position
        ("mesures 95.12345, 200.12345", []),  # out of latitude/longitude range
    ],
)
def test_gps_coordinates(text: str, expected: list[str]) -> None:
    assert found(GpsRecognizer(), text) == expected
