"""Vehicle licence plates: SIV (``AB-123-CD``, since 2009) and the older FNI (``1234 AB 56``)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by

__all__ = ["LicensePlateRecognizer"]

# SIV letters exclude I, O and U (other letters are still caught below, as a mistyped plate).
_L: Final = "[A-HJ-NP-TV-Z]"
_DEPARTMENT: Final = r"(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])"


class LicensePlateRecognizer(FrenchRecognizer):
    """French licence plates; FNI plates with a single letter need a vehicle word nearby.

    The SIV shape ``AA-123-AA`` is a plate even with letters the SIV never issues
    (``QU-744-ZJ``): a mistyped plate still identifies a car. Lower-case or glued
    plates need a vehicle word.
    """

    name: ClassVar[str] = "FrLicensePlateRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("FR_LICENSE_PLATE",)

    _SIV: Final = re.compile(rf"(?<![\w-])({_L}{{2}})([- ]?)\d{{3}}\2({_L}{{2}})(?![\w-])")
    _ANY_LETTERS: Final = re.compile(r"(?<![\w-])([A-Za-z]{2})([- ]?)\d{3}\2([A-Za-z]{2})(?![\w-])")
    _FNI: Final = re.compile(rf"(?<![\w.,-])\d{{1,4}}([- ])([A-Z]{{1,3}})\1{_DEPARTMENT}(?![\w-]|[.,]\d)")
    _FNI_ANY_CASE: Final = re.compile(
        rf"(?<![\w.,-])\d{{1,4}}([- ]?)([A-Za-z]{{2,3}})\1{_DEPARTMENT}(?![\w-]|[.,]\d)", re.IGNORECASE
    )
    _CONTEXT: Final = re.compile(
        r"(immat\w*|plaque\w*|vehicule\w*|veh|voiture\w*|camion\w*|fourgon\w*|utilitaire\w*|gare\w*|"
        r"stationne\w*|auto|moto|vl|vu|4x4|parking|garage)\W"
    )
    _CONTEXT_AFTER: Final = re.compile(
        r"\s*,?\s*(?:gar[ée]e?s?|stationn[ée]e?s?|immatricul\w*)\b", re.IGNORECASE
    )
    """``… dw 086 sl garée devant le portail``: the vehicle word after the plate."""
    _UNITS: Final = frozenset({"A", "V", "W", "KW", "KVA", "VA", "MA", "HZ", "HP", "BP", "PA", "KPA"})

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._SIV.finditer(text):
            context = self._context(text, match)
            if match.group(2) == "" and not context:
                continue  # AB123CD glued: as likely a model code as a plate
            found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.85 if context else 0.7))
        for match in self._ANY_LETTERS.finditer(text):
            if self._SIV.fullmatch(match.group()) and match.group().isupper():
                continue  # already found above
            context = self._context(text, match)
            dashed = match.group(2) == "-"  # "kd-832-bi": the SIV's dashes, typed in lower case
            lower = match.group().islower() and not match.group(2)  # "ab123cd": no model code looks so
            if context or dashed or lower:  # letters the SIV never issues, or lower case: still a plate
                found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.75 if context else 0.6))
        for match in self._FNI.finditer(text):
            letters = match.group(2)
            context = self._context(text, match)
            if (len(letters) < 2 or letters in self._UNITS) and not context:
                continue
            found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.8 if context else 0.55))
        for match in self._FNI_ANY_CASE.finditer(text):
            if not match.group().isupper() and self._context(text, match):
                found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.7))
        return found

    def _context(self, text: str, match: re.Match[str]) -> bool:
        """A vehicle word before the plate, or right after it."""
        return preceded_by(text, match.start(), self._CONTEXT, 60) or bool(
            self._CONTEXT_AFTER.match(text, match.end())
        )
