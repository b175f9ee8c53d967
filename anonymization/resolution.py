"""After the recognizers and the guard: one non-overlapping set of entities per text.

* overlaps are settled by type priority (checksums first), the loser keeping what the
  winner does not cover, so no character found by anyone is lost;
* the pieces of one address (``12 rue des Lilas``, ``69003 Lyon``) become one entity;
* a name found once is found everywhere in the text (``Mme Leroy`` … ``Leroy``);
* a name written next to a phone, an e-mail or an address, or signing the text, is a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from anonymization.entities import Entity
from anonymization.guard import TechnicalSpan
from anonymization.recognizers.people import CIVILITIES, DAYS_AND_MONTHS, name_end
from anonymization.recognizers.places import SPOKEN_NUMBER
from anonymization.text import Word, fold, is_name_like, tokenize, words
from anonymization.vocabulary import TechnicalVocabulary

__all__ = [
    "complete_names",
    "extend_addresses",
    "find_signing_names",
    "merge_addresses",
    "propagate_names",
    "settle_overlaps",
]

PRIORITY: Final = {
    "FR_NIR": 10, "IBAN_CODE": 10, "CREDIT_CARD": 10, "EMAIL_ADDRESS": 9, "FR_SIRET": 9, "FR_SIREN": 8,
    "IMEI": 9, "PHONE_NUMBER": 7, "IP_ADDRESS": 7, "MAC_ADDRESS": 7,
    "GPS_COORDINATES": 7, "FR_LICENSE_PLATE": 6, "ACCESS_CODE": 6, "DATE_OF_BIRTH": 6,
    "ADDRESS": 5, "ORGANIZATION": 5, "PERSON": 4, "LOCATION": 3,
}  # fmt: skip
_GROWABLE: Final = frozenset({"LOCATION", "PERSON"})
_CONTACT_TYPES: Final = frozenset({"PHONE_NUMBER", "EMAIL_ADDRESS", "ADDRESS"})
_JOINER: Final = re.compile(r"[\s,\-–]*(?:à\s+)?")
_NOT_NAMES: Final = frozenset(
    {"tel", "tél", "mail", "email", "e-mail", "portable", "fixe", "contact", "adresse", "merci"}
)


def settle_overlaps(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Non-overlapping entities covering every character any of ``entities`` covered."""
    merged = _merge_same_type(entities)
    ranked = sorted(merged, key=lambda e: (-PRIORITY.get(e.type, 0), -e.score, -e.length, e.start))
    accepted: list[Entity] = []
    for entity in ranked:
        pieces = [(entity.start, entity.end)]
        for other in accepted:
            pieces = [p for start, end in pieces for p in _subtract(start, end, other.start, other.end)]
        for start, end in pieces:
            if end - start == entity.length or sum(c.isalnum() for c in text[start:end]) >= 2:
                accepted.append(Entity(start, end, entity.type, entity.score))
    return sorted(accepted)


def _subtract(start: int, end: int, cut_start: int, cut_end: int) -> list[tuple[int, int]]:
    if cut_end <= start or end <= cut_start:
        return [(start, end)]
    return [(s, e) for s, e in ((start, cut_start), (cut_end, end)) if e > s]


def _merge_same_type(entities: Sequence[Entity]) -> list[Entity]:
    result: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.type, e.start, -e.end)):
        last = result[-1] if result else None
        if last is not None and last.type == entity.type and entity.start < last.end:
            result[-1] = Entity(
                last.start, max(last.end, entity.end), last.type, max(last.score, entity.score)
            )
        else:
            result.append(entity)
    return result


