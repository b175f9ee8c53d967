"""What replaces personal data: typed placeholders, keyed-HMAC pseudonyms, masks.

* a **placeholder** (``<PERSONNE_1>``) is numbered within one report: the same value
  gets the same number, the next value the next one;
* a **pseudonym** (``<PERSONNE_K7Q2M4XD>``) is an HMAC-SHA256 of the normalized value
  under the caller's key: the same person has the same pseudonym in every report, and
  nobody without the key can link or reverse it;
* a **mask** keeps the part of a value that helps a reader (``06 •• •• •• 78``,
  ``•••• •••• •••• 1234``) for the types where that makes sense.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Final

from anonymization.entities import ENTITY_LABELS
from anonymization.errors import PseudonymKeyError
from anonymization.text import fold
from storage.blind_index import normalize_term

__all__ = [
    "MASKABLE_TYPES",
    "MIN_KEY_BYTES",
    "PLACEHOLDER",
    "mask",
    "normalized_value",
    "placeholder",
    "pseudonym",
]

MIN_KEY_BYTES: Final = 16
MASK: Final = "•"
PLACEHOLDER: Final = re.compile(r"<[A-ZÀ-Ý_]+_[0-9A-Z]+>")
"""What a placeholder or pseudonym looks like in redacted text."""
MASKABLE_TYPES: Final = frozenset({"PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "EMAIL_ADDRESS"})


def normalized_value(entity_type: str, value: str) -> str:
    """The form under which two writings of one value are the same (``06 12…`` ≡ ``+33 6 12…``)."""
    if entity_type == "PHONE_NUMBER":
        return normalize_term("phone", value) or value
    if entity_type == "EMAIL_ADDRESS":
        return re.sub(
            r"\s*[\[(]\s*(?:at|arobase)\s*[\])]\s*|\s+(?:at|arobase)\s+", "@", value.strip().lower()
        )
    if entity_type in {"PERSON", "ORGANIZATION"}:
        return normalize_term("name", value) or value.casefold()
    return re.sub(r"[\W_]+", "", fold(value)).upper() or value


def placeholder(entity_type: str, number: int) -> str:
    """``<PERSONNE_1>``."""
    return f"<{ENTITY_LABELS.get(entity_type, entity_type)}_{number}>"


def pseudonym(key: bytes, entity_type: str, value: str) -> str:
    """``<PERSONNE_K7Q2M4XD>``: stable for one key, different under another, irreversible without it.

    Raises:
        PseudonymKeyError: the key is shorter than :data:`MIN_KEY_BYTES`.
    """
    check_key(key)
    digest = hmac.new(
        key, f"{entity_type}:{normalized_value(entity_type, value)}".encode(), hashlib.sha256
    ).digest()
    token = base64.b32encode(digest[:5]).decode("ascii")
    return f"<{ENTITY_LABELS.get(entity_type, entity_type)}_{token}>"


def check_key(key: bytes) -> None:
    """Raise :class:`PseudonymKeyError` unless ``key`` is bytes of at least :data:`MIN_KEY_BYTES`."""
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"the pseudonym key must be at least {MIN_KEY_BYTES} random bytes "
            "(pass the installation's index key)"
        )


def mask(entity_type: str, value: str) -> str | None:
    """A partial view of ``value``, or ``None`` when its type has none worth showing.

    Separators are kept so the value keeps its shape: ``06 12 34 56 78`` → ``06 •• •• •• 78``.
    """
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}{MASK * 3}@{domain}"
    keep = {"PHONE_NUMBER": (2, 2), "IBAN_CODE": (4, 3), "CREDIT_CARD": (0, 4)}.get(entity_type)
    if keep is None:
        return None
    head, tail = keep
    if entity_type == "PHONE_NUMBER" and value.lstrip().startswith(("+", "00")):
        digits_before = len(re.match(r"\D*(?:00|\+)?\s*33\D*(?:\(0\)\D*)?", value).group())  # type: ignore[union-attr]
        prefix, rest = value[:digits_before], value[digits_before:]
        return prefix + _mask_alnum(rest, 1, tail)
    return _mask_alnum(value, head, tail)


def _mask_alnum(value: str, head: int, tail: int) -> str:
    total = sum(c.isalnum() for c in value)
    seen = 0
    out = []
    for char in value:
        if char.isalnum():
            out.append(char if seen < head or seen >= total - tail else MASK)
            seen += 1
        else:
            out.append(char)
    return "".join(out)
