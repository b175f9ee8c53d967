"""What replaces personal data: typed placeholders, keyed-HMAC pseudonyms, masks.

* a **placeholder** (``<PERSONNE_1>``) is numbered within one report: the same value
  gets the same number, the next value the next one;
* a **pseudonym** (``<PERSONNE_K7Q2M4XD>``) is an HMAC-SHA256 of the normalized value
  under the caller's key: the same person has the same pseudonym in every report, and
  nobody without the key can link or reverse it;
* a **mask** keeps the part of a value that helps a reader (``06 •• •• •• 78``,
  ``•••• •••• •••• 1234``) for the types where that makes sense.

Each is a presidio-anonymizer :class:`~presidio_anonymizer.operators.Operator`
(:class:`PlaceholderOperator`, :class:`KeyedPseudonymOperator`, :class:`MaskOperator`),
applied by Presidio's ``AnonymizerEngine`` through :class:`TextReplacer`. Which number
a value gets is the report's business (its ledger, in reading order), not Presidio's:
the operators receive it in the ``values`` parameter (:class:`NumberedValues`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, Final, Protocol

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig, RecognizerResult
from presidio_anonymizer.operators import Operator, OperatorType

from anonymization.entities import ENTITY_LABELS
from anonymization.errors import AnonymizationError, PseudonymKeyError
from anonymization.text import fold
from storage.blind_index import normalize_term

__all__ = [
    "MASKABLE_TYPES",
    "MIN_KEY_BYTES",
    "PLACEHOLDER",
    "KeyedPseudonymOperator",
    "MaskOperator",
    "NumberedValue",
    "NumberedValues",
    "PlaceholderOperator",
    "TextReplacer",
    "keyed_pseudonym_operator",
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


# --------------------------------------------------------------------------- presidio-anonymizer


class NumberedValue(Protocol):
    """What the report's ledger decided for one value (``redaction._Entry`` is one)."""

    @property
    def type(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def value(self) -> str:
        """The first writing of the value in the report: pseudonyms are computed from it."""
        ...


class NumberedValues:
    """The ``values`` parameter of the operators: each (type, value) of one text → its ledger entry.

    Presidio shows an ``OperatorConfig``'s parameters in its ``repr``; this one names no value.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[tuple[str, str], NumberedValue]) -> None:
        self._entries = entries

    def entry(self, entity_type: str, value: str) -> NumberedValue:
        """The ledger entry of ``value``; an :class:`AnonymizationError` (naming only the type) if none."""
        try:
            return self._entries[(entity_type, value)]
        except KeyError:
            raise AnonymizationError(
                f"a {entity_type} value reached an operator without a ledger entry"
            ) from None

    def __repr__(self) -> str:
        return f"<NumberedValues: {len(self._entries)} values>"


VALUES: Final = "values"
"""Operator parameter: the :class:`NumberedValues` of the text."""
UNMASKABLE: Final = "unmaskable"
"""Parameter of :class:`MaskOperator`: the operator for values :func:`mask` has no view of."""


def _entry(params: dict[str, Any] | None, text: str) -> NumberedValue:
    assert params is not None  # Presidio always passes them (with "entity_type")
    values: NumberedValues = params[VALUES]
    return values.entry(params["entity_type"], text)


def _check_values(params: dict[str, Any] | None) -> None:
    if not params or not isinstance(params.get(VALUES), NumberedValues):
        raise AnonymizationError(f"a quitus operator needs its {VALUES!r} parameter (NumberedValues)")


class PlaceholderOperator(Operator):
    """``<PERSONNE_1>``: the value's number in the report."""

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        entry = _entry(params, text)
        return placeholder(entry.type, entry.number)

    def validate(self, params: dict[str, Any] | None = None) -> None:
        _check_values(params)

    def operator_name(self) -> str:
        return "quitus_placeholder"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


class KeyedPseudonymOperator(Operator):
    """``<PERSONNE_K7Q2M4XD>``: the keyed HMAC of the value's first writing in the report.

    Use a subclass bound to a key by :func:`keyed_pseudonym_operator`. The key is a class
    attribute, never an operator parameter: Presidio may log an ``OperatorConfig``, and its
    ``repr`` shows the parameters.
    """

    key: ClassVar[bytes | None] = None

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        entry = _entry(params, text)
        assert self.key is not None  # validate() ran first
        return pseudonym(self.key, entry.type, entry.value)

    def validate(self, params: dict[str, Any] | None = None) -> None:
        _check_values(params)
        if self.key is None:
            raise PseudonymKeyError("use keyed_pseudonym_operator(key): this operator has no key")

    def operator_name(self) -> str:
        return "quitus_keyed_pseudonym"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key=<{'set' if self.key else 'none'}>)"


