"""Build the training data, train the NER component, measure it: ``python -m bench.ner_training``.

Usage::

    .venv/bin/python -m bench.ner_training train      # data + training, written to bench/ner_training/output/
    .venv/bin/python -m bench.ner_training evaluate   # entity scores of the trained model, validation data

Training data (every value annotated PERSON, ADDRESS or ACCESS_CODE):

* this package's generator (:mod:`bench.ner_training.generate`), names of the ``train`` pool,
  seeds 0–19, 200 notes each;
* the tuning corpora on seeds the bench never uses (``gen_formal`` 100–101, ``gen_sms`` and
  ``gen_mixed`` 2000–2004) and the hand-written tuning notes of even index.

Validation data (never trained on): the generator with names of the ``validation`` pool
(seeds 900–904) and the hand-written tuning notes of odd index. The bench's own tuning
seeds (``bench/pii_eval.py --tuning-only``) are not trained on either. No held-out corpus
is imported or read. spaCy's seed is fixed (``[system] seed`` in ``config.cfg``) and the
data are a function of the seeds above: a rerun gives the same model on the same machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ner_training.generate import LABELS, generate  # noqa: E402
from bench.pii_corpora import gen_formal, gen_mixed, gen_sms, handwritten  # noqa: E402
from bench.pii_corpora._note import Note  # noqa: E402

CONFIG = Path(__file__).with_name("config.cfg")
MODEL_DIR = Path(__file__).with_name("output") / "quitus_ner_fr"
"""Where the trained pipeline is written (not shipped: the component was not adopted, docs/pii.md)."""
OWN_TRAIN_SEEDS = range(20)
OWN_VALIDATION_SEEDS = range(900, 905)
NOTES_PER_SEED = 200
TUNING_TRAIN_SEEDS = {gen_formal: range(100, 102), gen_sms: range(2000, 2005), gen_mixed: range(2000, 2005)}


def training_notes() -> list[Note]:
    notes = [note for seed in OWN_TRAIN_SEEDS for note in generate(NOTES_PER_SEED, seed, "train")]
    for module, seeds in TUNING_TRAIN_SEEDS.items():
        notes += [note for seed in seeds for note in module.generate(NOTES_PER_SEED, seed)]
    notes += handwritten.load()[0::2]
    return notes


def validation_notes() -> dict[str, list[Note]]:
    return {
        "own (validation names)": [
            note for seed in OWN_VALIDATION_SEEDS for note in generate(NOTES_PER_SEED, seed, "validation")
        ],
        "handwritten (odd notes)": handwritten.load()[1::2],
    }


def _doc_bin(nlp: object, notes: Iterable[Note]) -> object:
    from spacy.tokens import DocBin  # noqa: PLC0415
    from spacy.util import filter_spans  # noqa: PLC0415

    docs = DocBin()
    for note in notes:
        doc = nlp.make_doc(note["text"])  # type: ignore[attr-defined]
        spans = [
            doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand")
            for s in note["spans"]
            if s["label"] in LABELS
        ]
        doc.ents = filter_spans([s for s in spans if s is not None])
        docs.add(doc)
    return docs


def train() -> None:
    import spacy  # noqa: PLC0415
    from spacy.cli.train import train as spacy_train  # noqa: PLC0415

    nlp = spacy.blank("fr")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        _doc_bin(nlp, training_notes()).to_disk(folder / "train.spacy")  # type: ignore[attr-defined]
        dev = [note for notes in validation_notes().values() for note in notes]
        _doc_bin(nlp, dev).to_disk(folder / "dev.spacy")  # type: ignore[attr-defined]
        spacy_train(
            CONFIG,
            folder / "out",
            overrides={"paths.train": str(folder / "train.spacy"), "paths.dev": str(folder / "dev.spacy")},
        )
        best = folder / "out" / "model-best"
        if MODEL_DIR.exists():
            shutil.rmtree(MODEL_DIR)
        shutil.copytree(best, MODEL_DIR)
    print(f"model written to {MODEL_DIR.relative_to(ROOT)}")


def evaluate() -> None:
    import spacy  # noqa: PLC0415
    from spacy.scorer import Scorer  # noqa: PLC0415
    from spacy.training import Example  # noqa: PLC0415

    nlp = spacy.load(MODEL_DIR)
    for name, notes in validation_notes().items():
        gold = _doc_bin(nlp, notes).get_docs(nlp.vocab)  # type: ignore[attr-defined]
        examples = [Example(nlp(doc.text), doc) for doc in gold]
        scores = Scorer.score_spans(examples, "ents")
        per_type = scores["ents_per_type"] or {}
        print(f"{name}: P {scores['ents_p']:.3f} R {scores['ents_r']:.3f} F {scores['ents_f']:.3f}")
        for label, values in sorted(per_type.items()):
            print(f"    {label:<12} P {values['p']:.3f} R {values['r']:.3f} F {values['f']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("train", "evaluate"))
    {"train": train, "evaluate": evaluate}[parser.parse_args().command]()


if __name__ == "__main__":
    main()
