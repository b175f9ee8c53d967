"""The technical-content guard: finds what must survive redaction, and settles conflicts.

Technical spans come in kinds, from strongest to weakest:

``known``
    a technical value of the report itself (its equipment's serial number, a part
    reference): always kept.
``marker``
    the reference after a marker word (``réf. 0612345678``, ``n° de série …``,
    ``code erreur E5``, ``contrat CT-2024-0042``): always kept, checksums included.
``serial``
    the number after ``n°`` written right after equipment (``chaudière X n° 0688226805``):
    beats every detection without a checksum.
``measurement``
    a number with a unit (``30 mA``, ``1,5 bar``): beats every detection without a checksum.
``brand`` / ``term`` / ``model``
    a brand (listed, or a capitalized word right after an equipment noun such as
    ``chaudière``), a vocabulary term, or the model name written after a brand: beats
    names and places, except a name anchored by a civility (``M. Legrand``), a legal
    form (``Legrand et Fils SARL``) or a first name (``Zacharie Vaillant``, when no
    model follows).
``code``
    a token mixing letters and digits (``EHBH08E6V``, ``U4``): never a name or a place.

E-mail addresses are never guarded: nothing technical contains an ``@``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal

from anonymization.entities import CHECKSUM_TYPES, Entity
from anonymization.names import STOP_WORDS, is_first_name
from anonymization.text import Word, fold, is_capitalized, is_name_like, words
from anonymization.vocabulary import TechnicalVocabulary

__all__ = ["NAME_TYPES", "TechnicalGuard", "TechnicalSpan"]

SpanKind = Literal["known", "marker", "serial", "measurement", "brand", "term", "model", "code"]

NAME_TYPES: Final = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
"""Types found from capitalized words: what vocabulary words and codes veto."""

_STRONG: Final = frozenset({"known", "marker"})
_CONTEXT_ANCHORED: Final = frozenset(
    {"ACCESS_CODE", "DATE_OF_BIRTH", "MAC_ADDRESS", "IMEI", "GPS_COORDINATES", "IP_ADDRESS"}
)
"""Types anchored by their own words or an unambiguous shape: a unit inside one (``0A``, ``48°``)
is not a measurement."""
_REFRIGERANT: Final = re.compile(r"(?<![\w-])R-?\d{2,4}[A-Za-z]{0,2}(?![\w-])")
_CODE: Final = re.compile(
    r"(?<![\w])(?=[\w./-]*\d)(?=[\w./-]*[^\W\d_])[^\W_][\w./-]*[^\W_]|(?<![\w])[A-Z]\d(?![\w])"
)
_NUMBER: Final = r"(?<![\w.,])\d{1,7}(?:[.,]\d+)?(?:\s?(?:-|à)\s?\d+(?:[.,]\d+)?)?"
_NUMBER_SIGN: Final = re.compile(
    r"(?:n\s?[°º]|no\.|num[ée]ro)\s*:?\s*(?P<ref>(?=[\w./-]*\d)[\w][\w./-]*[\w])(?![\w])", re.IGNORECASE
)
_ANCHORED_SOURCES: Final = frozenset({"FrCivilityNameRecognizer", "FrCompanyNameRecognizer"})
_OWN_NAME_WORDS: Final = frozenset({"m", "mme", "mlle", "monsieur", "madame", "de", "du", "la", "le", "et"})


@dataclass(frozen=True)
class TechnicalSpan:
    """A stretch of text that must survive redaction."""

    start: int
    end: int
    kind: SpanKind


class TechnicalGuard:
    """Finds technical spans in a text from a :class:`TechnicalVocabulary` and shape rules."""

    def __init__(self, vocabulary: TechnicalVocabulary) -> None:
        self.vocabulary = vocabulary

    @cached_property
    def _terms(self) -> re.Pattern[str]:
        terms = sorted(self.vocabulary.brands | self.vocabulary.terms, key=len, reverse=True)
        alternatives = "|".join(re.escape(t) for t in terms if t)
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)

    @cached_property
    def _brands(self) -> frozenset[str]:
        return frozenset(fold(b) for b in self.vocabulary.brands)

    @cached_property
    def _measurement(self) -> re.Pattern[str]:
        units = sorted(self.vocabulary.units, key=len, reverse=True)
        alternatives = "|".join(re.escape(u) for u in units if u)
        # Never across a line break ("0612345678⏎A repasser"), never a number of 8 digits or more.
        return re.compile(rf"{_NUMBER}[ \t\u00a0\u202f]?(?:{alternatives})(?![^\W_])")

    @cached_property
    def _marker(self) -> re.Pattern[str]:
        markers = sorted(self.vocabulary.markers, key=len, reverse=True)
        alternatives = "|".join(re.escape(m) for m in markers if m)
        return re.compile(
            rf"(?<![\w])(?:{alternatives})(?![^\W\d_])\.?\s*(?:n\s?[°º]|no\.?|num(?:éro)?\.?|#)?\s*[:.]?\s*"
            r"(?P<ref>(?:[A-Za-z]{1,12}\s)?(?=[\w./-]*\d)[\w][\w./-]*[\w]|[A-Z]\d)(?![\w])",
            re.IGNORECASE,
        )

    def spans(self, text: str, known: Iterable[str] = ()) -> list[TechnicalSpan]:
        """Every technical span of ``text``; ``known`` adds the report's own technical values."""
        found: list[TechnicalSpan] = []
        for value in (v.strip() for v in known):
            if len(value) >= 2:
                for match in re.finditer(rf"(?<![\w]){re.escape(value)}(?![\w])", text, re.IGNORECASE):
                    found.append(TechnicalSpan(match.start(), match.end(), "known"))
        self._add_markers(text, found)
        for match in self._measurement.finditer(text):
            found.append(TechnicalSpan(match.start(), match.end(), "measurement"))
        for match in _REFRIGERANT.finditer(text):
            found.append(TechnicalSpan(match.start(), match.end(), "term"))
        for match in self._terms.finditer(text):
            brand = fold(match.group()) in self._brands
            found.append(TechnicalSpan(match.start(), match.end(), "brand" if brand else "term"))
            if brand or not match.group().isupper():  # after "Daikin" or "Altherma", not after "PAC"
                self._add_model(text, match.end(), found)
        self._add_equipment_brands(text, found)
        self._add_unseen_models(text, found)
        technical_ends = {span.end for span in found if span.kind in {"brand", "term", "model"}}
        technical_ends.update(match.end() for match in self._equipment_nouns.finditer(text))
        for match in _NUMBER_SIGN.finditer(text):
            gap = re.search(r"[\s(,]*$", text[max(0, match.start() - 4) : match.start()])
            if gap is not None and match.start() - len(gap.group()) in technical_ends:
                found.append(TechnicalSpan(match.start("ref"), match.end("ref"), "serial"))
        for match in _CODE.finditer(text):
            found.append(TechnicalSpan(match.start(), match.end(), "code"))
        return found

    def _add_equipment_brands(self, text: str, found: list[TechnicalSpan]) -> None:
        """``chaudière Ferroli …``: the capitalized word after an equipment noun is a brand."""
        for match in self._equipment.finditer(text):
            brand_start, brand_end = match.start("brand"), match.end("brand")
            if fold(match.group("brand")) not in _NOT_BRANDS:
                if not self.vocabulary.is_term(match.group("brand")):
                    found.append(TechnicalSpan(brand_start, brand_end, "brand"))
                self._add_model(text, brand_end, found, after_equipment=True)

    def _add_markers(self, text: str, found: list[TechnicalSpan]) -> None:
        for match in self._marker.finditer(text):
            reference = match.group("ref")
            if " " in reference:
                head = reference.split(" ", 1)[0]
                if not (head.isupper() or fold(head) in self._brands or len(head) <= 3):
                    continue  # "code portail 1234A", "code postal 75011": not a reference; "Err 610" is one
            found.append(TechnicalSpan(match.start("ref"), match.end("ref"), "marker"))

    def _add_model(
        self, text: str, position: int, found: list[TechnicalSpan], *, after_equipment: bool = False
    ) -> None:
        end = self._model_end(text, position, after_equipment=after_equipment)
        if end > position:
            found.append(TechnicalSpan(position, end, "model"))

    @cached_property
    def _equipment(self) -> re.Pattern[str]:
        # "poêle à granulés (Flambor Club)", "ASCENSEUR KONE …", "chaudiere" without its accent.
        return re.compile(
            rf"(?<![\w])(?i:{self._equipment_alternatives})(?![\w])"
            r"(?:\s+(?i:gaz|fioul|murale?|au sol|[ée]lectrique|[àa] condensation|air/eau|[àa] granul[ée]s|"
            r"[àa] bois|[àa] pellets|de relevage|ext[ée]rieure?|int[ée]rieure?|r[ée]versible"
            r"|thermodynamique))?"
            r"\s*[(:]?\s*(?P<brand>[A-Z][\w'’-]+)"
        )

    @cached_property
    def _equipment_nouns(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w])(?:{self._equipment_alternatives})(?![\w])", re.IGNORECASE)

    @cached_property
    def _equipment_alternatives(self) -> str:
        """The equipment nouns as one alternation, accents optional, a space or a hyphen alike."""
        nouns = sorted(self.vocabulary.equipment, key=len, reverse=True)
        return "|".join(_accent_free_pattern(n) for n in nouns if n)

    def _model_end(self, text: str, position: int, *, after_equipment: bool = False) -> int:
        """Where the model name written after a brand ends (``position`` if none).

        ``after_equipment``: the brand follows an equipment noun (``poêle Flambor Club Nova``), so a
        range word that is also a first name belongs to the model; after a brand alone it may be
        the first name of a person whose surname is the brand (``SAUTER Mireille``).
        """
        end = position
        tokens = list(words(text, position, min(len(text), position + 80)))
        for index, token in enumerate(tokens):
            between = text[(tokens[index - 1].end if index else position) : token.start]
            if any(c in between for c in ",;:()\n") or len(between) > 3:
                break
            value = token.text
            codeish = any(c.isdigit() for c in value) or (value.isupper() and value.isalpha())
            camel = len(value) > 2 and value[0].isupper() and any(c.isupper() for c in value[1:])
            if codeish or camel or self.vocabulary.is_term(value) or value in {"-", "/", "+", "."}:
                end = token.end if value not in {"-", "/", "+", "."} else end
                continue
            if is_capitalized(value) and any(_codeish(t.text) for t in tokens[index + 1 : index + 4]):
                end = token.end
                continue
            if (  # "Frisquet Hydromotrix", "Thermor Duralis", "Calorys Duo Silence": a range, not a person
                index < 3
                and is_name_like(value)
                and not value.isupper()
                and fold(value) not in _NOT_BRANDS
                and fold(value) not in STOP_WORDS
                and not (
                    is_first_name(value) and (not after_equipment or _surname_follows(tokens, index, text))
                )
            ):
                end = token.end
                continue
            break
        return end

    def _add_unseen_models(self, text: str, found: list[TechnicalSpan]) -> None:
        """``Otis Gen2``, ``Kessler Vapora TX-3``, ``Kone MonoSpace 500``: brand and model never listed.

        The shape is one to three capitalized words and a model token (letters with
        digits, inner capitals, or a short number). It is not a product when a word is
        a known first name, when a civility comes first, or when the number opens an
        address (``Martin 12 rue…``): the guard must not hide a person.
        """
        for match in _UNSEEN_MODEL.finditer(text):
            names = match.group("brand").split()
            if any(is_first_name(n) or n in _NAME_ANCHORS or fold(n) in STOP_WORDS for n in names):
                continue
            if _CIVILITY_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                continue
            if _ADDRESS_AFTER.match(text, match.end()):
                continue
            if _PERSONAL_VALUE.fullmatch(match.group("model")):
                continue  # "Zerrouki 0473166949", "Hamidi lk369br": a person and a phone or a plate
            found.append(TechnicalSpan(match.start("brand"), match.end("brand"), "brand"))
            found.append(TechnicalSpan(match.start("model"), match.end("model"), "model"))

    def resolve(
        self, text: str, candidates: list[tuple[Entity, str]], spans: list[TechnicalSpan]
    ) -> list[Entity]:
        """The candidates that survive the guard, names trimmed around technical words.

        ``candidates`` pairs each entity with the name of the recognizer that found it.
        """
        kept: list[Entity] = []
        for entity, source in candidates:
            if entity.type == "EMAIL_ADDRESS":
                kept.append(entity)
                continue
            blocking = [
                s
                for s in spans
                if s.start < entity.end
                and entity.start < s.end
                # "DEVIS. IBAN FR76…": a marker's reference that starts before a checksum-typed value
                # ran over it; it introduces that value only when it starts where the value does.
                and not (s.kind == "marker" and entity.type in CHECKSUM_TYPES and s.start < entity.start)
                # "IBAN prélèvement contrat : FR76 …": a reference never has an IBAN's country and length.
                and not (s.kind == "marker" and entity.type == "IBAN_CODE")
            ]
            if (
                entity.type in NAME_TYPES
                and source not in _ANCHORED_SOURCES
                and self._only_trade_words(text, entity)
            ):
                continue  # "Fluide", "Sonde": words of the templates, not names
            if not blocking:
                kept.append(entity)
            elif any(s.kind == "known" for s in blocking) or (
                any(s.kind == "marker" for s in blocking) and entity.type != "ACCESS_CODE"
            ):
                continue  # an access code is introduced by its own words ("code d'alarme"): not a reference
            elif entity.type in CHECKSUM_TYPES:
                kept.append(entity)
            elif entity.type in NAME_TYPES:
                if self._name_wins(text, entity, source, blocking, spans):
                    kept.append(entity)
                else:
                    kept.extend(self._trim(text, entity, blocking))
            elif any(s.kind == "serial" for s in blocking):
                continue
            elif entity.type in _CONTEXT_ANCHORED or not any(
                s.kind == "measurement" and s.start <= entity.start for s in blocking
            ):
                kept.append(entity)  # "MK 768 VA" is a plate; "40 A 30 mA" is not; "digicode 8956A" is a code
        return kept

    def _only_trade_words(self, text: str, entity: Entity) -> bool:
        names = [w.text for w in words(text, entity.start, entity.end) if w.text[:1].isalpha()]
        # Brands are left to _name_wins: "au nom de Legrand" is a person, "tableau Legrand" is not.
        return bool(names) and all(
            fold(n) in self.vocabulary.label_words or n in self.vocabulary.units for n in names
        )

    def _name_wins(
        self,
        text: str,
        entity: Entity,
        source: str,
        blocking: list[TechnicalSpan],
        spans: list[TechnicalSpan],
    ) -> bool:
        """A name against brand words: civility, legal form, or a first name before a brand with no model."""
        if not all(s.kind in {"brand", "term", "model"} for s in blocking):
            return False
        if source in _ANCHORED_SOURCES or (source == "FrCueNameRecognizer" and entity.score >= 0.75):
            return True
        if not all(s.kind == "brand" for s in blocking):
            return False
        model_starts = {s.start for s in spans if s.kind == "model"}
        if any(s.end in model_starts for s in blocking):
            return False
        if any(  # "LEGRAND Guillaume", "Patrick Schneider": a brand word beside a first name
            is_first_name(word.text) and not any(s.start < word.end and word.start < s.end for s in blocking)
            for word in words(text, entity.start, entity.end)
        ):
            return True
        first = min(s.start for s in blocking)
        return any(
            is_capitalized(word.text)
            and not self.vocabulary.is_technical_word(word.text)
            and fold(word.text) not in _OWN_NAME_WORDS
            for word in words(text, entity.start, first)
        )

    def _trim(self, text: str, entity: Entity, blocking: list[TechnicalSpan]) -> list[Entity]:
        """The runs of name words of ``entity`` that no technical span touches."""
        runs: list[Entity] = []
        run_start = run_end = None
        for token in words(text, entity.start, entity.end):
            touched = any(s.start < token.end and token.start < s.end for s in blocking)
            usable = (
                not touched
                and is_capitalized(token.text)
                and not self.vocabulary.is_technical_word(token.text)
            )
            if usable:
                run_start = token.start if run_start is None else run_start
                run_end = token.end
            elif touched or not (
                token.text in {"-", "'", "’"} or fold(token.text) in {"de", "du", "la", "le"}
            ):
                if run_start is not None and run_end is not None:
                    runs.append(Entity(run_start, run_end, entity.type, entity.score * 0.9))
                run_start = run_end = None
        if run_start is not None and run_end is not None:
            runs.append(Entity(run_start, run_end, entity.type, entity.score * 0.9))
        return runs


