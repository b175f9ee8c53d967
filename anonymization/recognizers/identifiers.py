"""Identifiers with a checksum: NIR, SIREN/SIRET, IBAN and payment cards.

A number is reported when its checksum holds. When it does not, it is still reported
(with a lower score) if a context word says what it is (``n° de sécu``, ``IBAN``):
a mistyped identifier is still personal data.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from anonymization.checksums import (
    IBAN_LENGTHS,
    iban_is_valid,
    luhn_is_valid,
    nir_is_valid,
    siren_is_valid,
    siret_is_valid,
)
from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by, typo_tolerant

__all__ = ["IbanRecognizer", "NirRecognizer", "PaymentCardRecognizer", "SirenSiretRecognizer"]

_SEP: Final = r"[ .\u00a0\u202f\u2009-]"
_DIGIT_CHAIN: Final = re.compile(rf"(?<![\w.,/-])\d+(?:{_SEP}\d+)*(?![\w/]|[.,]\d)")


def _groups(chain: str) -> list[str]:
    return re.split(_SEP, chain)


class NirRecognizer(FrenchRecognizer):
    """French social-security number (NIR), 15 characters, with or without spaces; Corsica 2A/2B."""

    name: ClassVar[str] = "FrNirRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("FR_NIR",)

    _PATTERN: Final = re.compile(
        rf"(?<![\w.,-])[1234578]{_SEP}?\d{{2}}{_SEP}?\d{{2}}{_SEP}?(?:\d{{2}}|2[AaBb]){_SEP}?\d{{3}}"
        rf"{_SEP}?\d{{3}}(?:{_SEP}|{_SEP}?-{_SEP}?|,?\s?(?:cl[eé]|key)\s?:?\s?)?\d{{2}}(?![\w]|[.,]\d)",
        re.IGNORECASE,
    )
    _OFFICIAL_LAYOUT: Final = re.compile(
        r"[1278] \d{2} (?:0[1-9]|1[0-2]|[2-9]\d) (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}", re.IGNORECASE
    )
    """``1 71 03 2A 004 012 58``: the grouping of the Carte Vitale, a NIR even with a mistyped key."""
    _CONTEXT: Final = re.compile(
        r"(secu|securite sociale|nir|insee|carte vitale|immatriculation ss|n ?° ?ss)\W*"
    )

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._PATTERN.finditer(text):
            compact = re.sub(r"[^0-9AB]", "", match.group().upper())  # the key may follow "clé"
            if nir_is_valid(compact):
                found.append(Entity(match.start(), match.end(), "FR_NIR", 0.95))
            elif preceded_by(text, match.start(), self._CONTEXT, 60) or self._OFFICIAL_LAYOUT.fullmatch(
                match.group()
            ):
                found.append(Entity(match.start(), match.end(), "FR_NIR", 0.5))
        return found


class SirenSiretRecognizer(FrenchRecognizer):
    """SIRET (14 digits) and SIREN (9 digits), Luhn-checked; a bare SIREN needs context or 3-3-3 grouping."""

    name: ClassVar[str] = "FrSirenSiretRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("FR_SIRET", "FR_SIREN")

    _CONTEXT: Final = re.compile(
        r"(siret|siren|rcs(?: [a-z' -]+)?(?: [ab])?|immatricul\w*|n ?° ?tva|tva intra\w*)\W*$"
    )

    _AGENCY: Final = re.compile(
        r"\b(?:syndic|agence|regie|cabinet|gestionnaire|gestion locative|administrateur de biens|immobilier"
        r"|immobiliere|bailleur social|office public|notaire|etude)\b[^.\n;]{0,80}$"
    )
    """A SIRET written for a property agency, a syndic or a notary: a business acting as one, not a person."""

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in _DIGIT_CHAIN.finditer(text):
            if preceded_by(text, match.start(), self._AGENCY, 100):
                continue
            groups = _groups(match.group())
            compact = "".join(groups)
            context = preceded_by(text, match.start(), self._CONTEXT, 40)
            if len(compact) == 14 and siret_is_valid(compact):
                found.append(Entity(match.start(), match.end(), "FR_SIRET", 0.95 if context else 0.85))
            elif len(compact) == 9 and siren_is_valid(compact):
                grouped = [len(g) for g in groups] == [3, 3, 3]
                if context or grouped:
                    found.append(Entity(match.start(), match.end(), "FR_SIREN", 0.85 if context else 0.5))
            elif context and len(compact) in (9, 14):
                kind = "FR_SIRET" if len(compact) == 14 else "FR_SIREN"
                found.append(Entity(match.start(), match.end(), kind, 0.5))
        return found


class IbanRecognizer(FrenchRecognizer):
    """IBAN of any country in any writing, checked with mod 97 and the country's length.

    The characters may be grouped by four or not, in upper or lower case, with spaces
    (one or several), hyphens, dots or slashes between groups, the check digits apart
    from the country code (``FR 76 3000…``) and the number split across a line break.
    A mistyped IBAN (key or length off) is still reported after ``IBAN``/``RIB``, or in
    the IBAN's own layout.
    """

    name: ClassVar[str] = "IbanRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("IBAN_CODE",)

    _START: Final = re.compile(r"(?<![^\W_])([A-Za-z]{2})([ .\u00a0-]?)(\d{2})")
    _GAP: Final = re.compile(r"[ \t\u00a0\u202f\u2009./-]{1,3}(?:\r?\n[ \t]*)?|\r?\n[ \t]*")
    """What may sit between two groups: a few separators, or a line break."""
    _GROUP: Final = re.compile(r"[0-9A-Za-z]+")
    _CONTEXT: Final = re.compile(
        r"(?:\b(?:iban|rib)\b[^.\n]{0,50}|(?:bic|virement|compte|prelevement)\W*(?:\w+\W*){0,2})$"
    )
    _SLACK: Final = 3
    """How many characters a mistyped IBAN may have too few or too many, after a context word."""

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found: list[Entity] = []
        position = 0
        while True:
            match = self._START.search(text, position)
            if match is None:
                return found
            position = match.start() + 1
            expected = IBAN_LENGTHS.get(match.group(1).upper())
            if expected is None:
                continue
            context = preceded_by(text, match.start(), self._CONTEXT, 60)
            entity = self._candidate(text, match, expected, context)
            if entity is not None:
                found.append(entity)
                position = entity.end

    def _candidate(self, text: str, match: re.Match[str], expected: int, context: bool) -> Entity | None:
        upper = match.group(1).isupper()
        if match.group(2) and not (upper or context):
            return None  # "de 12 …": a spaced country code needs capitals or an IBAN word
        valid = self._valid_end(text, match, expected)
        if valid is not None:
            return Entity(match.start(), valid, "IBAN_CODE", 0.95)
        return self._mistyped(text, match, expected, context, upper)

    def _mistyped(
        self, text: str, match: re.Match[str], expected: int, context: bool, upper: bool
    ) -> Entity | None:
        """An IBAN whose key fails: its shape, and a context word or its layout, must say it is one."""
        groups = self._groups(text, match.end(), upper, expected + self._SLACK - 4)
        ends = [match.end(), *(end for _, end in groups)]
        lengths = [len(re.sub(r"[^0-9A-Za-z]", "", text[match.start() : end])) for end in ends]
        if lengths[-1] - 4 < 8 or sum(c.isdigit() for c in text[match.end() : ends[-1]]) < 0.6 * (
            lengths[-1] - 4
        ):
            return None  # words after a country code and two digits, not an account number
        exact = [end for end, length in zip(ends, lengths, strict=True) if length == expected]
        if exact:  # a group after the IBAN may not belong to it: the exact length decides where it ends
            compact = re.sub(r"[^0-9A-Za-z]", "", text[match.start() : exact[0]])
            if iban_is_valid(compact):
                return Entity(match.start(), exact[0], "IBAN_CODE", 0.95)
            mistyped = context or self._iban_layout(text[match.start() : exact[0]])
            return Entity(match.start(), exact[0], "IBAN_CODE", 0.5) if mistyped else None
        if context and abs(lengths[-1] - expected) <= self._SLACK:
            return Entity(match.start(), ends[-1], "IBAN_CODE", 0.5)  # a character dropped or doubled
        return None

    def _valid_end(self, text: str, match: re.Match[str], expected: int) -> int | None:
        """The end of an IBAN whose key holds, whatever its groups hold (``347C KWPH CWS6``), or ``None``."""
        index, count = match.end(), 4
        while count < expected:
            group = self._GROUP.match(text, index)
            if group is None:
                gap = self._GAP.match(text, index)
                if gap is None:
                    return None
                index = gap.end()
                continue
            count += len(group.group())
            index = group.end()
        compact = re.sub(r"[^0-9A-Za-z]", "", text[match.start() : index])
        return index if count == expected and iban_is_valid(compact) else None

    def _groups(self, text: str, start: int, upper: bool, limit: int) -> list[tuple[int, int]]:
        """The groups of characters after the check digits, up to ``limit`` characters in all."""
        groups: list[tuple[int, int]] = []
        index, count = start, 0
        glued = self._GROUP.match(text, index)
        if glued:
            groups.append(glued.span())
            count += len(glued.group())
            index = glued.end()
        while count < limit:
            gap = self._GAP.match(text, index)
            if gap is None:
                break
            group = self._GROUP.match(text, gap.end())
            if group is None or not self._account_group(group.group(), upper, not groups):
                break
            groups.append(group.span())
            count += len(group.group())
            index = group.end()
        return groups

    @staticmethod
    def _account_group(group: str, upper: bool, first: bool) -> bool:
        """A group of an account number: digits in it, or first, a bank's letters (``NWBK``) in its case."""
        if any(c.isdigit() for c in group):
            return len(group) <= 7 or sum(c.isdigit() for c in group) >= len(group) - 2
        return first and len(group) <= 4 and (group.isupper() if upper else group.islower())

    @staticmethod
    def _iban_layout(candidate: str) -> bool:
        """Grouped by four from the country code, or a French one glued: an IBAN with a mistyped key."""
        groups = re.split(r"\s+", candidate)
        if len(groups) >= 5 and all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4:
            return True
        return len(groups) == 1 and candidate[:2].upper() == "FR" and candidate[2:].isdigit()


