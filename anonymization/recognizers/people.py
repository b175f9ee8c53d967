"""People: names after a civility or a French cue word, names the spaCy model finds,
company names with a legal form, and dates of birth.

Names are the hardest part: no checksum, no fixed shape. Several weak signals are
combined here; the engine then drops what the technical guard protects (a brand is
not a person) and propagates each name found to its other mentions in the text.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, ClassVar, Final

from anonymization.entities import Entity
from anonymization.names import COMMON_WORDS, STOP_WORDS, is_first_name
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import NAME_PARTICLES, Word, fold, is_name_like, tokenize, typo_tolerant, words

__all__ = [
    "CIVILITIES",
    "DAYS_AND_MONTHS",
    "NOT_NAMES",
    "AnyCaseNameRecognizer",
    "CivilityNameRecognizer",
    "CompanyNameRecognizer",
    "CueNameRecognizer",
    "DateOfBirthRecognizer",
    "NerRecognizer",
    "UpperCaseNameRecognizer",
    "name_end",
]

CIVILITIES: Final = frozenset(
    {
        "M", "MM", "Mr", "Mme", "Mmes", "Mlle", "Mlles", "Monsieur", "Madame", "Mademoiselle", "Messieurs",
        "Mesdames", "Dr", "Docteur", "Pr", "Professeur", "Me", "Maître", "MME", "MLLE", "MONSIEUR", "MADAME",
    }
)  # fmt: skip
"""Civilities (without their dot) that announce a name."""

_CUES: Final = re.compile(
    r"(?:\b(?:chez|voir|demander|contacter|prevenir|rappeler|appeler|informer|joindre|aupres de|au nom de|"
    r"de la part de|signe par|remis a|remise a|envoye a|appel de|demande de|accompagne de|en presence de|"
    r"avec|pour)|"
    r"\b(?:contact|interlocut\w+|proprietaire|locataire|gardien(?:ne)?|gerant(?:e)?|client(?:e)?|occupant(?:e)?|"
    r"technicien(?:ne)?|responsable|referent(?:e)?|epoux|epouse|mari|femme|fils|fille|voisin(?:e)?|"
    r"beau-frere|belle-soeur|frere|soeur|pere|mere|nom|signataire|intervenant(?:e)?)"
    r"(?:\s+sur\s+place|\s+du\s+site)?\s*[:\-,]?|"
    r"\b(?:chez|famille|voir|appeler|contacter|prevenir|rappeler)\s+les|\bfamille|"
    r"\b(?:vehicule|voiture|camion|fourgon|moto|scooter|chien|chat|cles?|domicile|maison|logement|appartement|"
    r"boite aux lettres|portable|telephone|numero|mail|compte)\s+(?:de|du|d')"
    r"(?:\s+(?:de|du|d'))?(?:\s+(?:la|l'))?)(?:\s+(?:de\s+la|de|du|des|le|la))?\s*$"
)
_STRONG_CUES: Final = re.compile(
    r"(?:au nom de|de la part de|signe par|\bnom\s*:|signataire\s*:?|\b(?:chez|famille) les"
    r"|\b(?:locataire|proprietaire|occupant|occupante|voisin|voisine|gardien|gardienne)\s*,)"
    r"(?:\s+(?:de\s+la|de|du|des|le|la))?\s*$"
)
"""Cues after which a word is a name even when it is also a brand (``au nom de Legrand``)."""
NOT_NAMES: Final = frozenset(
    {
        "le", "la", "les", "un", "une", "l", "il", "elle", "nous", "vous", "on", "lui", "leur", "eux", "ce",
        "cette", "son", "sa", "ses", "mon", "ma", "mes", "votre", "notre", "accueil", "rdv", "tel", "tél",
        "mail", "email", "e-mail", "merci", "bonjour", "cordialement", "ok", "ras", "pac", "vmc", "sav",
        "devis", "facture", "contrat", "urgent", "client", "cliente", "technicien", "notice", "appel",
        "portable", "fixe", "adresse", "contact", "objet", "remarque", "note", "info", "attention", "nb",
        "chaudiere", "pompe", "clim", "climatisation", "tableau", "ballon", "cumulus", "visite", "entretien",
        "facturation", "siret", "siren", "rcs", "tva", "iban", "rib", "bic", "cerfa",
        "wi-fi", "wifi", "box", "logement", "maison", "appartement", "garage", "cave", "jardin", "cour",
        "bat", "batiment", "esc", "escalier", "etage", "residence", "appt", "apt", "porte", "entree",
        "immeuble", "joignable", "injoignable", "absent", "absente",
    }
)  # fmt: skip
_LEGAL_FORMS: Final = re.compile(
    r"(?<![\w.])(?:SA|S\.A\.|SARL|S\.A\.R\.L\.|SAS|S\.A\.S\.|SASU|S\.A\.S\.U\.|EURL|E\.U\.R\.L\.|SNC|SCI|SCOP|SELARL|"
    r"et\s+Fils|&\s+Fils|et\s+Cie|&\s+Cie|et\s+Associés)(?![\w])"
)
_COMPANY_PREFIX: Final = re.compile(
    r"(?<![\w])(?:Société|Sté|Ets\.?|Établissements|Etablissements|Entreprise|SARL|SAS|EURL|SCI)\s+(?=[A-ZÀ-Þ])"
)
_REGISTRATION: Final = re.compile(r"\s*[(,\-–]?\s*(?:SIRET|SIREN|RCS)\b")
"""A business name is often written right before its registration number: ``Hubert (SIRET …)``."""
_MONTHS: Final = (
    "janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|novembre|"
    "decembre|décembre"
)
_DATE_OF_BIRTH: Final = re.compile(
    r"(?:\bn[ée]e?|\bn[ée]\s?\(e\)|date\s+de\s+naissance(?:\s+(?:du|de|de\s+la|des)\s+\w+)?|\bddn|d\.d\.n\.?|\bnaissance)"
    r"\s*(?:le|en|:|-)?\s*:?\s*"
    rf"(?P<date>\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})",
    re.IGNORECASE,
)


DAYS_AND_MONTHS: Final = frozenset(
    {
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "janvier", "fevrier",
        "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
    }
)  # fmt: skip
"""Folded days and months: never part of a name (``KERBRAT LE JEUDI``)."""


def name_end(tokens: list[Word], index: int, text: str, max_words: int = 4) -> int | None:
    """Index past the last token of a name starting at ``tokens[index]``, or ``None``.

    A name is capitalized words (``Jean-Pierre``, ``DUPONT``), initials (``J.``) and
    particles between them (``Bertin de la Giraud``), on one line.
    """
    end: int | None = None
    names = 0
    position = index
    initial = False
    while position < len(tokens) and names < max_words:
        token = tokens[position]
        if position > index:
            between = text[tokens[position - 1].end : token.start]
            if "\n" in between or len(between) > 2 or any(c in between for c in ",;:()"):
                break
        value = token.text
        if fold(value) in DAYS_AND_MONTHS:
            break  # "KERBRAT LE JEUDI": a day is never part of a name, nor the particle before it
        if (
            is_name_like(value)
            and fold(value) not in NOT_NAMES | NAME_PARTICLES
            and value not in CIVILITIES
            and not (value.isupper() and fold(value) in STOP_WORDS)  # capitals carry no signal: "AVANT"
        ):
            names += 1
            position += 1
            end = position
        elif (
            len(value) == 1
            and value.isupper()
            and position + 1 < len(tokens)
            and tokens[position + 1].text == "."
        ):
            position += 2  # an initial: J. Dupont, Q. des Rochettes
            end = position if end is not None else None
            names += 1
            initial = True
        elif fold(value) in NAME_PARTICLES and (
            end is not None
            or initial
            or (
                position + 1 < len(tokens) and is_name_like(tokens[position + 1].text) and value[:1].isupper()
            )
        ):
            position += 1
        else:
            break
    return end


class CivilityNameRecognizer(FrenchRecognizer):
    """``M. Martin``, ``Mme Leroy``, ``Madame Jeanne DUPONT``: the name after a civility (civility kept)."""

    name: ClassVar[str] = "FrCivilityNameRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PERSON",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        tokens = list(tokenize(text))
        for index, token in enumerate(tokens):
            if token.text not in CIVILITIES:
                continue
            first = index + 1
            if first < len(tokens) and tokens[first].text == ".":
                first += 1
            if first >= len(tokens) or (first > index + 2 and tokens[first].start - token.end > 3):
                continue
            end = name_end(tokens, first, text)
            if end is not None:
                found.append(Entity(tokens[first].start, tokens[end - 1].end, "PERSON", 0.9))
        return found


class CueNameRecognizer(FrenchRecognizer):
    """A capitalized name after a French cue: ``chez Dupont``, ``contact : Paul Girard``, ``voir Nadia``."""

    name: ClassVar[str] = "FrCueNameRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PERSON",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        tokens = list(tokenize(text))
        for index, token in enumerate(tokens):
            if not is_name_like(token.text) or token.text in CIVILITIES:
                continue
            if not _CUES.search(fold(text[max(0, token.start - 40) : token.start])):
                continue
            end = name_end(tokens, index, text, max_words=3)
            if end is not None:
                strong = _STRONG_CUES.search(fold(text[max(0, token.start - 30) : token.start]))
                found.append(Entity(token.start, tokens[end - 1].end, "PERSON", 0.75 if strong else 0.6))
        return found


class UpperCaseNameRecognizer(FrenchRecognizer):
    """A surname in capitals beside a first name: ``DUPONT Jean``, ``Aurore LEGROS``."""

    name: ClassVar[str] = "FrUpperCaseNameRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PERSON",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        tokens = list(tokenize(text))
        for left, right in pairwise(tokens):
            if text[left.end : right.start] != " " or not (
                is_name_like(left.text) and is_name_like(right.text)
            ):
                continue
            if left.text in CIVILITIES or fold(left.text) in NOT_NAMES or fold(right.text) in NOT_NAMES:
                continue
            upper = [t for t in (left, right) if t.text.isupper()]
            if len(upper) == 1 and len(upper[0].text.replace("-", "")) >= 3:
                found.append(Entity(left.start, right.end, "PERSON", 0.55))
        return found


class NerRecognizer(FrenchRecognizer):
    """People (``PER``) and places (``LOC``) found by the spaCy model, cleaned of civilities and digits.

    ``doc`` is the list of :class:`~anonymization.nlp.NerSpan` the engine got from the
    model for this text (``None`` or empty: nothing to report).
    """

    name: ClassVar[str] = "SpacyFrenchNerRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PERSON", "LOCATION")

    _LABELS: Final = {"PER": ("PERSON", 0.8), "LOC": ("LOCATION", 0.6)}

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for span in doc or ():
            label = self._LABELS.get(span.label)
            if label is None:
                continue
            # A word with a digit means the model merged a name with a code: keep the name parts.
            runs: list[list[Word]] = [[]]
            for word in words(text, span.start, span.end):
                if any(c.isdigit() for c in word.text):
                    runs.append([])
                elif word.text not in CIVILITIES and (word.text[:1].isalpha() or word.text in {"-", "'"}):
                    runs[-1].append(word)
            for run in runs:
                entity = self._cleaned(run, label)
                if entity is not None and not (
                    entity.type == "LOCATION" and _opens_sentence(text, entity, run)
                ):
                    found.append(entity)
        return found

    @staticmethod
    def _cleaned(run: list[Word], label: tuple[str, float]) -> Entity | None:
        while run and (not is_name_like(run[0].text) or fold(run[0].text) in NOT_NAMES):
            run.pop(0)
        while run and (not is_name_like(run[-1].text) or fold(run[-1].text) in NOT_NAMES):
            run.pop()
        if not run or (len(run) == 1 and run[0].text.isupper() and len(re.sub(r"\W", "", run[0].text)) <= 4):
            return None  # CO, PAC, RAS: acronyms, not names
        return Entity(run[0].start, run[-1].end, label[0], label[1])


def _opens_sentence(text: str, entity: Entity, run: list[Word]) -> bool:
    """A one-word place opening a sentence is the model misreading a capital (``Valeur relevée…``)."""
    return (
        len(run) == 1
        and not text[: entity.start].rstrip(' \t"«(').endswith(tuple(",;"))
        and (re.search(r"(?:^|[.!?:\n])\W*$", text[: entity.start]) is not None)
    )


class CompanyNameRecognizer(FrenchRecognizer):
    """A business name with its legal form (``Barbier SARL``, ``Colas et Fils``, ``Société Martin``).

    The schema treats a client's business name as identity: it may name a sole trader.
    """

    name: ClassVar[str] = "FrCompanyNameRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("ORGANIZATION",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in _LEGAL_FORMS.finditer(text):
            start = self._names_before(text, match.start())
            if start is not None:
                found.append(Entity(start, match.end(), "ORGANIZATION", 0.7))
            else:
                tokens = list(words(text, match.end(), min(len(text), match.end() + 60)))
                end = (
                    name_end(tokens, 0, text, max_words=3)
                    if tokens and tokens[0].start - match.end() <= 2
                    else None
                )
                if end is not None and match.group().isupper():
                    found.append(Entity(match.start(), tokens[end - 1].end, "ORGANIZATION", 0.6))
        for match in _REGISTRATION.finditer(text):
            start = self._names_before(text, match.start())
            if start is not None:
                found.append(Entity(start, match.start(), "ORGANIZATION", 0.6))
        for match in _COMPANY_PREFIX.finditer(text):
            tokens = list(words(text, match.end(), min(len(text), match.end() + 60)))
            end = name_end(tokens, 0, text, max_words=3) if tokens else None
            if end is not None:
                found.append(Entity(match.start(), tokens[end - 1].end, "ORGANIZATION", 0.6))
        best: dict[tuple[int, int], Entity] = {}
        for entity in found:
            key = (entity.start, entity.end)
            if key not in best or best[key].score < entity.score:
                best[key] = entity
        return sorted(best.values())

    @staticmethod
    def _names_before(text: str, position: int) -> int | None:
        start = None
        before = list(words(text, max(0, position - 60), position))
        count = 0
        for token in reversed(before):
            if (
                is_name_like(token.text)
                and token.text not in CIVILITIES
                and fold(token.text) not in NOT_NAMES
            ):
                start = token.start
                count += 1
            elif token.text in {",", "&", "-"} or (
                fold(token.text) in {"et", "de", "du", "des"} and start is not None
            ):
                continue
            else:
                break
            if count >= 4:
                break
        return start


class DateOfBirthRecognizer(FrenchRecognizer):
    """A date introduced by ``né(e) le``, ``date de naissance``, ``DDN``; other dates are not personal."""

    name: ClassVar[str] = "FrDateOfBirthRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("DATE_OF_BIRTH",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        return [
            Entity(match.start("date"), match.end("date"), "DATE_OF_BIRTH", 0.85)
            for match in _DATE_OF_BIRTH.finditer(text)
        ]


_ANY_CASE_CIVILITIES: Final = frozenset(
    {"mme", "mmes", "mlle", "mr", "m.", "monsieur", "madame", "mademoiselle", "mr.", "mme.", "dr", "docteur"}
)
_LOWER_CASE_CUES: Final = frozenset(
    {
        "chez", "famille", "voisin", "voisine", "locataire", "proprietaire", "gardien", "gardienne", "nom",
        # relatives, who hold the keys or open the door
        "fils", "fille", "gendre", "belle-fille", "soeur", "frere", "neveu", "niece", "cousin", "cousine",
        "epoux", "epouse", "mari", "belle-mere", "beau-pere", "beau-frere", "belle-soeur",
    }
)  # fmt: skip
_NAME_WORD: Final = re.compile(r"[^\W\d_]{2,}(?:['’-][^\W\d_]+)*")
_SHORT_LABEL_CUE: Final = re.compile(
    rf"(?:^|[\s>*/.-])(?:cli|clt|{typo_tolerant('interv')}|rdv\s+(?:a\s+)?\d{{1,2}}(?:[:h]\d{{2}}|h))\s*[:/-]?\s*$"
)
"""Abbreviations that head a note's line with the person it is about: ``cli:``, ``interv``, ``rdv 14h30``."""
_WORD_LABEL_CUE: Final = re.compile(
    r"(?:^|[\s>*/.-])(?:(?P<subject>"
    + "|".join(typo_tolerant(word) for word in ("client", "cliente", "intervention"))
    + r")|"
    + "|".join(typo_tolerant(word) for word in ("voisin", "voisine", "gardien", "gardienne"))
    + r"|locataire|proprietaire|occupant|occupante|chez|cheez)"
    r"(?:\s+(?:du|de la|chez))?(?P<separator>\s*[:/-])?\s*$"
)
"""Full words that head a line (``client : …``, ``du viosin …``). After ``client`` or
``intervention`` a lower-case word is a name only with a separator: in a sentence a verb
follows them (``le client signale``)."""