_NAME_WORD: Final = r"(?:[A-ZÀ-Ý][\w'’-]*|[dl][’'][A-ZÀ-Ý][\w'’-]*)"
_COMPLEMENT: Final = (
    r"(?:b[aâ]t(?:iment)?\.?|bt\.?|esc(?:alier)?\.?|entr[ée]e|porte|appartement|appart\.?|app?t\.?|logement|lot"
    r"|bo[iî]te)"
    r"\s*(?:n[°o]\s*)?(?:[A-Za-z]\d{0,4}|\d{1,4}[A-Za-z]?)(?![\w’'])"
    r"|(?:au\s+)?\d{1,2}\s?(?:e|è|ème|eme|er|ère|ere|ᵉ|ᵉʳ)(?:\s+[ée]tage)?(?![\w’'])"
    r"|(?:premier|deuxi[èe]me|troisi[èe]me|quatri[èe]me|cinqui[èe]me|sixi[èe]me|dernier)\s+[ée]tage"
    r"|bloc\s*[A-Za-z0-9](?![\w’'])"
    r"|(?:etg|[ée]tage)\.?\s*\d{1,2}(?![\w’'])"
    r"|(?:rez-de-chauss[ée]e|rdc|sous-sol|dernier\s+[ée]tage)"
    r"|(?:(?:l[ea]s?\s+)?(?:r[ée]sidence|r[ée]s\b\.?|lieu-dit|lieudit|lieu\s+dit|hameau|lotissement|domaine"
    r"|villa|immeuble|cit[ée]|quartier))"
    rf"\s+{_NAME_WORD}(?:\s+(?:(?:du|de|des|la|le|les|aux?|en|sur|sous)\s+)*{_NAME_WORD}){{0,4}}"
)
_COMPLEMENT_AFTER: Final = re.compile(rf"\s*[,;/-]?\s*(?i:(?:{_COMPLEMENT}))")
_COMPLEMENT_BEFORE: Final = re.compile(rf"(?<![\w’'])(?i:(?:{_COMPLEMENT}))\s*[,;/-]?\s*$")
_LOWER_CITY_AFTER: Final = re.compile(
    r"\s*,?\s*(?:0[1-9]|[1-8]\d|9[0-8])\d{3}\s+(?!(?:pour|et|le|la|les|demain|ce|ok)\b)"
    r"(?:(?:st|ste|saint|sainte)[ -])?[a-zà-ÿ][\w'’]+(?:-[\w'’]+)*"
    r"(?:[ -](?:sur|sous|en|les|lès|le|la)[ -][a-zà-ÿ][\w'’]+)?(?![\w'’-])"
)
"""``12 rue des lilas 35000 rennes``: after a street, a postcode and a lower-case city."""
_CITY_CLAUSE_AFTER: Final = re.compile(
    r",\s*(?P<city>(?:(?:st|ste|saint|sainte)[ -])?[^\W\d_][\w'’]+(?:-[\w'’]+)*"
    r"(?:\s(?:sur|sous|en|les|lès|le|la)\s[^\W\d_][\w'’-]+)?)"
    r"(?=\s*(?:[.;\n]|,|\s-\s|\s[/|]|$))",
    re.IGNORECASE,
)
"""``…, dijon.`` / ``…, PORTE 31, DIJON``: a city closing the clause after an address's comma."""


_SPOKEN_POSTCODE_CITY: Final = re.compile(
    rf"\s*,?\s*(?i:(?:{SPOKEN_NUMBER})\s(?:mille|cents?)(?:(?:-|\s){SPOKEN_NUMBER})?)"
    r"\s+(?:(?:[Ss]t|[Ss]te|[Ss]aint|[Ss]ainte)[ -])?[A-ZÀ-Ýa-zà-ÿ][\w'’]+(?:-[\w'’]+)*(?![\w'’-])"
)
"""``…, soixante-cinq mille Tarbes``: a postcode read out (thousands said) and its city, after a street."""


def _city_after(text: str, position: int, vocabulary: TechnicalVocabulary | None) -> re.Match[str] | None:
    """A city closing the clause after an address (not a word of the note: ``…, chaudière en panne.``)."""
    from anonymization.recognizers.places import is_place_word  # noqa: PLC0415 -- places imports people

    match = _CITY_CLAUSE_AFTER.match(text, position)
    if match is None:
        return None
    city = [w.text for w in words(text, match.start("city"), match.end("city"))]
    named = [
        w
        for w in city
        if fold(w) not in {"st", "ste", "saint", "sainte", "sur", "sous", "en", "les", "lès", "le", "la"}
    ]
    if not named or not all(
        is_place_word(w) and (vocabulary is None or not vocabulary.is_technical_word(w)) for w in named
    ):
        return None
    return match


def extend_addresses(
    text: str, entities: Sequence[Entity], vocabulary: TechnicalVocabulary | None = None
) -> list[Entity]:
    """Each address grown over the complements written around it.

    ``Bât A, 7ème étage, 40 quai de Siam`` and ``18 route du Rhin, bât. D, appartement 92``:
    building, staircase, floor, flat, residence and lieu-dit belong to the address they
    touch. A complement alone is not reported (``ballon au 2e étage`` locates nobody).
    """
    # A place the model saw in a complement ("Bât D") is part of the address, not a stop.
    others = [e for e in entities if e.type not in {"ADDRESS", "LOCATION"}]
    places = [e for e in entities if e.type == "LOCATION"]
    result = []
    for entity in entities:
        if entity.type != "ADDRESS":
            continue
        start, end = entity.start, entity.end
        for _ in range(6):
            grown = (
                _COMPLEMENT_AFTER.match(text, end)
                or _LOWER_CITY_AFTER.match(text, end)
                or _SPOKEN_POSTCODE_CITY.match(text, end)
                or _city_after(text, end, vocabulary)
            )
            if grown is None or any(o.start < grown.end() and end < o.end for o in others):
                break
            end = grown.end()
        for _ in range(6):
            grown = _COMPLEMENT_BEFORE.search(text, max(0, start - 80), start)
            if grown is None or any(o.start < start and grown.start() < o.end for o in others):
                break
            start = grown.start()
        result.append(Entity(start, end, "ADDRESS", entity.score))
    places = [p for p in places if not any(a.start < p.end and p.start < a.end for a in result if a.length)]
    return others + places + result


