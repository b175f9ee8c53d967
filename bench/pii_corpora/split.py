"""Which notes detector engineers may look at (tuning) and which they never see (held out).

Tuning: ``gen_formal`` with seeds 0–99, and nothing else. Everything else is held out:
``gen_formal`` with any other seed, ``gen_sms`` and ``gen_mixed`` with every seed, and all
hand-written notes. Evaluation reports on the held-out parts only (``held_out()``).
"""

from __future__ import annotations

from collections.abc import Callable

from bench.pii_corpora import gen_formal, gen_mixed, gen_sms, handwritten
from bench.pii_corpora._note import Note

__all__ = [
    "GENERATORS",
    "HELD_OUT_SEEDS",
    "NOTES_PER_SEED",
    "TUNING_SEEDS",
    "held_out",
    "is_tuning",
    "tuning",
]

GENERATORS: dict[str, Callable[[int, int], list[Note]]] = {
    gen_formal.CORPUS: gen_formal.generate,
    gen_sms.CORPUS: gen_sms.generate,
    gen_mixed.CORPUS: gen_mixed.generate,
}
NOTES_PER_SEED = 200
TUNING_SEEDS: dict[str, range] = {gen_formal.CORPUS: range(100)}
HELD_OUT_SEEDS: dict[str, range] = {
    gen_formal.CORPUS: range(1000, 1005),
    gen_sms.CORPUS: range(1000, 1005),
    gen_mixed.CORPUS: range(1000, 1005),
}


def is_tuning(note: Note) -> bool:
    """True only for a ``gen_formal`` note generated with a seed in 0–99."""
    if note["corpus"] not in TUNING_SEEDS:
        return False
    seed = int(note["id"].split("-")[1].removeprefix("s"))
    return seed in TUNING_SEEDS[note["corpus"]]


def tuning(seeds: range | None = None, n: int = NOTES_PER_SEED) -> list[Note]:
    """The notes engineers may read and tune on (``gen_formal``, seeds 0–99)."""
    chosen = TUNING_SEEDS[gen_formal.CORPUS] if seeds is None else seeds
    if any(seed not in TUNING_SEEDS[gen_formal.CORPUS] for seed in chosen):
        raise ValueError("tuning seeds must lie in 0–99: the other seeds are held out")
    return [note for seed in chosen for note in gen_formal.generate(n, seed)]


def held_out(n: int = NOTES_PER_SEED) -> dict[str, list[Note]]:
    """The evaluation sets, by corpus: never to be read while tuning a detector."""
    sets = {
        corpus: [note for seed in HELD_OUT_SEEDS[corpus] for note in generate(n, seed)]
        for corpus, generate in GENERATORS.items()
    }
    sets[handwritten.CORPUS] = handwritten.load()
    for notes in sets.values():
        assert not any(is_tuning(note) for note in notes)
    return sets
