"""Vehicle licence plates: SIV (``AB-123-CD``, since 2009) and the older FNI (``1234 AB 56``)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by

__all__ = ["LicensePlateRecognizer"]

# SIV letters exclude I, O and U; "SS" is never issued.
_L: Final = "[A-HJ-NP-TV-Z]"
_DEPARTMENT: Final = r"(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])"


class LicensePlateRecognizer(FrenchRecognizer):
    """French licence plates; FNI plates with a single letter need a vehicle word nearby."""

    name: ClassVar[str] = "FrLicensePlateRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("FR_LICENSE_PLATE",)

    _SIV: Final = re.compile(rf"(?<![\w-])({_L}{{2}})([- ]?)\d{{3}}\2({_L}{{2}})(?![\w-])")
    _FNI: Final = re.compile(rf"(?<![\w.,-])\d{{1,4}}([- ])([A-Z]{{1,3}})\1{_DEPARTMENT}(?![\w-]|[.,]\d)")
    _CONTEXT: Final = re.compile(
        r"(immatricul\w*|plaque\w*|vehicule\w*|voiture\w*|camion\w*|fourgon\w*|utilitaire\w*|gare\w*|stationne\w*|auto|moto)\W"
    )
    _UNITS: Final = frozenset({"A", "V", "W", "KW", "KVA", "VA", "MA", "HZ", "HP", "BP", "PA", "KPA"})

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._SIV.finditer(text):
            if "SS" in (match.group(1), match.group(3)):
                continue
            context = preceded_by(text, match.start(), self._CONTEXT, 60)
            if match.group(2) == "" and not context:
                continue  # AB123CD glued: as likely a model code as a plate
            found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.85 if context else 0.7))
        for match in self._FNI.finditer(text):
            letters = match.group(2)
            context = preceded_by(text, match.start(), self._CONTEXT, 60)
            if (len(letters) < 2 or letters in self._UNITS) and not context:
                continue
            found.append(Entity(match.start(), match.end(), "FR_LICENSE_PLATE", 0.8 if context else 0.55))
        return found