def _after_a_label(text: str, token: Word) -> bool:
    """Whether ``token`` follows a note's header words (``cli: belkacem``, ``INTERV HOURIA``)."""
    before = fold(text[max(0, token.start - 30) : token.start])
    if _SHORT_LABEL_CUE.search(before):
        return True
    match = _WORD_LABEL_CUE.search(before)
    if match is None:
        return False
    return match.group("subject") is None or token.text.isupper() or match.group("separator") is not None


def _any_case_name_word(token: Word) -> bool:
    """A word that may be a name in a text written in capitals or in lower case."""
    folded = fold(token.text)
    return (
        _NAME_WORD.fullmatch(token.text) is not None
        and folded not in STOP_WORDS
        and folded not in NOT_NAMES
        and folded not in COMMON_WORDS
        and folded.rstrip(".") not in _ANY_CASE_CIVILITIES
        and token.text not in CIVILITIES
    )


def _joined(text: str, left: Word, right: Word) -> bool:
    return text[left.end : right.start] in {" ", "-"}


class AnyCaseNameRecognizer(FrenchRecognizer):
    """Names whatever their case: ``jean dupont``, ``JEAN DUPONT``, ``mme benali``, ``demander lucie``.

    Capitals carry no signal in a text typed in lower case or in capitals, so a known
    first name (:mod:`anonymization.names`) stands in for it: a first name followed by
    another name word is a full name; a civility (any case) announces a name; a cue
    (``demander``, ``chez``, ``avec``) followed by a first name announces it too.
    """

    name: ClassVar[str] = "FrAnyCaseNameRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PERSON",)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        tokens = tokenize(text)
        count = len(tokens)
        index = 0
        while index < count:
            token = tokens[index]
            folded = fold(token.text)
            civility = folded in _ANY_CASE_CIVILITIES or (
                folded == "m" and index + 1 < count and tokens[index + 1].text == "."
            )
            if civility:
                first = index + 1
                if first < count and tokens[first].text == "." and folded in {"m", "mr", "mme"}:
                    first += 1
                end = self._name_run(text, tokens, first, need_first_name=False, announced=True)
                if end is not None:
                    found.append(Entity(tokens[first].start, tokens[end - 1].end, "PERSON", 0.8))
                    index = end
                    continue
            if (  # "chez benali", "voisine dupont": a lower-case family name after a word that announces one
                index > 0
                and token.text.islower()
                and fold(tokens[index - 1].text) in _LOWER_CASE_CUES
                and _any_case_name_word(token)
                and _joined(text, tokens[index - 1], token)
            ):
                end = self._name_run(text, tokens, index, need_first_name=False) or index + 1
                found.append(Entity(token.start, tokens[end - 1].end, "PERSON", 0.6))
                index = end
                continue
            if (  # "cli: belkacem", "INTERV HOURIA LE…", "rdv 14h30 sylla": a note header names its client
                _any_case_name_word(token)
                and not (
                    token.text[:1].isupper() and not token.text.isupper()
                )  # capitalized: the other rules
                and _after_a_label(text, token)
            ):
                end = self._name_run(text, tokens, index, need_first_name=False, announced=True)
                if end is not None:
                    found.append(Entity(token.start, tokens[end - 1].end, "PERSON", 0.6))
                    index = end
                    continue
            if _any_case_name_word(token) and is_first_name(token.text):
                end = self._name_run(text, tokens, index, need_first_name=True)
                cue = _CUES.search(fold(text[max(0, token.start - 40) : token.start]))
                if end is not None and end - index >= 2:
                    found.append(Entity(token.start, tokens[end - 1].end, "PERSON", 0.6))
                    index = end
                    continue
                if cue or _capitalized_alone(text, token):
                    found.append(Entity(token.start, token.end, "PERSON", 0.6))
            index += 1
        return found

    @staticmethod
    def _name_run(
        text: str, tokens: tuple[Word, ...], first: int, *, need_first_name: bool, announced: bool = False
    ) -> int | None:
        """The end of up to three name words from ``first`` (particles inside), or ``None``.

        ``announced``: a civility or a note header comes right before (``mme yacine masson le…``).
        """
        if (  # "mme da silva", "m. le goff": a particle may open the name
            first + 1 < len(tokens)
            and fold(tokens[first].text) in NAME_PARTICLES
            and _joined(text, tokens[first], tokens[first + 1])
            and _any_case_name_word(tokens[first + 1])
            and not need_first_name
        ):
            return AnyCaseNameRecognizer._name_run(
                text, tokens, first + 1, need_first_name=False, announced=announced
            )
        if first >= len(tokens) or not _any_case_name_word(tokens[first]):
            return None
        if tokens[first].start - tokens[first - 1].end > 2 if first > 0 else False:
            return None
        lower = tokens[first].text[:1].islower()
        end = first + 1
        position = first + 1
        while position < len(tokens) and end - first < 3:
            previous, token = tokens[position - 1], tokens[position]
            if not _joined(text, previous, token):
                break
            if fold(token.text) in NAME_PARTICLES and position + 1 < len(tokens):
                following = tokens[position + 1]
                if (
                    _joined(text, token, following)
                    and _any_case_name_word(following)
                    and following.text[:1].islower() == lower
                ):
                    position += 2
                    end = position
                    continue
                break
            if not _any_case_name_word(token) or token.text[:1].islower() != lower:
                break  # one name keeps one case: "Leroy appelle" is a name and a verb
            # Without capitals to go by, two words are one name only when one is a first name,
            # or when a civility or a header announced a name that ends where the clause does.
            if not (
                is_first_name(previous.text)
                or is_first_name(token.text)
                or (announced and end - first == 1 and _clause_ends_after(text, tokens, position))
            ):
                break
            position += 1
            end = position
        if need_first_name and end - first == 1:
            return None
        return end


_CLAUSE_WORDS: Final = frozenset({"le", "au", "tel", "du", "a", "à", "pour", "sur", "ok"})


def _clause_ends_after(text: str, tokens: tuple[Word, ...], position: int) -> bool:
    """Whether the clause ends after ``tokens[position]``: punctuation, a line end, a number, ``le``…"""
    if position + 1 >= len(tokens):
        return True
    following = tokens[position + 1]
    between = text[tokens[position].end : following.start]
    return (
        any(c in between for c in ",;:/|()\n")
        or not following.text[:1].isalnum()
        or following.text[:1].isdigit()
        or fold(following.text) in _CLAUSE_WORDS
    )


def _capitalized_alone(text: str, token: Word) -> bool:
    """``Lucie`` written with its capital inside a sentence: a first name on its own."""
    if not is_name_like(token.text) or token.text.isupper():
        return False
    before = text[: token.start].rstrip()
    return bool(before) and before[-1] not in ".!?:\n"
