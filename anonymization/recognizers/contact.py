"""Contact data: French phone numbers, e-mail addresses and IP addresses.

The phone recognizer is restricted to France (national ``0X XX XX XX XX`` and
international ``+33``/``0033`` forms, overseas departments included): unlike
Presidio's default, which tries eight regions, serial numbers and dates do not match.
The e-mail recognizer never consults the public suffix list (no download).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar, Final

import phonenumbers

from anonymization.entities import Entity
from anonymization.recognizers.base import FrenchRecognizer
from anonymization.text import preceded_by

__all__ = ["EmailRecognizer", "IpAddressRecognizer", "PhoneRecognizer"]

_SEP: Final = r"[ .\u00a0\u202f\u2009-]"


class PhoneRecognizer(FrenchRecognizer):
    """French phone numbers in national and international forms, and foreign ones after ``+``.

    Besides the usual groupings (``06 12 34 56 78``, dots, hyphens, ``+33 (0)6…``), the ten
    digits may be grouped any way people group them (``06 123 456 78``, ``0644 718 255``),
    with slashes or several spaces, or read in pairs separated by commas; after a phone word
    the leading zero may be missing (``tel 6 12 34 56 78``). A foreign number written with
    its ``+`` country code is one when ``phonenumbers`` says so.
    """

    name: ClassVar[str] = "FrPhoneRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("PHONE_NUMBER",)

    _PATTERN: Final = re.compile(
        r"(?<![\w+/.,-])(?:"
        rf"0[1-9](?:{_SEP}?\d{{2}}){{4}}"
        rf"|(?:\+|00){_SEP}?33{_SEP}?(?:\(0\){_SEP}?)?[1-9](?:{_SEP}?\d{{2}}){{4}}"
        rf"|(?:\+|00){_SEP}?(?:262|269|508|590|594|596|681|687|689){_SEP}?\d{{3}}(?:{_SEP}?\d{{2}}){{3}}"
        r")(?![\w/]|[.,-]?\d)"
    )
    _LOOSE: Final = re.compile(
        r"(?<![\w+/.,-])(?P<prefix>\(\+\d{2,3}\)\s?|\+\s?\d{1,3}[ .\u00a0-]?(?:\(0\)[ .\u00a0-]?)?)?"
        r"(?P<body>\d{1,4}(?:(?:[ .\u00a0\u202f\u2009/-]{1,3}|,\s?)\d{1,4}){0,6})(?![\w/]|[.,-]?\d)"
    )
    _CONTEXT: Final = re.compile(
        r"(tel|telephone|portable|port|mobile|fixe|joindre|joignable|appel\w*|rappel\w*|contact\w*|"
        r"numero|num|n ?°|sms|fax|whatsapp|au|gsm|cell|le)\W*$"
    )

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._PATTERN.finditer(text):
            score = 0.6
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(match.group(), "FR")):
                    score = 0.75
            except phonenumbers.NumberParseException:
                score = 0.5
            if preceded_by(text, match.start(), self._CONTEXT, 24):
                score = min(1.0, score + 0.2)
            found.append(Entity(match.start(), match.end(), "PHONE_NUMBER", score))
        taken = [(e.start, e.end) for e in found]
        for match in self._LOOSE.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            score = self._loose_score(text, match)
            if score:
                found.append(Entity(match.start(), match.end(), "PHONE_NUMBER", score))
        return found

    def _loose_score(self, text: str, match: re.Match[str]) -> float:
        """The score of a number grouped the unusual way, or 0 when it is not a phone."""
        body, prefix = match.group("body"), match.group("prefix") or ""
        groups = re.split(r"\D+", body)
        digits = "".join(groups)
        context = preceded_by(text, match.start(), self._CONTEXT, 24)
        if "," in body and not (len(groups) == 5 and all(len(g) == 2 for g in groups)):
            return 0.0  # "05, 09, 70, 71, 21" is a number read in pairs; other lists are lists
        if prefix:
            country = re.sub(r"\D", "", prefix.replace("(0)", ""))
            try:
                number = phonenumbers.parse(f"+{country}{digits}", None)
            except phonenumbers.NumberParseException:
                return 0.0
            return 0.8 if phonenumbers.is_valid_number(number) else 0.0
        if len(digits) == 10 and digits[0] == "0" and digits[1] != "0" and len(groups) >= 2:
            try:
                valid = phonenumbers.is_valid_number(phonenumbers.parse(digits, "FR"))
            except phonenumbers.NumberParseException:
                valid = False
            if valid:
                return 0.8 if context else 0.55
        if len(digits) == 9 and digits[0] != "0" and context and [len(g) for g in groups] == [1, 2, 2, 2, 2]:
            return 0.6  # "tel 6 12 34 56 78": the leading zero dropped
        return 0.0


class EmailRecognizer(FrenchRecognizer):
    """E-mail addresses, including the spelled-out ``(at)``/``arobase`` forms; offline TLD check."""

    name: ClassVar[str] = "OfflineEmailRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("EMAIL_ADDRESS",)

    # Separators inside the local part, typed or said aloud: "jean.dupont", "jean . dupont" (not
    # " - ", a list dash), "jean point dupont", "jean tiret du bas dupont" (_), "jean tiret dupont" (-),
    # "underscore".
    _LOCAL_SEP: Final = (
        r"(?:[._-]|\s[._]\s|\s(?:point|dot|tiret(?:\s(?:du\s)?bas)?|underscore|under\sscore|moins)\s)"
    )
    _AT: Final = (
        r"(?:\s?@\s?|\s?[\[(]\s?(?:at|arobase|arrobase|arobas)\s?[\])]\s?"
        r"|\s(?:arobase|arrobase|arobas|at|a\scommercial)\s)"
    )
    _DOMAIN_SEP: Final = r"(?:\.|\s\.\s|\s?[\[(]\s?(?:dot|point)\s?[\])]\s?|\s(?:point|dot)\s)"
    _PATTERN: Final = re.compile(
        rf"(?<![\w.+'-])[\w+']+(?:{_LOCAL_SEP}[\w+']+)*{_AT}"
        rf"[\w]+(?:(?:-|\stiret\s)[\w]+)*(?:{_DOMAIN_SEP}[\w]+(?:(?:-|\stiret\s)[\w]+)*)+",
        re.IGNORECASE,
    )
    _TLD: Final = re.compile(r"[^\W\d_]{2,24}|xn--[a-z0-9-]+", re.IGNORECASE)

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for match in self._PATTERN.finditer(text):
            candidate = match.group()
            tld = re.split(r"[.\s\])]", candidate)[-1]
            if not self._TLD.fullmatch(tld):
                continue
            score = 0.95 if "@" in candidate else 0.75
            found.append(Entity(match.start(), match.end(), "EMAIL_ADDRESS", score))
        return found


class IpAddressRecognizer(FrenchRecognizer):
    """IPv4 and IPv6 addresses; version numbers (``v14.0.6.0``, ``firmware 2.1.0.3``) are not addresses."""

    name: ClassVar[str] = "IpAddressRecognizer"
    entity_types: ClassVar[tuple[str, ...]] = ("IP_ADDRESS",)

    _V4: Final = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
    _V6: Final = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
    _VERSION: Final = re.compile(
        r"(v|ver|version|firmware|fw|logiciel|soft\w*|release|maj|mise a jour)\W{0,3}$"
    )

    def find(self, text: str, doc: Any = None) -> list[Entity]:
        found = []
        for pattern in (self._V4, self._V6):
            for match in pattern.finditer(text):
                candidate = match.group()
                if pattern is self._V6 and (
                    candidate.count(":") < 2 or not re.search(r"[0-9A-Fa-f]{2}", candidate)
                ):
                    continue
                try:
                    ipaddress.ip_address(candidate)
                except ValueError:
                    continue
                if preceded_by(text, match.start(), self._VERSION, 16):
                    continue
                found.append(Entity(match.start(), match.end(), "IP_ADDRESS", 0.8))
        return found
