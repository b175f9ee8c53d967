"""The contract every French recognizer follows, and its bridge into Presidio.

Recognizers are plain Python classes, testable without Presidio or spaCy. The engine
registers each one explicitly in a Presidio ``RecognizerRegistry`` through
:class:`PresidioBridge`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult

from anonymization.entities import Entity

__all__ = ["FrenchRecognizer", "PresidioBridge"]


class FrenchRecognizer(ABC):
    """Finds one or more kinds of personal data in French text.

    A recognizer MUST:

    * return entities whose ``start``/``end`` index the ``text`` it was given, with a
      type among :attr:`entity_types` and a score between 0 and 1;
    * never raise on any ``str`` (empty, huge, control characters, any script);
    * never log, keep or put into an exception any part of the text;
    * be safe to call from several threads (no per-call state on ``self``).

    ``doc`` is what the language model found in the text (a list of
    :class:`~anonymization.nlp.NerSpan`), or ``None``; only recognizers that need NER
    look at it.
    """

    name: ClassVar[str]
    entity_types: ClassVar[tuple[str, ...]]

    @abstractmethod
    def find(self, text: str, doc: Any = None) -> list[Entity]:
        """Every piece of personal data of this recognizer's types in ``text``."""


class PresidioBridge(EntityRecognizer):
    """A :class:`FrenchRecognizer` seen by Presidio's ``AnalyzerEngine`` as an ``EntityRecognizer``."""

    def __init__(self, recognizer: FrenchRecognizer) -> None:
        self.recognizer = recognizer
        # Context is handled inside each recognizer (French words, elisions, accents),
        # so Presidio's lemma-based enhancer is given nothing to do.
        super().__init__(
            supported_entities=list(recognizer.entity_types),
            name=recognizer.name,
            supported_language="fr",
            context=[],
        )

    def load(self) -> None:
        """Nothing to load: the recognizer is ready when constructed."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        doc = getattr(nlp_artifacts, "ner_spans", None)
        wanted = set(entities) if entities else None
        return [
            RecognizerResult(
                entity_type=found.type,
                start=found.start,
                end=found.end,
                score=found.score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.recognizer.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for found in self.recognizer.find(text, doc)
            if wanted is None or found.type in wanted
        ]
