"""GPS coordinates of a place: decimal degrees (dot or comma decimals) and degrees-minutes-seconds.

Coordinates locate a home as precisely as its address. A decimal pair needs enough
decimals to be a position (four at least) and values within latitude and longitude
ranges; with fewer decimals, a word such as ``GPS`` or ``coordonnées`` must introduce it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by

__all__ = ["GpsRecognizer"]

_DEGREE: Final = (
    r"\d{1,3}(?:[.,]\d+)?\s?[°º]\s?(?:\d{1,2}[.,]\d+\s?['’′]?|\d{1,2}\s?['’′]\s?"
    r"(?:\d{1,2}(?:[.,]\d+)?\s?(?:\"|''|″|”)?)?)?"
)
_HEMISPHERE: Final = r"[NSEWO]"


class GpsRecognizer(FrenchRecognizer):
    """``48.66341, -4.23314``, ``48,66341 ; -4,23314``, ``48°18'55.6"N 7°20'40.4"E``, ``N 48°18.9 E 7°2``."""

    name: ClassVar[str] = "GpsRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("GPS_COORDINATES",)

    _DECIMAL: Final = re.compile(
        r"(?<![\w.,-])(?:(?P<lb>[NSns])\s?)?(?P<lat>[-+]?\d{1,2}(?P<sep>[.,])(?P<latd>\d{1,8}))\s*°?\s*"
        r"(?P<lh>[NSns](?![a-z]))?\s*(?:[,;/]|\s)\s*(?:(?P<ob>[EWOewo])\s?)?"
        r"(?P<lon>[-+]?\d{1,3}(?P=sep)(?P<lond>\d{1,8}))(?:\s*°)?(?:\s*(?P<oh>[EWOewo]))?(?![\w]|[.,]\d)"
    )
    _DEGREES_MINUTES: Final = re.compile(
        r"(?<![\w.,-])\d{1,2}\s\d{1,2}[.,]\d{1,4}\s?[NSns]\s*[,;/]?\s*\d{1,3}\s\d{1,2}[.,]\d{1,4}\s?[EWOewo]"
        r"(?![\w])"
    )
    """``44 32.219N 3 18.761E``: degrees and decimal minutes, the degree sign left out."""
    _DMS: Final = re.compile(
        rf"(?<![\w])(?:{_HEMISPHERE}\s?{_DEGREE}|{_DEGREE}\s?{_HEMISPHERE})(?![a-z])"
        rf"\s*[,;/]?\s*(?:{_HEMISPHERE}\s?{_DEGREE}|{_DEGREE}\s?{_HEMISPHERE})(?![\w])"
    )
    _CONTEXT: Final = re.compile(r"(gps|coordonnees|coord|latitude|lat|position|localisation|geoloc\w*)\b")

    _LABELLED: Final = re.compile(
        r"\b(?:lat|latitude)\s*[:=]?\s*(?P<first>[-+]?\d{1,2}[.,]\d{2,8})[^\d\n]{0,12}?"
        r"\b(?:lon|long|lng|longitude)\s*[:=]?\s*(?P<last>[-+]?\d{1,3}[.,]\d{2,8})(?![\d])",
        re.IGNORECASE,
    )

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = [Entity(m.start(), m.end(), "GPS_COORDINATES", 0.9) for m in self._DMS.finditer(text)]
        found += [  # "lat 48.1234 long -4.5678": both numbers and the labels between them
            Entity(m.start(), m.end("last"), "GPS_COORDINATES", 0.9) for m in self._LABELLED.finditer(text)
        ]
        found += [
            Entity(m.start(), m.end(), "GPS_COORDINATES", 0.9) for m in self._DEGREES_MINUTES.finditer(text)
        ]
        for match in self._DECIMAL.finditer(text):
            lat = float(match.group("lat").replace(",", "."))
            lon = float(match.group("lon").replace(",", "."))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                continue
            context = preceded_by(text, match.start(), self._CONTEXT, 40)
            precise = min(len(match.group("latd")), len(match.group("lond"))) >= 4
            hemispheres = bool(match.group("lb") or match.group("lh")) and bool(
                match.group("ob") or match.group("oh")
            )
            if precise or context or hemispheres:
                # With a GPS word or hemisphere letters, above an IMEI's or a phone's score.
                score = 0.97 if context or hemispheres else 0.7
                found.append(Entity(match.start(), match.end(), "GPS_COORDINATES", score))
        return found
