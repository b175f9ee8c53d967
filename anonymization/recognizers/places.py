"""Postal addresses: number, street type and street name; postcode and city; residence names."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import NAME_PARTICLES, Word, fold, is_capitalized, tokenize, words

__all__ = ["STREET_TYPES", "AddressRecognizer", "is_place_word"]

STREET_TYPES: Final = frozenset(
    {
        "rue", "avenue", "av", "boulevard", "bd", "bld", "chemin", "ch", "impasse", "imp", "allee", "allees",
        "place", "pl", "route", "rte", "quai", "cours", "square", "sq", "passage", "sentier", "voie",
        "rond-point", "faubourg", "fg", "hameau", "lotissement", "lot", "residence", "res", "cite",
        "promenade", "esplanade", "montee", "cote", "traverse", "parvis", "villa", "ruelle", "mail", "clos",
        "domaine", "lieu-dit", "lieudit", "zac", "za", "zi", "parc", "cour", "carrefour", "chaussee",
        "venelle", "levee", "hlm", "r",
    }
)  # fmt: skip
"""Street types (folded), abbreviations included."""

_CONNECTORS: Final = NAME_PARTICLES | {
    "des",
    "aux",
    "au",
    "sur",
    "sous",
    "en",
    "les",
    "l'",
    "et",
    "lès",
    "saint",
    "sainte",
    "st",
    "ste",
}
_NUMBER_BEFORE: Final = re.compile(r"(?<![\w,.])\d{1,4}(?:\s?(?:bis|ter|quater|[a-dA-D])\b)?\s?,?\s+$")
_NUMBER_WORD: Final = (
    r"(?:z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze"
    r"|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille)"
)
SPOKEN_NUMBER: Final = rf"{_NUMBER_WORD}(?:(?:-|\s|\s?-?et-?\s?){_NUMBER_WORD}){{0,7}}"
"""A number read out in words (``quatre-vingt-onze``, ``cent trente et un``, ``vingt mille deux cents``)."""
_SPOKEN_NUMBER_BEFORE: Final = re.compile(rf"(?<![\w-])(?i:{SPOKEN_NUMBER})(?:\s(?:bis|ter))?\s?,?\s+$")
"""``quarante-deux rue …``: a street number dictated in words."""
_POSTCODE_CITY: Final = re.compile(r"(?<![\w,.-])(?:F-)?(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?![\w,.])")
_CEDEX: Final = re.compile(r"\s+(?:cedex|CEDEX|Cedex)(?:\s+\d{1,2})?")
_POSTCODE_CONTEXT: Final = re.compile(r"(code postal|cp)\W*$")
_ELIDED_NAME: Final = re.compile(r"[dlDL][’'][A-ZÀ-Ý]")
"""``l'Abbé``, ``d'Eau``: a name word after an elided article (``rue du Château d'Eau``)."""
_UNIT_LIKE: Final = frozenset(
    {"pa", "kpa", "hpa", "w", "kw", "v", "a", "hz", "mah", "wh", "kwh", "va", "kva"}
)


class AddressRecognizer(FrenchRecognizer):
    """A street (``12 bis, rue des Lilas``), a postcode with its city (``69003 Lyon``), or both.

    A street needs a number or a capitalized name after its type, so ``mise en place``
    or ``vanne 3 voies`` are not addresses.
    """

    name: ClassVar[str] = "FrAddressRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("ADDRESS",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found: list[Entity] = []
        tokens = list(tokenize(text))
        for index, token in enumerate(tokens):
            street_type = fold(token.text).rstrip(".")
            if street_type in STREET_TYPES:
                entity = self._street(text, tokens, index)
                if entity is not None:
                    found.append(entity)
        for match in _POSTCODE_CITY.finditer(text):
            end = self._city_end(text, match.end())
            if end is not None:
                cedex = _CEDEX.match(text, end)
                found.append(Entity(match.start(), cedex.end() if cedex else end, "ADDRESS", 0.75))
            elif _POSTCODE_CONTEXT.search(fold(text[max(0, match.start() - 20) : match.start()])):
                found.append(Entity(match.start(), match.end(), "ADDRESS", 0.6))
        return found

    def _street(self, text: str, tokens: list[Word], index: int) -> Entity | None:
        start = tokens[index].start
        window_start = max(0, start - 16)
        number = _NUMBER_BEFORE.search(text, window_start, start) or _SPOKEN_NUMBER_BEFORE.search(
            text, max(0, start - 60), start
        )
        if not _can_open_a_street(text, tokens[index], number is not None):
            return None
        score = 0.8 if number is not None else 0.5
        if number is not None:
            start = number.start()
        end = None
        lower_words = 0
        position = index + 1
        if (
            position < len(tokens)
            and tokens[position].text == "."
            and fold(tokens[index].text) in _ABBREVIATIONS
        ):
            position += 1
        while position < len(tokens) and position <= index + 9:
            word = tokens[position]
            between = text[tokens[position - 1].end : word.start]
            if "\n" in between or any(c in between for c in ",;:()"):
                break
            if word.text.rstrip(".") in _CIVILITIES:
                break
            if (
                is_capitalized(word.text)
                or _ELIDED_NAME.match(word.text)
                or (word.text.isdigit() and len(word.text) <= 4)
            ):
                end = word.end
            elif fold(word.text).rstrip(".") in _COMPLEMENT_HEADS:
                break  # "12 rue des lilas bt c": the complement is grown onto the address later
            elif number is not None and lower_words < 3 and _lower_street_word(word.text):
                end = word.end  # "12 rue des lilas": typed in lower case, the number says it is a street
                lower_words += 1
            elif not (fold(word.text) in _CONNECTORS or word.text in {"-", "'", "’"}):
                break
            position += 1
        if end is None or re.match(r"\s?(?:@|[\[(]\s?(?:at|arobase)\b)", text[end:], re.IGNORECASE):
            return None  # "mail Jean.Dupont@…": the words run into an e-mail address, not a street
        city = _CITY_AFTER_STREET.match(text, end)
        if city is not None:
            end = city.end()  # "12 rue des Lilas, Lyon." / "… à Saint-Malo"
        return Entity(start, end, "ADDRESS", score)

    @staticmethod
    def _city_end(text: str, position: int) -> int | None:
        """The end of the city name that follows a postcode at ``position``, if any."""
        end = None
        pending = 0
        for word in words(text, position, min(len(text), position + 80)):
            between = text[(end or position) : word.start] if end is None else text[end : word.start]
            if end is None and between.strip():
                return None
            if end is not None and (any(c in between for c in ",;:()\n") or len(between) > 2):
                break
            folded = fold(word.text)
            if end is None and folded in _UNIT_LIKE:
                return None
            if is_capitalized(word.text):
                end = word.end
                pending = 0
            elif (
                folded in _CONNECTORS or word.text in {"-"} or re.fullmatch(r"\d{1,2}(?:e|er|ème)", word.text)
            ):
                if end is None:
                    return None
                pending += 1
                if re.fullmatch(r"\d{1,2}(?:e|er|ème)", word.text):
                    end = word.end
                    pending = 0
                if pending > 2:
                    break
            else:
                break
        return end


_CITY_AFTER_STREET: Final = re.compile(
    r"(?:,\s*|\s+à\s+)(?!(?:M|Mme|Mlle|Monsieur|Madame|Tél|Tel|Mail|Contact)\b)"
    r"[A-ZÀ-Ý][\w'’]+(?:(?:-|\s)(?:sur|sous|en|lès|les|le|la|de|du|des|[A-ZÀ-Ý][\w'’]+))*(?=\s*(?:[.;)]|,|$))"
)
_ABBREVIATIONS: Final = frozenset(
    {"av", "bd", "bld", "ch", "imp", "pl", "rte", "sq", "fg", "lot", "res", "bat"}
)
_COMPLEMENT_HEADS: Final = frozenset(
    {"bat", "bt", "batiment", "esc", "escalier", "etg", "etage", "appt", "apt", "app", "appart",
     "appartement", "porte", "res", "residence", "cite", "rdc", "entree", "logement"}
)  # fmt: skip
"""Words that open an address complement (building, staircase, floor, flat…), not a street name."""
_WORD_AFTER: Final = re.compile(r"\s+[^\W\d_]+(?![\w])")
_NEEDS_NUMBER: Final = frozenset({"r"})
"""Street types too short to stand without a street number before them."""
_ALSO_COMMON_WORDS: Final = frozenset(
    {"mail", "cours", "place", "passage", "parc", "domaine", "cour", "voie"}
)
"""Street types that are also ordinary words of a note: in capitals without a number, the word."""
_CIVILITIES: Final = frozenset({"M", "Mme", "Mlle", "Monsieur", "Madame", "Mademoiselle", "Dr", "Me"})


def _can_open_a_street(text: str, token: Word, numbered: bool) -> bool:
    """Whether a street type opens a street here (``numbered``: a street number comes before it)."""
    folded = fold(token.text)
    if folded in _NEEDS_NUMBER and (not numbered or _WORD_AFTER.match(text, token.end) is None):
        return False  # "la r 12", "3 R EHBH08E6V": a letter, unless "5 r des lilas"
    # "PAR MAIL JEAN@…": shouted, without a number, the ordinary word
    return numbered or folded not in _ALSO_COMMON_WORDS or not token.text.isupper()


def is_place_word(word: str) -> bool:
    """A word that may name a street or a city: capitalized, all capitals, or a lower-case non-note word."""
    from anonymization.names import STOP_WORDS  # noqa: PLC0415 -- names imports spaCy's word list lazily
    from anonymization.recognizers.people import NOT_NAMES  # noqa: PLC0415 -- people imports this module's peers

    folded = fold(word)
    if folded in STOP_WORDS or folded in NOT_NAMES or folded in _UNIT_LIKE:
        return False
    return is_capitalized(word) or (word.isupper() and len(word) >= 2) or _lower_street_word(word)


def _lower_street_word(word: str) -> bool:
    """A lower-case word that may belong to a street or city name (not a stop word nor a note word)."""
    from anonymization.names import STOP_WORDS  # noqa: PLC0415 -- names imports spaCy's word list lazily
    from anonymization.recognizers.people import NOT_NAMES  # noqa: PLC0415 -- people imports this module's peers

    folded = fold(word)
    return (
        word.islower()
        and len(word) >= 2
        and word.replace("-", "").replace("'", "").replace("’", "").isalpha()
        and folded not in STOP_WORDS
        and folded not in NOT_NAMES
        and folded not in _UNIT_LIKE
    )
