"""Which notes detector engineers may look at (tuning) and which they never see (held out).

**Tuning: ``gen_formal``, ``gen_sms``, ``gen_mixed`` (every seed) and ``handwritten.txt``.**
They were held out once, but an earlier round of detector work looked at their held-out
totals and made broad fixes after each look (dictated e-mails, glued plates, lower-case
streets…): from then on they no longer measured text the detector had never been tuned
on. They are declared tuning corpora: their notes, and what the detector misses on them,
may be read freely.

**Held out: the fresh corpora** (``gen_fresh``, ``handwritten_fresh``, ``gen_fresh2``,
``handwritten_fresh2``), written afterwards by other engineers who did not read
``anonymization/`` (the second pair also without reading the first): generators and
hand-written notes in the same :class:`~bench.pii_corpora._note.Note` format. Nobody
working on the detector opens their files or prints their notes or missed values; the
evaluation prints aggregate figures
per category and corpus only, and is run on them once per round of detector work, at the
end — a figure looked at while tuning stops measuring generalization.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.pii_corpora import (
    gen_formal,
    gen_fresh,
    gen_fresh2,
    gen_mixed,
    gen_sms,
    handwritten,
    handwritten_fresh,
    handwritten_fresh2,
)
from bench.pii_corpora._note import Note

__all__ = [
    "GENERATORS",
    "HELD_OUT_CORPORA",
    "NOTES_PER_SEED",
    "TUNING_CORPORA",
    "TUNING_SEEDS",
    "held_out",
    "is_tuning",
    "tuning",
    "tuning_sets",
]

GENERATORS: dict[str, Callable[[int, int], list[Note]]] = {
    gen_formal.CORPUS: gen_formal.generate,
    gen_sms.CORPUS: gen_sms.generate,
    gen_mixed.CORPUS: gen_mixed.generate,
}
"""The tuning generators, by corpus name: ``generate(n, seed)``."""
TUNING_CORPORA: frozenset[str] = frozenset({*GENERATORS, handwritten.CORPUS})
"""Corpora whose notes may be read while working on the detector (every seed)."""
NOTES_PER_SEED = 200
TUNING_SEEDS: dict[str, range] = {
    gen_formal.CORPUS: range(5),
    gen_sms.CORPUS: range(1000, 1005),
    gen_mixed.CORPUS: range(1000, 1005),
}
"""The seeds the bench uses by default for each tuning generator (any seed is tuning)."""
HELD_OUT_CORPORA: frozenset[str] = frozenset(
    {gen_fresh.CORPUS, handwritten_fresh.CORPUS, gen_fresh2.CORPUS, handwritten_fresh2.CORPUS}
)
"""The fresh corpora (see :func:`held_out`): their files are not read by detector engineers."""


def is_tuning(note: Note) -> bool:
    """True for a note of a tuning corpus (``formal``, ``sms``, ``mixed``, ``handwritten``)."""
    return note["corpus"] in TUNING_CORPORA


def tuning(seeds: range | None = None, n: int = NOTES_PER_SEED) -> list[Note]:
    """``gen_formal`` notes for the given seeds (default: ``TUNING_SEEDS``)."""
    chosen = TUNING_SEEDS[gen_formal.CORPUS] if seeds is None else seeds
    return [note for seed in chosen for note in gen_formal.generate(n, seed)]


def tuning_sets(
    n: int = NOTES_PER_SEED, seeds: int | None = None, handwritten_notes: int | None = None
) -> dict[str, list[Note]]:
    """Every tuning corpus, by name: ``n`` notes per seed, the first ``seeds`` of ``TUNING_SEEDS``."""
    sets = {
        corpus: [note for seed in list(TUNING_SEEDS[corpus])[:seeds] for note in generate(n, seed)]
        for corpus, generate in GENERATORS.items()
    }
    notes = handwritten.load()
    sets[handwritten.CORPUS] = notes if handwritten_notes is None else notes[:handwritten_notes]
    return sets


def held_out(n: int = NOTES_PER_SEED) -> dict[str, list[Note]]:
    """The evaluation sets, by corpus: never to be read while tuning a detector.

    ``gen_fresh`` and ``gen_fresh2``: ``n`` notes for each of their evaluation seeds
    (``gen_fresh.SEEDS``, ``gen_fresh2.SEEDS``); ``handwritten_fresh`` and
    ``handwritten_fresh2``: every note.
    """
    sets = {
        gen_fresh.CORPUS: [note for seed in gen_fresh.SEEDS for note in gen_fresh.generate(n, seed)],
        handwritten_fresh.CORPUS: handwritten_fresh.load(),
        gen_fresh2.CORPUS: [note for seed in gen_fresh2.SEEDS for note in gen_fresh2.generate(n, seed)],
        handwritten_fresh2.CORPUS: handwritten_fresh2.load(),
    }
    if any(is_tuning(note) for notes in sets.values() for note in notes):
        raise ValueError("a held-out corpus is named like a tuning corpus")
    return sets