def _card_network_accepts(digits: str) -> bool:
    """Whether a known card network issues numbers with this prefix and length."""
    n = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    return (
        (digits[0] == "4" and n in (13, 16, 19))
        or ((51 <= two <= 55 or 2221 <= four <= 2720) and n == 16)
        or (two in (34, 37) and n == 15)
        or ((digits.startswith("6011") or two == 65 or 644 <= three <= 649) and n in (16, 19))
        or (3528 <= four <= 3589 and 16 <= n <= 19)
        or ((two in (36, 38) or 300 <= three <= 305) and n in (14, 16))
        or (
            digits[:4] in {"5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"} and n >= 12
        )
    )


class PaymentCardRecognizer(FrenchRecognizer):
    """Payment card numbers: known network prefix and length, Luhn, grouped by four (Amex 4-6-5) or not.

    A number that fails the checks is still a card after ``carte``, ``CB``, ``paiement``…
    """

    name: ClassVar[str] = "PaymentCardRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("CREDIT_CARD",)

    _CONTEXT: Final = re.compile(
        rf"\b({typo_tolerant('carte')}|cb|visa|mastercard|master card|amex|{typo_tolerant('paiement')}|payee?"
        rf"|regle|{typo_tolerant('reglement')}|numero de carte)\b[^.\n]{{0,40}}$"
    )

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in _DIGIT_CHAIN.finditer(text):
            groups = _groups(match.group())
            compact = "".join(groups)
            if not 12 <= len(compact) <= 19:
                continue
            sizes = [len(g) for g in groups]
            grouped = (
                len(sizes) == 1
                or (all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4)
                or sizes in ([4, 6, 5], [4, 6, 4])
            )
            if grouped and _card_network_accepts(compact) and luhn_is_valid(compact):
                found.append(Entity(match.start(), match.end(), "CREDIT_CARD", 0.9))
            elif sizes == [4, 4, 4, 4] and luhn_is_valid(compact):
                # The card's own layout and its check digit: a card, whatever network it starts with.
                found.append(Entity(match.start(), match.end(), "CREDIT_CARD", 0.85))
            elif grouped and preceded_by(text, match.start(), self._CONTEXT, 60):
                found.append(Entity(match.start(), match.end(), "CREDIT_CARD", 0.6))  # mistyped, still a card
        return found