def _surname_follows(tokens: list[Word], index: int, text: str) -> bool:
    """Whether a capitalized word follows ``tokens[index]`` on its line: ``Atlantic Julien Morel``."""
    if index + 1 >= len(tokens):
        return False
    after = tokens[index + 1]
    return is_name_like(after.text) and text[tokens[index].end : after.start] in {" ", "-"}


_ACCENT_CLASSES: Final = {
    "a": "[aàâä]", "e": "[eéèêë]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]",
}  # fmt: skip


def _accent_free_pattern(term: str) -> str:
    """A regex matching ``term`` with or without its accents, a space or a hyphen between its words."""
    parts = []
    for char in fold(term):
        if char in _ACCENT_CLASSES:
            parts.append(_ACCENT_CLASSES[char])
        elif char in " -":
            parts.append("[ -]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _codeish(token: str) -> bool:
    """A token only a model name has: ``24C``, ``RRT``, ``EMC-M``, ``25`` (not ``06``: a phone starts so)."""
    if token.isdigit():
        return len(token) <= 3 and not token.startswith("0")
    letters = [c for c in token if c.isalpha()]
    return any(c.isdigit() for c in token) or (len(letters) >= 2 and token.isupper())


_UNSEEN_MODEL: Final = re.compile(
    r"(?<![\w'’.-])(?P<brand>[A-Z][a-zà-ÿ][\w'’-]*(?:\s[A-Z][\w'’-]+){0,2})\s"
    r"(?P<model>(?=[\w./+-]*\d)[A-Za-z0-9][\w./+-]*[\w+]|[A-Z][a-z]+[A-Z][\w-]*|(?:[A-Z]\s)?[1-9]\d{0,3}(?!\s?[,.]?\d))"
    r"(?![\w'’-])"
)
_PERSONAL_VALUE: Final = re.compile(r"0\d{7,}|\+\d+|[A-Za-z]{2}-?\d{3}-?[A-Za-z]{2}")
"""Model-shaped tokens that are a phone number or a licence plate."""
_NAME_ANCHORS: Final = frozenset({"M", "Mme", "Mlle", "Mr", "Monsieur", "Madame", "Mademoiselle", "Dr", "Me"})
_CIVILITY_BEFORE: Final = re.compile(r"\b(?:M|Mme|Mlle|Mr|Monsieur|Madame|Mademoiselle|Dr|Me)\.?\s*$")
_ADDRESS_AFTER: Final = re.compile(
    r"\s*(?:,\s*)?(?:bis\b|ter\b|(?i:rue|avenue|av|bd|boulevard|chemin|impasse|all[ée]e|place|route|quai|"
    r"cours|square|passage|r[ée]sidence|lotissement|lieu-dit|[ée]tage|(?:e|er|ème|eme)\s+[ée]tage))"
)
_NOT_BRANDS: Final = frozenset(
    {
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "en",
        "et",
        "au",
        "hs",
        "ok",
        "ras",
        "mme",
        "m",
        "monsieur",
        "madame",
    }
)