def keyed_pseudonym_operator(key: bytes) -> type[KeyedPseudonymOperator]:
    """A :class:`KeyedPseudonymOperator` bound to ``key``, for one ``AnonymizerEngine``.

    Raises:
        PseudonymKeyError: the key is shorter than :data:`MIN_KEY_BYTES`.
    """
    check_key(key)
    return type("BoundKeyedPseudonymOperator", (KeyedPseudonymOperator,), {"key": key})


class MaskOperator(Operator):
    """``06 •• •• •• 78``; a value :func:`mask` has no view of (``jean arobase…``) gets the
    ``unmaskable`` operator instead (the placeholder or the pseudonym)."""

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        assert params is not None
        masked = mask(params["entity_type"], text)
        if masked is not None:
            return masked
        unmaskable: Operator = params[UNMASKABLE]
        return unmaskable.operate(text, params)

    def validate(self, params: dict[str, Any] | None = None) -> None:
        _check_values(params)
        unmaskable = params.get(UNMASKABLE) if params else None
        if not isinstance(unmaskable, PlaceholderOperator | KeyedPseudonymOperator):
            raise AnonymizationError(f"the mask operator needs its {UNMASKABLE!r} operator")
        unmaskable.validate(params)

    def operator_name(self) -> str:
        return "quitus_mask"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


class TextReplacer:
    """Replaces the entities of a text through presidio-anonymizer's ``AnonymizerEngine``.

    Args:
        pseudonym_key: show keyed pseudonyms (else placeholders).
        masked_types: entity types shown by :class:`MaskOperator`.

    The entities given to :meth:`replace` never overlap (the engine's
    :func:`~anonymization.resolution.settle_overlaps` made them so): Presidio's conflict
    handling merges same-type overlaps and drops contained spans, where ours ranks by type
    (checksums first) and keeps what the loser does not share, so it must have nothing to
    do. Its merging of same-type entities separated by spaces is turned off: ``<PERSONNE_1>
    <PERSONNE_2>`` are two people.
    """

    def __init__(self, *, pseudonym_key: bytes | None = None, masked_types: Collection[str] = ()) -> None:
        self._engine = AnonymizerEngine()  # type: ignore[no-untyped-call]  # presidio-anonymizer is untyped here
        shown: Operator = PlaceholderOperator()
        self._engine.add_anonymizer(PlaceholderOperator)
        if pseudonym_key is not None:
            bound = keyed_pseudonym_operator(pseudonym_key)
            self._engine.add_anonymizer(bound)
            shown = bound()
        self._engine.add_anonymizer(MaskOperator)
        self._shown = shown
        self._masked_types = frozenset(masked_types)

    def replace(self, text: str, entities: Sequence[RecognizerResult], entries: NumberedValues) -> str:
        """``text`` with each of ``entities`` (sorted, not overlapping) replaced."""
        if not entities:
            return text
        for before, after in itertools.pairwise(entities):
            if after.start < before.end:
                raise ValueError("entities to replace must be sorted and must not overlap (settle_overlaps)")
        shown = OperatorConfig(self._shown.operator_name(), {VALUES: entries})
        operators = {"DEFAULT": shown} | {
            entity_type: OperatorConfig("quitus_mask", {VALUES: entries, UNMASKABLE: self._shown})
            for entity_type in self._masked_types
        }
        result = self._engine.anonymize(
            text,
            list(entities),
            operators,
            conflict_resolution=ConflictResolutionStrategy.MERGE_SIMILAR_OR_CONTAINED,
            merge_entities_with_spaces=False,
        )
        return result.text
