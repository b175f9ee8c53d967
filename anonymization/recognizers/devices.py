"""Online identifiers of a home's devices (CNIL): MAC addresses of boxes and connected devices, IMEIs.

A MAC address has a fixed shape (six hexadecimal pairs joined by ``:`` or ``-``, or
three groups of four joined by ``.``); written glued (12 hexadecimal digits) it needs
the word ``MAC`` nearby. An IMEI is 15 digits whose last one is a Luhn key: a valid
key is enough; without it, the word ``IMEI`` (or a GSM transmitter) before the number
still makes it one — a mistyped IMEI still identifies the device.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.checksums import luhn_is_valid
from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by

__all__ = ["ImeiRecognizer", "MacAddressRecognizer"]

_HEX: Final = "[0-9A-Fa-f]"


class MacAddressRecognizer(FrenchRecognizer):
    """``6D:FA:35:B8:B9:06``, ``6d-fa-35-b8-b9-06``, ``6dfa.35b8.b906``; ``6DFA35B8B906`` after ``MAC``."""

    name: ClassVar[str] = "MacAddressRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("MAC_ADDRESS",)

    _SEPARATED: Final = re.compile(
        rf"(?<![\w:.-])(?:{_HEX}{{2}}([:-])(?:{_HEX}{{2}}\1){{4}}{_HEX}{{2}}"
        rf"|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}})(?![\w:-]|\.\w)"
    )
    _GLUED: Final = re.compile(rf"(?<![\w:.-]){_HEX}{{12}}(?![\w:.-])")
    _CONTEXT: Final = re.compile(r"\bmac\b")

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = [Entity(m.start(), m.end(), "MAC_ADDRESS", 0.9) for m in self._SEPARATED.finditer(text)]
        for match in self._GLUED.finditer(text):
            digits = sum(c.isdigit() for c in match.group())
            if 0 < digits < 12 and preceded_by(text, match.start(), self._CONTEXT, 30):
                found.append(Entity(match.start(), match.end(), "MAC_ADDRESS", 0.8))
        return found


class ImeiRecognizer(FrenchRecognizer):
    """15-digit IMEIs, glued or grouped (``35 209900 176148 1``, ``352099-00-176148-1``)."""

    name: ClassVar[str] = "ImeiRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("IMEI",)

    _PATTERN: Final = re.compile(r"(?<![\w.,/-])\d(?:[ .-]?\d){13,15}(?![\w/]|[.,-]\d)")
    _CONTEXT: Final = re.compile(r"(imei|gsm|transmetteur|module (?:gsm|4g|3g)|carte sim)\b[^.\n]{0,30}$")
    _DECIMAL_PAIR: Final = re.compile(r"-?\d{1,3}\.\d+ -?\d{1,3}\.\d+")

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._PATTERN.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            context = preceded_by(text, match.start(), self._CONTEXT, 50)
            if not context and self._DECIMAL_PAIR.fullmatch(match.group()):
                continue  # "45.764043 4.835659": a latitude and a longitude, not an IMEI
            if len(digits) == 15 and luhn_is_valid(digits):
                found.append(Entity(match.start(), match.end(), "IMEI", 0.95 if context else 0.6))
            elif context and len(digits) in (14, 15, 16):  # IMEI without its key, IMEISV
                found.append(Entity(match.start(), match.end(), "IMEI", 0.7))
        return found
