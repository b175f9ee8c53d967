"""Blind index: find a person's reports without storing who they are.

A term (e-mail, phone, name) is normalized, then hashed with HMAC-SHA256 under the
index key. The database holds only the digests; a data-subject request computes the
digest of what the person gives and looks it up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

__all__ = ["SubjectKind", "normalize_term", "subject_digest", "subject_digests"]

SubjectKind = Literal["email", "phone", "name"]


def normalize_term(kind: SubjectKind, value: str) -> str | None:
    """The canonical form of ``value``, or ``None`` when nothing searchable is left.

    * e-mail: trimmed, lower-cased;
    * phone: digits only, French national form (``+33 6 12…`` and ``0033…`` → ``0612…``);
    * name: accents, case, punctuation and word order removed (``Dupont, Jean-Éric`` ≡ ``jean eric dupont``).
    """
    if kind == "email":
        text = value.strip().lower()
        return text if "@" in text else None
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if value.strip().startswith("+") and digits.startswith("33"):
            digits = "0" + digits[2:]
        elif digits.startswith("0033"):
            digits = "0" + digits[4:]
        return digits if len(digits) >= 6 else None
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    words = sorted(re.findall(r"[a-z0-9]+", folded))
    # Civilities are not part of anyone's name.
    words = [w for w in words if w not in {"m", "mme", "mlle", "mr", "mrs", "monsieur", "madame", "dr"}]
    return " ".join(words) or None


def subject_digest(index_key: bytes, kind: SubjectKind, value: str) -> str | None:
    term = normalize_term(kind, value)
    if term is None:
        return None
    return hmac.new(index_key, f"{kind}:{term}".encode(), hashlib.sha256).hexdigest()


def subject_digests(index_key: bytes, terms: Iterable[tuple[SubjectKind, str]]) -> set[tuple[str, str]]:
    """(kind, digest) for every term that normalizes to something searchable."""
    found: set[tuple[str, str]] = set()
    for kind, value in terms:
        digest = subject_digest(index_key, kind, value)
        if digest is not None:
            found.add((kind, digest))
    return found
