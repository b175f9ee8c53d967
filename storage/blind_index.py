"""Blind index: find a person's reports without storing who they are.

A term (e-mail, phone, name) is normalized, then hashed with HMAC-SHA256 under the
index key. The database holds only the digests; a data-subject request computes the
digest of what the person gives and looks it up.

Phones are normalized to E.164 (``+33612345678``) with ``phonenumbers``, national
numbers read as French: ``+33 (0)6 12 34 56 78``, ``06 12 34 56 78``, ``0612345678`` and
``+33612345678`` are one term. Index version 1 kept digits only, in French national form,
and missed some of these writings: :data:`INDEX_VERSION` says which normalization the
stored digests follow, and :mod:`storage.subject_index` re-indexes an older index.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Final, Literal

import phonenumbers

__all__ = [
    "DEFAULT_PHONE_REGION",
    "INDEX_VERSION",
    "SubjectKind",
    "legacy_phone_digest",
    "legacy_phone_term",
    "normalize_term",
    "subject_digest",
    "subject_digests",
]

SubjectKind = Literal["email", "phone", "name"]

INDEX_VERSION: Final = 2
"""The normalization the digests follow: 1, phones as French national digits; 2, phones in E.164."""
DEFAULT_PHONE_REGION: Final = "FR"
"""How a number written without a country code is read."""
_SAME_NUMBERING_PLAN: Final = ("GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")
"""Overseas departments and collectivities dialled like France (``0590…``, ``0692…``): a
national number that is not a valid metropolitan one is tried in these, in this order."""


def normalize_term(kind: SubjectKind, value: str) -> str | None:
    """The canonical form of ``value``, or ``None`` when nothing searchable is left.

    * e-mail: trimmed, lower-cased;
    * phone: E.164 (``+33 (0)6 12…``, ``06 12…``, ``0033 6…`` → ``+33612…``; ``0262…`` → ``+262262…``);
      a value ``phonenumbers`` cannot read as a possible number: its digits, as index version 1 did;
    * name: accents, case, punctuation and word order removed (``Dupont, Jean-Éric`` ≡ ``jean eric dupont``).
    """
    if kind == "email":
        text = value.strip().lower()
        return text if "@" in text else None
    if kind == "phone":
        return _e164(value) or legacy_phone_term(value)
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    words = sorted(re.findall(r"[a-z0-9]+", folded))
    # Civilities are not part of anyone's name.
    words = [w for w in words if w not in {"m", "mme", "mlle", "mr", "mrs", "monsieur", "madame", "dr"}]
    return " ".join(words) or None


def legacy_phone_term(value: str) -> str | None:
    """A phone as index version 1 normalized it: digits only, French national form
    (``+33 6 12…`` and ``0033…`` → ``0612…``). Kept for values E.164 cannot express, and
    to recognize the digests an older index and its legal holds hold."""
    digits = re.sub(r"\D", "", value)
    if value.strip().startswith("+") and digits.startswith("33"):
        digits = "0" + digits[2:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    return digits if len(digits) >= 6 else None


def _e164(value: str) -> str | None:
    number = _parsed(value, DEFAULT_PHONE_REGION)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    international = value.strip().startswith(("+", "00"))
    if not international and DEFAULT_PHONE_REGION == "FR" and not phonenumbers.is_valid_number(number):
        for region in _SAME_NUMBERING_PLAN:
            overseas = _parsed(value, region)
            if overseas is not None and phonenumbers.is_valid_number(overseas):
                number = overseas
                break
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parsed(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None


def subject_digest(index_key: bytes, kind: SubjectKind, value: str) -> str | None:
    term = normalize_term(kind, value)
    return None if term is None else _keyed(index_key, kind, term)


def legacy_phone_digest(index_key: bytes, value: str) -> str | None:
    """The digest index version 1 stored for this phone."""
    term = legacy_phone_term(value)
    return None if term is None else _keyed(index_key, "phone", term)


def _keyed(index_key: bytes, kind: SubjectKind, term: str) -> str:
    return hmac.new(index_key, f"{kind}:{term}".encode(), hashlib.sha256).hexdigest()


def subject_digests(index_key: bytes, terms: Iterable[tuple[SubjectKind, str]]) -> set[tuple[str, str]]:
    """(kind, digest) for every term that normalizes to something searchable."""
    found: set[tuple[str, str]] = set()
    for kind, value in terms:
        digest = subject_digest(index_key, kind, value)
        if digest is not None:
            found.add((kind, digest))
    return found
