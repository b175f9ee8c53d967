"""Small text helpers shared by the recognizers and the technical guard.

Everything here works on plain ``str`` with Python offsets and never logs text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

__all__ = [
    "NAME_PARTICLES",
    "SEPARATORS",
    "Word",
    "fold",
    "is_capitalized",
    "is_name_like",
    "preceded_by",
    "tokenize",
    "typo_tolerant",
    "words",
]

SEPARATORS: Final = " .\u00a0\u202f\u2009-"
"""Characters people put between groups of digits (space, dot, hyphen, non-breaking spaces)."""

NAME_PARTICLES: Final = frozenset(
    {
        "de",
        "du",
        "des",
        "d'",
        "d’",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
        "da",
        "di",
        "del",
        "dos",
        "el",
        "al",
        "ben",
    }
)
"""Lower-case words that may sit inside a person's name (*Jacqueline Bertin de la Giraud*)."""

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*|[^\W_]+|\S")


class Word:
    """A token: a run of letters (with inner hyphens and apostrophes), of alphanumerics, or one symbol."""

    __slots__ = ("end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self) -> str:  # offsets only: the text may be personal
        return f"Word({self.start}..{self.end})"


def words(text: str, start: int = 0, end: int | None = None) -> Iterator[Word]:
    """The words of ``text[start:end]`` with offsets into ``text``."""
    for match in _WORD.finditer(text, start, len(text) if end is None else end):
        yield Word(match.group(), match.start(), match.end())


@lru_cache(maxsize=64)
def tokenize(text: str) -> tuple[Word, ...]:
    """All the words of ``text``; cached, since every recognizer of one text asks for them."""
    return tuple(words(text))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: ``Téléphone`` → ``telephone``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def is_capitalized(token: str) -> bool:
    """``Dupont``, ``DUPONT``, ``Jean-Éric``, ``O'Neill``, ``Иванов``: starts with an upper-case letter."""
    return bool(token) and token[0].isupper() and token[0].isalpha()


def is_name_like(token: str) -> bool:
    """A capitalized word made of letters only (with inner hyphens or apostrophes), at least 2 long.

    An elided particle glued to a capitalized name counts too: ``d'Aubigny``, ``D'ORNANO``.
    """
    core = token.replace("-", "").replace("'", "").replace("’", "")
    if len(core) >= 4 and token[:1] in "dD" and token[1:2] in "'’":
        return core.isalpha() and is_capitalized(token[2:])
    return len(core) >= 2 and core.isalpha() and is_capitalized(token)


def preceded_by(text: str, start: int, pattern: re.Pattern[str], window: int = 48) -> bool:
    """Whether ``pattern`` matches in the ``window`` characters before ``start`` (accent- and case-folded).

    ``pattern`` is searched in the folded window and should be anchored with ``$``
    when it must touch the entity, or left free to match anywhere in the window.
    """
    return pattern.search(fold(text[max(0, start - window) : start])) is not None


def typo_tolerant(word: str) -> str:
    """A regex alternation of ``word`` and its one-slip misspellings (for context cues).

    The slips a thumb makes: a letter dropped (``cate``), a letter doubled (``carrte``),
    two neighbouring letters swapped (``crate``). Words shorter than five letters are
    left alone: one slip would make them other words.
    """
    variants = {word}
    if len(word) >= 5:
        for i in range(len(word)):
            variants.add(word[:i] + word[i + 1 :])
            variants.add(word[:i] + word[i] + word[i:])
            if i + 1 < len(word):
                variants.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