def merge_addresses(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Join an address with the address or place that directly follows it (``12 rue X, 69003 Lyon``)."""
    result: list[Entity] = []
    for entity in sorted(entities):
        last = result[-1] if result else None
        if (
            last is not None
            and last.type == "ADDRESS"
            and entity.type in {"ADDRESS", "LOCATION"}
            and _JOINER.fullmatch(text, last.end, entity.start)
        ):
            result[-1] = Entity(last.start, entity.end, "ADDRESS", max(last.score, entity.score))
        else:
            result.append(entity)
    return result


def _free(start: int, end: int, entities: Sequence[Entity], spans: Sequence[TechnicalSpan]) -> bool:
    """Nothing technical there, and nothing found but places or people (a name may grow over them)."""
    return not any(e.start < end and start < e.end and e.type not in _GROWABLE for e in entities) and not any(
        s.start < end and start < s.end for s in spans
    )


def _usable_name_word(word: Word, vocabulary: TechnicalVocabulary) -> bool:
    return (
        is_name_like(word.text)
        and word.text not in CIVILITIES
        and fold(word.text) not in _NOT_NAMES
        and not vocabulary.is_technical_word(word.text)
    )


def propagate_names(
    text: str, entities: Sequence[Entity], spans: Sequence[TechnicalSpan], vocabulary: TechnicalVocabulary
) -> list[Entity]:
    """``entities`` plus every other mention of a word of a person's name found in them."""
    names = {
        word.text
        for entity in entities
        if entity.type == "PERSON"
        for word in words(text, entity.start, entity.end)
        if len(word.text) >= 3 and _usable_name_word(word, vocabulary)
    }
    if not names:
        return list(entities)
    variants = names | {n.upper() for n in names}
    added = list(entities)
    for word in tokenize(text):
        if word.text in variants and _free(word.start, word.end, added, spans):
            added.append(Entity(word.start, word.end, "PERSON", 0.7))
    return added


def find_signing_names(
    text: str, entities: Sequence[Entity], spans: Sequence[TechnicalSpan], vocabulary: TechnicalVocabulary
) -> list[Entity]:
    """``entities`` plus the full names written next to a contact, or signing the text at its end."""
    added = list(entities)
    tokens = list(tokenize(text))
    for entity in entities:
        if entity.type in _CONTACT_TYPES:
            _name_before(text, entity, tokens, added, spans, vocabulary)
            _name_after(text, entity, tokens, added, spans, vocabulary)
        elif entity.type == "PERSON":
            apposition = re.match(r",\s*([^\W\d_][\w'’-]+)\s*,", text[entity.end : entity.end + 40])
            if apposition:  # "la fille de M. Diallo, Sébastien, sera…"
                word = Word(
                    apposition.group(1), entity.end + apposition.start(1), entity.end + apposition.end(1)
                )
                if _usable_name_word(word, vocabulary):
                    _add_name(added, spans, word.start, word.end)
    signature = re.search(r"(?:^|[.!?\n,]\s*)((?:[^\W\d_][\w'’-]*\s+){1,2}[^\W\d_][\w'’-]*)\s*\.?\s*$", text)
    if signature:
        candidate = list(words(text, signature.start(1), signature.end(1)))
        if 2 <= len(candidate) <= 3 and all(_usable_name_word(word, vocabulary) for word in candidate):
            _add_name(added, spans, candidate[0].start, candidate[-1].end)
    return added


def _name_before(
    text: str,
    entity: Entity,
    tokens: list[Word],
    added: list[Entity],
    spans: Sequence[TechnicalSpan],
    vocabulary: TechnicalVocabulary,
) -> None:
    """``Jean Dupont - 06 12 34 56 78``: two or three name words right before a contact."""
    before = re.search(r"(?:[\s,:/(]|\s[-–]\s)*$", text[max(0, entity.start - 6) : entity.start])
    gap_start = entity.start - len(before.group()) if before else entity.start
    last = next((i for i, token in enumerate(tokens) if token.end == gap_start), None)
    if last is None or not _usable_name_word(tokens[last], vocabulary):
        return
    first = last
    while first > 0 and last - first < 3 and _usable_name_word(tokens[first - 1], vocabulary):
        if text[tokens[first - 1].end : tokens[first].start] not in {" ", "-"}:
            break
        first -= 1
    if last - first >= 1:
        _add_name(added, spans, tokens[first].start, tokens[last].end)


def _name_after(
    text: str,
    entity: Entity,
    tokens: list[Word],
    added: list[Entity],
    spans: Sequence[TechnicalSpan],
    vocabulary: TechnicalVocabulary,
) -> None:
    """``06 12 34 56 78 - Jean Dupont``: a full name right after a contact."""
    after = re.match(r"\s*[-–,(/.]\s*", text[entity.end : entity.end + 6])
    if not after:
        return
    index = next((i for i, token in enumerate(tokens) if token.start == entity.end + after.end()), None)
    if index is None or not _usable_name_word(tokens[index], vocabulary):
        return
    end = name_end(tokens, index, text, max_words=3)
    if end is not None and end - index >= 2:
        _add_name(added, spans, tokens[index].start, tokens[end - 1].end)


def _add_name(added: list[Entity], spans: Sequence[TechnicalSpan], start: int, end: int) -> None:
    if _free(start, end, added, spans):
        added.append(Entity(start, end, "PERSON", 0.6))


_BEFORE_NAME: Final = re.compile(
    r"(?:(?<![\w.])(?<!\d\s)(?P<initial>[A-LN-ZÀ-Ý])\.\s?|(?<![\w’'])(?P<particle>(?i:de\s+la|de\s+l['’]|d['’]|"
    r"de|du|des|le|la|van|von|da|dos|del|di|ben|el|al))\s?)$"
)
_AFTER_NAME: Final = re.compile(
    r"\s(?P<particle>(?:(?i:de\s+la|de|du|des|le|la|van|von|da|dos|del|di)\s)+)(?P<name>[A-ZÀ-Ý][\w'’-]+)"
)
_ANCHORS: Final = re.compile(
    r"(?:\b(?:M|Mme|Mlle|Mr|Monsieur|Madame|Mademoiselle|Dr|Me)\.?|[A-ZÀ-Ý]\.|[,:;(]|"
    r"\b(?:de|les|chez|avec|par|contacter|appeler|rappeler|pr[ée]venir|voir|demander))\s*$"
)
"""What may come before a lower-case particle of a name: a civility, an initial, a comma, a cue
(``le propriétaire, de Lestang``, ``contacter du Plessis``); not a noun (``le véhicule de X``)."""


def complete_names(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Each person's name grown over its initial and particles: ``T. Morvan``, ``H. de Saint-Aubin``,
    ``DE KERSAUSON Hélène``, ``Mme le Hir``, ``Thi Lan DE LA MOTTE``.

    A lower-case particle is only taken after a civility or an initial (``le véhicule
    de Tanguy``: that ``de`` is a preposition); capitalized ones (``Le Goff``, ``DU
    PLESSIS``) always.
    """
    people = [
        e for e in entities if e.type == "PERSON" or (e.type == "LOCATION" and _after_particle(text, e))
    ]
    others = [e for e in entities if e not in people]
    result = []
    for entity in people:
        start, end = entity.start, entity.end
        elision = _ELIDED_END.match(text, end)
        if elision is not None:
            end = elision.end()  # "Guivarc'h" cut by the model at its apostrophe
        for _ in range(3):
            match = _BEFORE_NAME.search(text, max(0, start - 12), start)
            if match is None:
                break
            particle = match.group("particle")
            if (
                particle is not None
                and particle[:1].islower()
                and not _ANCHORS.search(text, max(0, match.start() - 14), match.start())
            ):
                break
            if any(o.start < start and match.start() < o.end for o in others):
                break
            start = match.start()
        after = _AFTER_NAME.match(text, end)
        if (
            after is not None
            and (after.group("particle")[:1].isupper() or after.group("name").isupper())
            and fold(after.group("name")) not in DAYS_AND_MONTHS  # "LE GOFF LE MARDI"
            and not any(o.start < after.end() and end < o.end for o in others)
        ):
            end = after.end()
        result.append(Entity(start, end, "PERSON", entity.score))
    return others + result


_ELIDED_END: Final = re.compile(r"['’][^\W\d_]{1,3}(?![\w'’])")
_PARTICLE_BEFORE: Final = re.compile(r"(?<![\w’'])(?:de\s+la|de|du|des|le|la)\s$")


def _after_particle(text: str, entity: Entity) -> bool:
    """A place the model saw right after an anchored particle is a surname (``locataire, de Kersauson``)."""
    match = _PARTICLE_BEFORE.search(text, max(0, entity.start - 6), entity.start)
    return match is not None and _ANCHORS.search(text, max(0, match.start() - 14), match.start()) is not None
