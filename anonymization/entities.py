"""What a detection is: :class:`Entity`, and the entity types quitus detects.

Entity types are stable identifiers (other tools read them in ``quitus pii detect``'s
output). Each has a French label used in placeholders (``<PERSONNE_1>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CHECKSUM_TYPES",
    "ENTITY_LABELS",
    "ENTITY_TYPES",
    "Entity",
]

ENTITY_LABELS: Final[Mapping[str, str]] = {
    "PERSON": "PERSONNE",
    "ORGANIZATION": "ENTREPRISE",
    "LOCATION": "LIEU",
    "ADDRESS": "ADRESSE",
    "PHONE_NUMBER": "TÉLÉPHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CARTE_BANCAIRE",
    "FR_NIR": "NIR",
    "FR_SIREN": "SIREN",
    "FR_SIRET": "SIRET",
    "FR_LICENSE_PLATE": "IMMATRICULATION",
    "IP_ADDRESS": "ADRESSE_IP",
    "DATE_OF_BIRTH": "DATE_NAISSANCE",
    "ACCESS_CODE": "CODE_ACCÈS",
    "GPS_COORDINATES": "COORDONNÉES_GPS",
    "MAC_ADDRESS": "ADRESSE_MAC",
    "IMEI": "IMEI",
}
"""Entity type → French label used in placeholders."""

ENTITY_TYPES: Final[frozenset[str]] = frozenset(ENTITY_LABELS)

CHECKSUM_TYPES: Final[frozenset[str]] = frozenset(
    {"FR_NIR", "IBAN_CODE", "CREDIT_CARD", "FR_SIRET", "FR_SIREN"}
)
"""Types whose detection is confirmed by a checksum: they win over the technical guard
except where an explicit technical marker (``réf.``, ``n° de série``) introduces them."""


@dataclass(frozen=True, order=True)
class Entity:
    """One piece of personal data found in a text."""

    start: int
    """Offset of the first character (Python string index, i.e. Unicode code point)."""
    end: int
    """Offset just past the last character."""
    type: str
    """One of :data:`ENTITY_TYPES`."""
    score: float
    """Confidence between 0 and 1."""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"an entity needs 0 <= start < end, got {self.start}..{self.end}")

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, start: int, end: int) -> bool:
        """Whether this entity shares at least one character with ``start..end``."""
        return self.start < end and start < self.end

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``quitus pii detect``."""
        return {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 3)}
