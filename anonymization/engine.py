"""The PII engine: Presidio's analyzer over French recognizers, the spaCy model run in batches.

One :class:`PiiEngine` per process is enough: the model is loaded once (module-level
cache) and the engine holds no per-call state. :meth:`PiiEngine.detect_many` runs the
model over all texts in one ``nlp.pipe`` pass, then hands each precomputed ``Doc`` to
``AnalyzerEngine.analyze(..., nlp_artifacts=...)``: the model never runs twice on a text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

from anonymization.entities import Entity
from anonymization.errors import TextInputError
from anonymization.guard import TechnicalGuard
from anonymization.nlp import MODEL_NAME, NerSpan, Segment, load_french_model, ner_windows, segments
from anonymization.recognizers import FrenchRecognizer, PresidioBridge, default_recognizers
from anonymization.recognizers.people import CIVILITIES, NOT_NAMES
from anonymization.resolution import (
    complete_names,
    extend_addresses,
    find_signing_names,
    merge_addresses,
    propagate_names,
    settle_overlaps,
)
from anonymization.text import fold
from anonymization.vocabulary import TechnicalVocabulary, load_vocabulary

__all__ = ["DEFAULT_THRESHOLD", "PiiEngine"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
DEFAULT_THRESHOLD: Final = 0.45
"""Detections scoring below this are dropped (context-less weak matches)."""


class PiiEngine:
    """Finds personal data in French free text; fully offline.

    Args:
        vocabulary: what must never be redacted; default: the built-in list and the
            built-in templates (:func:`~anonymization.vocabulary.load_vocabulary`).
        batch_size: texts per ``nlp.pipe`` batch.
        n_process: processes for ``nlp.pipe`` (1: this process only).
        nlp: a spaCy ``Language`` to use instead of the cached French model (tests
            inject a small one); it must have a ``ner`` component to find names.
        recognizers: the recognizers to run (default: :func:`default_recognizers`).
        threshold: detections scoring below it are dropped.
    """

    def __init__(
        self,
        vocabulary: TechnicalVocabulary | None = None,
        *,
        batch_size: int = 64,
        n_process: int = 1,
        nlp: Any = None,
        recognizers: Sequence[FrenchRecognizer] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if batch_size < 1 or n_process < 1:
            raise ValueError("batch_size and n_process must be 1 or more")
        if vocabulary is None:
            from reports.templates import TemplateCatalog  # noqa: PLC0415

            vocabulary = load_vocabulary(TemplateCatalog.load())
        self.vocabulary = vocabulary
        self.batch_size = batch_size
        self.n_process = n_process
        self.threshold = threshold
        self.nlp = nlp if nlp is not None else load_french_model()
        self.guard = TechnicalGuard(vocabulary)
        self._empty_doc = self.nlp.make_doc("")
        self._nlp_engine = SpacyNlpEngine(models=[{"lang_code": "fr", "model_name": MODEL_NAME}])
        # Set the model directly: SpacyNlpEngine.load() would download a missing model.
        self._nlp_engine.nlp = {"fr": self.nlp}  # type: ignore[assignment]  # typed None until load()
        registry = RecognizerRegistry(supported_languages=["fr"])
        for recognizer in recognizers if recognizers is not None else default_recognizers():
            registry.add_recognizer(PresidioBridge(recognizer))
        self.analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=self._nlp_engine,
            supported_languages=["fr"],
            default_score_threshold=0,
            context_aware_enhancer=_RecognizersOwnContext(),
        )

    def detect(self, text: str, *, keep: Iterable[str] = ()) -> list[Entity]:
        """The personal data in one text (see :meth:`detect_many`)."""
        return self.detect_many([text], keep=[list(keep)])[0]

    def detect_many(
        self, texts: Sequence[str], *, keep: Sequence[Iterable[str]] | None = None
    ) -> list[list[Entity]]:
        """The personal data in each text, in one pass of the model over all of them.

        Args:
            texts: the texts; empty ones give no entity, long ones are analysed in pieces.
            keep: per text, technical values to protect besides the vocabulary (a
                report's own serial number, part references…).

        Returns:
            For each text, its entities sorted by offset, never overlapping.

        Raises:
            TextInputError: an item of ``texts`` is not a string (its index is named).
        """
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TextInputError(f"text #{index} is a {type(text).__name__}, not a string")
        if keep is not None and len(keep) != len(texts):
            raise ValueError("keep must give one collection of values per text")
        kept_values = [list(values) for values in keep] if keep is not None else [[] for _ in texts]
        pieces = [
            piece for index, text in enumerate(texts) if text.strip() for piece in segments(index, text)
        ]
        windows = [
            (number, start, end)
            for number, piece in enumerate(pieces)
            for start, end in ner_windows(piece.text, self._explained)
        ]
        ner: list[list[NerSpan]] = [[] for _ in pieces]
        docs = self.nlp.pipe(
            (_encodable(pieces[number].text[start:end]) for number, start, end in windows),
            batch_size=self.batch_size,
            n_process=self.n_process,
        )
        for (number, start, _end), doc in zip(windows, docs, strict=True):
            ner[number].extend(NerSpan(e.start_char + start, e.end_char + start, e.label_) for e in doc.ents)
        found: list[list[Entity]] = [[] for _ in texts]
        for piece, spans in zip(pieces, ner, strict=True):
            for entity in self._analyze(piece, spans, kept_values[piece.index]):
                found[piece.index].append(
                    Entity(entity.start + piece.offset, entity.end + piece.offset, entity.type, entity.score)
                )
        return [
            settle_overlaps(text, entities) if entities else []
            for text, entities in zip(texts, found, strict=True)
        ]

    def _explained(self, word: str) -> bool:
        """Whether a capitalized word is accounted for without the model."""
        return word in CIVILITIES or fold(word) in NOT_NAMES or self.vocabulary.is_technical_word(word)

    def _analyze(self, piece: Segment, ner_spans: list[NerSpan], keep: list[str]) -> list[Entity]:
        text = piece.text
        # The model already ran (on windows); Presidio gets empty artifacts plus what it found.
        artifacts = _ArtifactsWithNer(ner_spans, self._empty_doc)
        results = self.analyzer.analyze(
            text, language="fr", nlp_artifacts=artifacts, score_threshold=self.threshold
        )
        candidates = [(_as_entity(result), _source(result)) for result in results]
        spans = self.guard.spans(text, keep)
        entities = settle_overlaps(text, self.guard.resolve(text, candidates, spans))
        entities = find_signing_names(text, entities, spans, self.vocabulary)
        entities = propagate_names(text, entities, spans, self.vocabulary)
        entities = complete_names(text, settle_overlaps(text, entities))
        entities = merge_addresses(text, settle_overlaps(text, entities))
        return merge_addresses(text, settle_overlaps(text, extend_addresses(text, entities, self.vocabulary)))


class _ArtifactsWithNer(NlpArtifacts):
    """Presidio's artifacts carrying what the model found in windows of the text."""

    def __init__(self, ner_spans: list[NerSpan], empty_doc: Any) -> None:
        super().__init__(
            entities=[], tokens=empty_doc, tokens_indices=[], lemmas=[], nlp_engine=None, language="fr"
        )
        self.ner_spans = ner_spans


class _RecognizersOwnContext(ContextAwareEnhancer):
    """Context is read by each French recognizer itself (accents, elisions): nothing to add here."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0,
            min_score_with_context_similarity=0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[Any],
        nlp_artifacts: Any,
        recognizers: list[Any],
        context: Any = None,
    ) -> list[Any]:
        return raw_results


def _encodable(text: str) -> str:
    """``text`` with lone surrogates (JSON escapes let them in) as U+FFFD: same offsets; spaCy copes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _as_entity(result: RecognizerResult) -> Entity:
    return Entity(int(result.start), int(result.end), str(result.entity_type), float(result.score))


def _source(result: RecognizerResult) -> str:
    metadata = result.recognition_metadata or {}
    return str(metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))
