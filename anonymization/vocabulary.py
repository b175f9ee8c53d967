"""The technical vocabulary: words and shapes that are never personal data.

It comes from three places, merged by :func:`load_vocabulary`:

* the built-in list ``technical_vocabulary.yaml`` (brands, product lines, units,
  reference markers);
* the installation's templates: measurement units, dropdown answers (refrigerants
  such as R32 or R410A, fuel types…) and the words of checklist and measurement labels;
* the caller's files: YAML of the same shape as the built-in list, or plain text with
  one term per line (``#`` starts a comment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from anonymization.errors import VocabularyError
from anonymization.text import fold
from reports.templates import TemplateCatalog
from reports.templates.yaml_source import YamlSourceError, load_yaml_document, located_errors

__all__ = ["BUILTIN_VOCABULARY", "TechnicalVocabulary", "load_vocabulary", "read_vocabulary_file"]

BUILTIN_VOCABULARY = Path(__file__).parent / "technical_vocabulary.yaml"

_Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brands: list[_Term] = Field(default_factory=list)
    terms: list[_Term] = Field(default_factory=list)
    units: list[_Term] = Field(default_factory=list)
    markers: list[_Term] = Field(default_factory=list)
    equipment: list[_Term] = Field(default_factory=list)


_KNOWN_KEYS_HINT = f" (known keys: {', '.join(_VocabularyFile.model_fields)})"


@dataclass(frozen=True)
class TechnicalVocabulary:
    """What the technical guard protects. Build it with :func:`load_vocabulary`."""

    brands: frozenset[str] = frozenset()
    """Manufacturers; the model name written after one is protected too."""
    terms: frozenset[str] = frozenset()
    """Product lines, dropdown answers, trade acronyms: kept wherever they appear."""
    units: frozenset[str] = frozenset()
    """Measurement units: a number followed by one is a measurement."""
    markers: frozenset[str] = frozenset()
    """Words that introduce a reference (``réf.``, ``n° de série``, ``contrat``): what follows is kept."""
    equipment: frozenset[str] = frozenset()
    """Nouns for equipment (``chaudière``, ``PAC``): a capitalized word right after one is a brand."""
    label_words: frozenset[str] = frozenset()
    """Folded words of template labels (``sonde``, ``circulateur``): never a name or a place on their own."""
    _folded_terms: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded_terms", frozenset(fold(t) for t in self.brands | self.terms))

    def is_term(self, text: str) -> bool:
        """Whether ``text`` is a brand or term of the vocabulary (case and accents ignored)."""
        return fold(text) in self._folded_terms

    def is_technical_word(self, word: str) -> bool:
        """Whether a single word is technical: a term, a unit or a template label word."""
        folded = fold(word)
        return folded in self._folded_terms or folded in self.label_words or word in self.units

    def merged(self, other: TechnicalVocabulary) -> TechnicalVocabulary:
        """Both vocabularies together."""
        return TechnicalVocabulary(
            brands=self.brands | other.brands,
            terms=self.terms | other.terms,
            units=self.units | other.units,
            markers=self.markers | other.markers,
            equipment=self.equipment | other.equipment,
            label_words=self.label_words | other.label_words,
        )

    def with_terms(self, terms: Iterable[str]) -> TechnicalVocabulary:
        """This vocabulary plus ``terms``."""
        return replace(self, terms=self.terms | {t.strip() for t in terms if t.strip()})


def read_vocabulary_file(path: Path) -> TechnicalVocabulary:
    """One vocabulary file: YAML (``.yaml``/``.yml``) or plain text (one term per line).

    Raises:
        VocabularyError: unreadable file, invalid YAML, unknown key, or a value of the
            wrong type; the message names the file and the line.
    """
    if path.suffix.lower() in {".yaml", ".yml"}:
        return _read_yaml(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise VocabularyError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise VocabularyError(f"{path}: cannot read ({exc.strerror})") from exc
    terms = set()
    for number, line in enumerate(lines, start=1):
        term = line.split("#", 1)[0].strip()
        if len(term) > 120:
            raise VocabularyError(f"{path}:{number}: a term is at most 120 characters; split the line")
        if term:
            terms.add(term)
    return TechnicalVocabulary(terms=frozenset(terms))


def _read_yaml(path: Path) -> TechnicalVocabulary:
    try:
        document = load_yaml_document(path)
    except YamlSourceError as exc:
        raise VocabularyError(str(exc)) from exc
    try:
        parsed = _VocabularyFile.model_validate(document.data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        problems = [  # located_errors keeps the order of exc.errors(): a typo'd key gets the hint
            problem + (_KNOWN_KEYS_HINT if error["type"] == "extra_forbidden" else "")
            for problem, error in zip(located_errors(document, exc), errors, strict=True)
        ]
        raise VocabularyError("invalid vocabulary file:\n  " + "\n  ".join(problems)) from exc
    return TechnicalVocabulary(
        brands=frozenset(parsed.brands),
        terms=frozenset(parsed.terms),
        units=frozenset(parsed.units),
        markers=frozenset(parsed.markers),
        equipment=frozenset(parsed.equipment),
    )


def _from_templates(catalog: TemplateCatalog) -> TechnicalVocabulary:
    units: set[str] = set()
    terms: set[str] = set()
    label_words: set[str] = set()
    for template in catalog:
        labels = [template.title]
        labels += [item.label for item in template.checklist]
        labels += [measurement.label for measurement in template.measurements]
        labels += [selection.label for selection in template.selections]
        units.update(measurement.unit for measurement in template.measurements)
        for selection in template.selections:
            terms.update(selection.choices)
            labels += selection.choices
        for label in labels:
            label_words.update(w for w in re.findall(r"[^\W\d_]{4,}", fold(label)))
    return TechnicalVocabulary(
        terms=frozenset(terms), units=frozenset(units), label_words=frozenset(label_words)
    )


def load_vocabulary(catalog: TemplateCatalog, extra_files: Sequence[Path] = ()) -> TechnicalVocabulary:
    """The built-in vocabulary, the catalog's units, dropdown answers and label words, and ``extra_files``.

    Raises:
        VocabularyError: one of the files is unreadable or invalid (file and line named).
    """
    vocabulary = read_vocabulary_file(BUILTIN_VOCABULARY).merged(_from_templates(catalog))
    for path in extra_files:
        vocabulary = vocabulary.merged(read_vocabulary_file(path))
    return vocabulary
