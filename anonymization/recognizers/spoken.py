"""Numbers read out and transcribed: phones and social-security numbers written in words.

A dictated note reads a phone number in pairs (``zéro six, douze, trente-quatre,
cinquante-six, soixante-dix-huit``), sometimes half in digits (``06 douze 34…``), with
fillers (``euh``). The words are turned back into digits; a run that gives ten digits
starting with ``0`` is a phone number, one that gives a NIR with a valid key is a NIR,
and a run after a door-code word is an access code. A number in words that gives none
of these shapes is left alone (``trois voies``, ``deux fois``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.checksums import nir_is_valid
from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import fold, preceded_by, tokenize

__all__ = ["SpokenNumberRecognizer", "spoken_digits"]

_UNITS: Final = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9,
}  # fmt: skip
_TEENS: Final = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16}
_TENS: Final = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_FILLERS: Final = frozenset(
    {"euh", "heu", "hum", "et", "je", "repete", "pardon", "virgule", "tiret", ",", "-", "."}
)
_ACCESS: Final = re.compile(
    r"(digicode|digi|code|portail|porte|interphone|boite a cles|cadenas|alarme)\W[^.\n]{0,25}$"
)


def _phrase_values(words: list[str]) -> list[str]:  # noqa: PLR0912 -- one state machine over number words
    """The digits read by ``words`` (folded number words), phrase by phrase: ``["0", "6", "12", "78"]``."""
    out: list[str] = []
    value: int | None = None
    last = ""  # kind of the last word of the current phrase
    for word in words:
        if word in _UNITS:
            number = _UNITS[word]
            if word == "zero":
                if value is not None:
                    out.append(str(value))
                out.append("0")
                value, last = None, ""
            elif (
                (value is not None and last == "tens" and value % 10 == 0 and value != 80)
                or (value is not None and last == "tens" and value == 80)
                or (value is not None and last == "teen10" and number >= 7)
            ):
                value += number
                last = "unit"
            elif word == "quatre":
                if value is not None:
                    out.append(str(value))
                value, last = 4, "four"
            else:
                if value is not None:
                    out.append(str(value))
                value, last = number, "unit"
        elif word in _TEENS:
            number = _TEENS[word]
            if value is not None and last == "tens" and value in (60, 80):
                value += number
                last = "teen10" if number == 10 else "unit"
            else:
                if value is not None:
                    out.append(str(value))
                value, last = number, "teen10" if number == 10 else "unit"
        elif word in _TENS:
            number = _TENS[word]
            if value == 4 and last == "four" and number == 20:
                value, last = 80, "tens"
            else:
                if value is not None:
                    out.append(str(value))
                value, last = number, "tens"
        elif word.isdigit():
            if value is not None:
                out.append(str(value))
            out.append(word)
            value, last = None, ""
    if value is not None:
        out.append(str(value))
    return out


def spoken_digits(text: str) -> str:
    """The digits a stretch of dictated text reads (``zéro six douze`` → ``0612``)."""
    pieces = [fold(p) for t in re.findall(r"[^\W_]+", text) for p in t.split("-")]
    return "".join(_phrase_values(pieces))


def _is_number_word(token: str) -> bool:
    parts = fold(token).split("-")
    return all(p in _UNITS or p in _TEENS or p in _TENS or p == "et" for p in parts) and any(
        p != "et" for p in parts
    )


class SpokenNumberRecognizer(FrenchRecognizer):
    """Phone numbers, NIRs and door codes read out in words, or half in words and half in digits."""

    name: ClassVar[str] = "SpokenNumberRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PHONE_NUMBER", "FR_NIR", "ACCESS_CODE")

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        tokens = tokenize(text)
        index = 0
        while index < len(tokens):
            if not (_is_number_word(tokens[index].text) or tokens[index].text.isdigit()):
                index += 1
                continue
            run = [index]
            position = index + 1
            while position < len(tokens):
                value = tokens[position].text
                gap = text[tokens[position - 1].end : tokens[position].start]
                if "\n" in gap or len(gap) > 3:
                    break
                if _is_number_word(value) or (value.isdigit() and len(value) <= 4):
                    run.append(position)
                elif fold(value) not in _FILLERS:
                    break
                position += 1
            words_in_run = [tokens[i].text for i in run]
            if any(not w.isdigit() for w in words_in_run):
                entity = self._classify(text, tokens[run[0]].start, tokens[run[-1]].end, words_in_run)
                if entity is not None:
                    found.append(entity)
            index = position
        return found

    @staticmethod
    def _classify(text: str, start: int, end: int, words: list[str]) -> Entity | None:
        pieces = [fold(p) for w in words for p in w.split("-")]
        digits = "".join(_phrase_values(pieces))
        if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
            return Entity(start, end, "PHONE_NUMBER", 0.7)
        if len(digits) == 15 and nir_is_valid(digits):
            return Entity(start, end, "FR_NIR", 0.8)
        if 3 <= len(digits) <= 8 and preceded_by(text, start, _ACCESS, 40):
            return Entity(start, end, "ACCESS_CODE", 0.7)
        return None
