"""Redacting whole reports: structured personal fields deterministically, free text with the engine.

The schema says which fields hold personal data (:func:`reports.schema.personal_data_fields`):

* ``identity``, ``contact`` and ``location`` fields are replaced as they are, without
  any NLP: a client's name is a person whatever the model thinks of it;
* ``free_text`` fields go through the :class:`~anonymization.engine.PiiEngine`, all
  the free text of all the reports in one pass. The report's own structured values
  are also looked for in its free text (``M. Leroy`` when the client is *Jeanne
  Leroy*), and its own technical values (serial number, part references) are protected;
* ``image`` and ``signature`` attachments are kept as they are: the caller decides.

Within one report a value always gets the same placeholder, in structured fields and
free text alike. The ledger of the report numbers the values; the replacement itself is
done by presidio-anonymizer's ``AnonymizerEngine`` with quitus's operators
(:class:`~anonymization.operators.TextReplacer`). With a pseudonym key, each placeholder also has a keyed-HMAC
pseudonym that is the same in every report.

A data subject's copy of their reports (GDPR Art. 15) redacts only *other* people:
with :class:`KeptFields`, the reader's own fields stay as they are, and so do their
values where free text mentions them (``M. Leroy`` when the reader is *Jeanne Leroy*);
every other person the engine finds in free text is redacted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from presidio_anonymizer.entities import RecognizerResult
from pydantic import BaseModel

from anonymization.engine import PiiEngine
from anonymization.entities import Entity
from anonymization.errors import INTERNAL_FAILURES, AnonymizationError, DetectionFailedError
from anonymization.operators import (
    MASKABLE_TYPES,
    NumberedValues,
    TextReplacer,
    check_key,
    normalized_value,
    placeholder,
    pseudonym,
)
from anonymization.resolution import settle_overlaps
from anonymization.text import fold, tokenize
from reports.schema import Attachment, InterventionReport, PersonalDataCategory, personal_data_fields

__all__ = ["KeptFields", "RedactedReport", "Redaction", "ReportRedactor"]

Style = Literal["placeholder", "pseudonym"]


@dataclass(frozen=True)
class Redaction:
    """One replaced value of a report, described without the value itself."""

    placeholder: str
    """``<PERSONNE_1>``: what the redacted text shows (unless masked or pseudonymized)."""
    type: str
    """Entity type, e.g. ``PERSON``."""
    occurrences: int
    """How many times the value was replaced in the report."""
    fields: tuple[str, ...]
    """Field paths where it was replaced (``client.name``, ``observations``…)."""
    structured: bool
    """Whether the value came from a structured field (else only from free text)."""
    pseudonym: str | None = None
    """Keyed-HMAC pseudonym, when the redactor has a key: the same in every report."""
    masked: bool = False
    """Whether the text shows a partial mask instead of the placeholder."""


@dataclass(frozen=True)
class RedactedReport:
    """A report with its personal data replaced, and what was replaced."""

    report: InterventionReport
    """The redacted copy. Built without re-validation: placeholders are not phone numbers
    or e-mail addresses. Meant for rendering and display, not for capture."""
    redactions: tuple[Redaction, ...]
    """Every replaced value, in order of first appearance; no original value in it."""


@dataclass(frozen=True)
class KeptFields:
    """What a redaction of one report leaves as it is: its reader's own data (Art. 15)."""

    own: tuple[str, ...] = ()
    """Field paths or prefixes (``client``: the whole block; ``client_signature.signer_name``)
    holding the reader's own data: kept in their fields and wherever free text mentions them."""
    other_structured: bool = False
    """Whether the other structured fields stay too (a technician's name on the client's
    own report); their values are still redacted where free text mentions them."""

    def owns(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + ".") for prefix in self.own)


@dataclass
class _Leaf:
    path: str
    category: PersonalDataCategory
    value: str
    field_name: str
    group: int
    """Leaves of one nested model (one address) share a group number."""


@dataclass
class _Entry:
    type: str
    number: int
    value: str
    occurrences: int = 0
    fields: list[str] = field(default_factory=list)
    structured: bool = False


