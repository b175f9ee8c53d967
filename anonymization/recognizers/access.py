"""Access codes and secrets written for the next visit: door codes, key boxes, alarm and Wi-Fi codes."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import typo_tolerant

__all__ = ["AccessCodeRecognizer"]


class AccessCodeRecognizer(FrenchRecognizer):
    """The code after ``digicode``, ``code portail``, ``boîte à clés … code``, ``mot de passe``…

    Error codes (``code erreur E5``, ``code U4``) are not access codes: only the listed
    access words introduce one.
    """

    name: ClassVar[str] = "AccessCodeRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("ACCESS_CODE",)

    _ACCESS_NOUNS: Final = (
        r"portail|porte|portillon|entr[ée]e|acc[èe]s|immeuble|hall|interphone|bo[iî]te(?:\s+[àa]\s+cl[ée]s?)?|"
        r"cadenas|alarme|garage|parking|badge|grille|barri[èe]re|local|cave|sas"
    )
    _CODE: Final = re.compile(
        r"(?:\b(?:digicode|digi-code|digi)\b|\binterphone\s+code|"
        rf"\bcode\s+(?:d[’']\s*|de\s+l[’']\s*|du\s+|de\s+la\s+|des\s+)?(?:{_ACCESS_NOUNS})\b|"
        rf"\b(?:{_ACCESS_NOUNS})\b[^\d.\n;]{{0,30}}?\b(?:code|tap(?:er|ez|e)|compos(?:er|ez|e)|saisir|faire)\b)"
        r"[^\d.\n;@]{0,30}?(?:[:=(]|\best\b|n°)?\s*"
        r"(?P<code>\d(?:-\d){3,7}|(?=[\w#*]*\d)[\w#*]{3,12})(?![\w#*@]|[.,]\d)",
        re.IGNORECASE,
    )
    _DOOR_NOUNS: Final = (
        rf"{typo_tolerant('digicode')}|digi|{typo_tolerant('portail')}|{typo_tolerant('alarme')}"
        rf"|{typo_tolerant('interphone')}|bo[iî]te\s+[àa]\s+cl[ée]s?|{typo_tolerant('cadenas')}|code"
    )
    _NOUN_THEN_CODE: Final = re.compile(
        rf"\b(?:{_DOOR_NOUNS})\s*[:=]?\s*"
        r"(?P<code>(?=(?:[#*A-Za-z]*\d){4})(?=[\d#*]*[A-Za-z]?[\d#*]*[A-Za-z]?[\d#*]*(?![\w#*]))[\w#*]{4,10})"
        r"(?![\w#*@]|[.,]\d)",
        re.IGNORECASE,
    )
    """``portail 2070``, ``alarme *67*56``, ``boite a cle 8082#``, ``code 6286A``: the noun then a code of
    four digits or more (error codes are a letter and one to three digits: ``code E5``, ``F28``)."""
    _SECRET: Final = re.compile(
        r"(?:mot\s+de\s+passe|mdp|cl[ée]|code)(?:\s+(?:du\s+|de\s+la\s+)?(?:wi-?fi|box))?"
        r"\s*(?::|=|est\s*:?)\s*(?P<code>[^\s,;]{4,40}?)(?=[\s,;]|[.](?:\s|$)|$)",
        re.IGNORECASE,
    )
    _SECRET_WORD: Final = re.compile(r"mot\s+de\s+passe|mdp|wi-?fi|box", re.IGNORECASE)

    _TAIL: Final = re.compile(r"\s?(?:[A-D]|di[èe]se|[ée]toile|#|\*)(?![\w#*])")
    """What is typed after the digits: ``5068 A``, ``4204 dièse``."""
    _TIME: Final = re.compile(r"\d{1,2}h\d{0,2}", re.IGNORECASE)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = [
            Entity(match.start("code"), match.end("code"), "ACCESS_CODE", 0.8)
            for match in self._CODE.finditer(text)
            if not self._TIME.fullmatch(match.group("code"))
        ]
        seen = {(e.start, e.end) for e in found}
        found.extend(
            Entity(match.start("code"), match.end("code"), "ACCESS_CODE", 0.7)
            for match in self._NOUN_THEN_CODE.finditer(text)
            if (match.start("code"), match.end("code")) not in seen
        )
        found = [self._with_tail(text, entity) for entity in found]
        for match in self._SECRET.finditer(text):
            if self._SECRET_WORD.search(match.group(0), 0, match.start("code") - match.start()):
                found.append(Entity(match.start("code"), match.end("code"), "ACCESS_CODE", 0.75))
        return found + self._repeated(text, found)

    def _with_tail(self, text: str, entity: Entity) -> Entity:
        tail = self._TAIL.match(text, entity.end)
        if tail is None or not text[entity.start : entity.end].isdigit():
            return entity
        return Entity(entity.start, tail.end(), entity.type, entity.score)

    @staticmethod
    def _repeated(text: str, found: list[Entity]) -> list[Entity]:
        """``Digicode 5805, je répète, 5805``: a code said twice is a code both times."""
        taken = {(e.start, e.end) for e in found}
        extra = []
        for value in {text[e.start : e.end] for e in found if e.end - e.start >= 4}:
            for match in re.finditer(rf"(?<![\w#*]){re.escape(value)}(?![\w#*])", text):
                if (match.start(), match.end()) not in taken:
                    extra.append(Entity(match.start(), match.end(), "ACCESS_CODE", 0.7))
                    taken.add((match.start(), match.end()))
        return extra