class _ReportLedger:
    """Placeholder numbers of one report: one per (type, normalized value)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], _Entry] = {}
        self.counts: dict[str, int] = {}

    def key_for(self, entity_type: str, value: str) -> tuple[str, str]:
        normalized = normalized_value(entity_type, value)
        key = (entity_type, normalized)
        if key in self.entries or len(normalized) < 3:
            return key
        # A short mention of a known value takes its entry: "Leroy" → "Jeanne Leroy".
        for (known_type, known), _entry in self.entries.items():
            if known_type == entity_type and _mentions(known, normalized, entity_type):
                return (known_type, known)
        return key

    def use(
        self, entity_type: str, value: str, path: str, *, structured: bool, key: tuple[str, str] | None = None
    ) -> _Entry:
        key = key or self.key_for(entity_type, value)
        entry = self.entries.get(key)
        if entry is None:
            self.counts[entity_type] = self.counts.get(entity_type, 0) + 1
            entry = self.entries[key] = _Entry(entity_type, self.counts[entity_type], value)
        entry.occurrences += 1
        entry.structured = entry.structured or structured
        if path not in entry.fields:
            entry.fields.append(path)
        return entry


def _mentions(known: str, short: str, entity_type: str) -> bool:
    if entity_type in {"PERSON", "ORGANIZATION"}:
        return set(short.split()) <= set(known.split())
    return short in known


class ReportRedactor:
    """Redacts reports and texts with one :class:`PiiEngine`.

    Args:
        engine: the detection engine (load it once per process).
        pseudonym_key: with a key (at least 16 bytes; the installation's index key),
            every replaced value also gets a keyed-HMAC pseudonym, and texts show it.
        style: what texts show: ``placeholder`` (``<PERSONNE_1>``) or ``pseudonym``;
            default: ``pseudonym`` with a key, ``placeholder`` without.
        masked_types: entity types shown as a partial mask instead (among
            ``PHONE_NUMBER``, ``IBAN_CODE``, ``CREDIT_CARD``, ``EMAIL_ADDRESS``).
    """

    def __init__(
        self,
        engine: PiiEngine,
        *,
        pseudonym_key: bytes | None = None,
        style: Style | None = None,
        masked_types: Collection[str] = (),
    ) -> None:
        if pseudonym_key is not None:
            check_key(pseudonym_key)
        if style == "pseudonym" and pseudonym_key is None:
            raise ValueError("style='pseudonym' needs a pseudonym_key")
        unknown = set(masked_types) - MASKABLE_TYPES
        if unknown:
            raise ValueError(f"cannot mask {sorted(unknown)}; maskable types: {sorted(MASKABLE_TYPES)}")
        self.engine = engine
        self._key = pseudonym_key
        self.style: Style = style or ("pseudonym" if pseudonym_key is not None else "placeholder")
        self.masked_types = frozenset(masked_types)
        self._replacer = TextReplacer(
            pseudonym_key=pseudonym_key if self.style == "pseudonym" else None, masked_types=self.masked_types
        )

    def redact_text(self, text: str) -> str:
        """``text`` with its personal data replaced (placeholders numbered within this text)."""
        ledger = _ReportLedger()
        return self._replace(text, self.engine.detect(text), ledger, "text")

    def redact_reports(
        self, reports: Sequence[InterventionReport], *, kept: Sequence[KeptFields] | None = None
    ) -> list[RedactedReport]:
        """Every report redacted; all their free text goes through the engine in one pass.

        ``kept``: per report, the reader's own data, left as it is (see :class:`KeptFields`).
        """
        if kept is not None and len(kept) != len(reports):
            raise ValueError("kept must give one KeptFields per report")
        marked = personal_data_fields(InterventionReport)
        leaves = [list(_leaves(report, marked)) for report in reports]
        texts: list[str] = []
        keeps: list[list[str]] = []
        owners: list[tuple[int, int]] = []
        for number, (report, report_leaves) in enumerate(zip(reports, leaves, strict=True)):
            technical = _technical_values(report)
            for index, leaf in enumerate(report_leaves):
                if leaf.category == "free_text":
                    texts.append(leaf.value)
                    keeps.append(technical)
                    owners.append((number, index))
        try:
            detected = self.engine.detect_many(texts, keep=keeps)
        except AnonymizationError:
            raise
        except INTERNAL_FAILURES as exc:
            # `from None`: the failure's own message may quote the text being analysed.
            raise DetectionFailedError(
                f"the personal-data analysis of {len(reports)} report(s) failed inside the model or a "
                f"recognizer ({type(exc).__name__}); no text is quoted"
            ) from None
        found: dict[tuple[int, int], list[Entity]] = dict(zip(owners, detected, strict=True))
        results = []
        for number, (report, report_leaves) in enumerate(zip(reports, leaves, strict=True)):
            results.append(
                self._redact_one(
                    report,
                    report_leaves,
                    marked,
                    {i: found[(number, i)] for n, i in owners if n == number},
                    kept[number] if kept is not None else KeptFields(),
                )
            )
        return results

    def _redact_one(
        self,
        report: InterventionReport,
        leaves: list[_Leaf],
        marked: Mapping[str, PersonalDataCategory],
        found: Mapping[int, list[Entity]],
        kept: KeptFields,
    ) -> RedactedReport:
        ledger = _ReportLedger()
        replaced: dict[int, str] = {}
        structured = [
            (i, leaf) for i, leaf in enumerate(leaves) if leaf.category in {"identity", "contact", "location"}
        ]
        group_keys: dict[int, tuple[str, str]] = {}
        own: list[tuple[str, str]] = []
        shown: list[tuple[str, str]] = []
        for index, leaf in structured:
            entity_type = _structured_type(leaf)
            whole = " ".join(other.value for _, other in structured if other.group == leaf.group)
            if kept.owns(leaf.path) or kept.other_structured:
                values = own if kept.owns(leaf.path) else shown
                values.append((entity_type, leaf.value))
                if entity_type == "ADDRESS":
                    values.append(("ADDRESS", whole))
                continue
            key = None
            if entity_type == "ADDRESS":
                key = group_keys.setdefault(leaf.group, ledger.key_for("ADDRESS", whole))
            entry = ledger.use(entity_type, leaf.value, leaf.path, structured=True, key=key)
            whole_field = RecognizerResult(entity_type, 0, len(leaf.value), 1.0)
            replaced[index] = self._replacer.replace(
                leaf.value, [whole_field], NumberedValues({(entity_type, leaf.value): entry})
            )
        known = [(entry.type, entry.value) for entry in ledger.entries.values()] + shown
        for index, leaf in enumerate(leaves):
            if leaf.category == "free_text":
                entities = settle_overlaps(
                    leaf.value, [*found.get(index, []), *_mentions_of(leaf.value, known)]
                )
                if own:
                    entities = _others_than(leaf.value, entities, own)
                replaced[index] = self._replace(leaf.value, entities, ledger, leaf.path)
        redacted = _rebuild(report, marked, replaced)
        return RedactedReport(redacted, tuple(self._describe(entry) for entry in ledger.entries.values()))

    def _replace(self, text: str, entities: Sequence[Entity], ledger: _ReportLedger, path: str) -> str:
        ordered = sorted(entities)
        if not ordered:
            return text
        # Numbered here, in reading order: Presidio applies the operators from the end of the text.
        entries: dict[tuple[str, str], _Entry] = {}
        for entity in ordered:
            value = text[entity.start : entity.end]
            entry = ledger.use(entity.type, value, path, structured=False)
            # The ledger gives one (type, value) the same entry every time: the operators look it up so.
            known = entries.setdefault((entity.type, value), entry)
            assert known is entry
        results = [RecognizerResult(e.type, e.start, e.end, e.score) for e in ordered]
        return self._replacer.replace(text, results, NumberedValues(entries))

    def _describe(self, entry: _Entry) -> Redaction:
        return Redaction(
            placeholder=placeholder(entry.type, entry.number),
            type=entry.type,
            occurrences=entry.occurrences,
            fields=tuple(entry.fields),
            structured=entry.structured,
            pseudonym=pseudonym(self._key, entry.type, entry.value) if self._key is not None else None,
            masked=entry.type in self.masked_types,
        )


def _structured_type(leaf: _Leaf) -> str:
    if leaf.category == "identity":
        return "ORGANIZATION" if leaf.field_name == "company_name" else "PERSON"
    if leaf.category == "contact":
        return "EMAIL_ADDRESS" if leaf.field_name == "email" else "PHONE_NUMBER"
    return "LOCATION" if leaf.field_name == "name" else "ADDRESS"


def _mentions_of(text: str, known: list[tuple[str, str]]) -> list[Entity]:
    """Where the report's own structured values appear in ``text`` (names also by each word)."""
    found = []
    folded = text.casefold()
    for entity_type, value in known:
        needles = {value}
        if entity_type == "PERSON":
            needles |= {w.text for w in tokenize(value) if len(w.text) >= 3 and w.text[:1].isupper()}
        for needle in needles:
            start = folded.find(needle.casefold())
            while start != -1 and needle:
                end = start + len(needle)
                if (start == 0 or not text[start - 1].isalnum()) and (
                    end == len(text) or not text[end].isalnum()
                ):
                    found.append(Entity(start, end, entity_type, 0.99))
                start = folded.find(needle.casefold(), end)
    return found


_FAMILIES: Mapping[str, str] = {
    "PERSON": "name",
    "ORGANIZATION": "name",
    "ADDRESS": "place",
    "LOCATION": "place",
}
"""Types one value may be detected as: a client's name may be read as a company, a city as a place."""


def _others_than(text: str, entities: Sequence[Entity], own: Sequence[tuple[str, str]]) -> list[Entity]:
    """``entities`` but those that are the reader's own values (``own``: type, value)."""
    spans = _mentions_of(text, list(own))
    return [
        entity
        for entity in entities
        if not any(s.start <= entity.start and entity.end <= s.end for s in spans)
        and not any(_is_value(text[entity.start : entity.end], entity.type, t, v) for t, v in own)
    ]


def _is_value(found: str, found_type: str, own_type: str, own_value: str) -> bool:
    """Whether ``found`` (detected as ``found_type``) is ``own_value``, or part of it."""
    family = _FAMILIES.get(found_type, found_type)
    if family != _FAMILIES.get(own_type, own_type):
        return False
    if family == "name":
        words = set(normalized_value("PERSON", found).split())
        return bool(words) and words <= set(normalized_value("PERSON", own_value).split())
    if family == "place":
        words = _place_words(found)
        return bool(words) and words <= _place_words(own_value)
    return normalized_value(found_type, found) == normalized_value(own_type, own_value)


_LINKING_WORDS = frozenset({"a", "au", "aux", "chez", "d", "de", "des", "du", "en", "l", "la", "le", "les"})


def _place_words(value: str) -> set[str]:
    """The words of an address or place, but those that only link them (``12 rue X à Lyon``)."""
    return set(re.findall(r"[a-z0-9]+", fold(value))) - _LINKING_WORDS


def _technical_values(report: InterventionReport) -> list[str]:
    equipment = report.equipment
    values = [equipment.brand, equipment.model, equipment.serial_number or ""]
    parts = list(report.parts) + (
        list(report.outcome.reschedule.parts_to_order) if report.outcome.reschedule else []
    )
    values += [part.reference for part in parts] + [part.label for part in parts]
    values += list(report.selections.values())
    return [v for v in values if v]


def _walk(
    model: BaseModel,
    prefix: str,
    inherited: PersonalDataCategory | None,
    marked: Mapping[str, PersonalDataCategory],
) -> Iterator[tuple[str, PersonalDataCategory | None, str, Any, int]]:
    """(path, category, field name, value, model id) for every string leaf, in a fixed order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        category = marked.get(path, inherited)
        yield from _walk_value(value, path, name, category, marked, id(model))


def _walk_value(
    value: Any,
    path: str,
    name: str,
    category: PersonalDataCategory | None,
    marked: Mapping[str, PersonalDataCategory],
    owner: int,
) -> Iterator[tuple[str, PersonalDataCategory | None, str, Any, int]]:
    if isinstance(value, Attachment):
        return
    if isinstance(value, BaseModel):
        yield from _walk(value, f"{path}.", category, marked)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_value(item, f"{path}[]", name, category, marked, owner)
    elif isinstance(value, str):
        yield path, category, name, value, owner


def _replaceable(category: PersonalDataCategory | None, name: str) -> bool:
    # An address's ISO country code ("FR") says nothing about anyone.
    return category is not None and category not in {"image", "signature"} and name != "country"


def _leaves(report: InterventionReport, marked: Mapping[str, PersonalDataCategory]) -> Iterator[_Leaf]:
    groups: dict[int, int] = {}
    for path, category, name, value, owner in _walk(report, "", None, marked):
        if category is not None and _replaceable(category, name):
            yield _Leaf(path, category, value, name, groups.setdefault(owner, len(groups)))


def _rebuild(
    report: InterventionReport, marked: Mapping[str, PersonalDataCategory], replaced: Mapping[int, str]
) -> InterventionReport:
    """A copy of ``report`` whose personal string leaves (numbered as :func:`_leaves` does) are replaced."""
    counter = iter(range(1_000_000))

    def rebuild_model(model: BaseModel, prefix: str, inherited: PersonalDataCategory | None) -> BaseModel:
        updates = {}
        for name in type(model).model_fields:
            value = getattr(model, name)
            path = f"{prefix}{name}"
            new = rebuild_value(value, path, marked.get(path, inherited))
            if new is not value:
                updates[name] = new
        return model.model_copy(update=updates) if updates else model

    def rebuild_value(value: Any, path: str, category: PersonalDataCategory | None) -> Any:
        if isinstance(value, Attachment):
            return value
        if isinstance(value, BaseModel):
            return rebuild_model(value, f"{path}.", category)
        if isinstance(value, list):
            items = [rebuild_value(item, f"{path}[]", category) for item in value]
            return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
        if isinstance(value, str) and _replaceable(category, path.rsplit(".", 1)[-1].removesuffix("[]")):
            return replaced.get(next(counter), value)
        return value

    rebuilt = rebuild_model(report, "", None)
    assert isinstance(rebuilt, InterventionReport)
    return rebuilt
