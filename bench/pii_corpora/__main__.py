"""``python -m bench.pii_corpora export OUTDIR``: the held-out and tuning sets as JSON lines.

``python -m bench.pii_corpora stats``: notes and spans per label for each held-out set.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bench.pii_corpora import split
from bench.pii_corpora._note import LABELS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pii_corpora")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export")
    export.add_argument("outdir", type=Path)
    export.add_argument(
        "--with-tuning", action="store_true", help="also write tuning.jsonl (formal seeds 0–99)"
    )
    sub.add_parser("stats")
    args = parser.parse_args()
    sets = split.held_out()
    if args.command == "stats":
        print(f"{'corpus':<18} {'notes':>6} " + " ".join(f"{label[:6]:>6}" for label in LABELS))
        for corpus, notes in sets.items():
            counts = Counter(span["label"] for note in notes for span in note["spans"])
            print(f"{corpus:<18} {len(notes):>6} " + " ".join(f"{counts[label]:>6}" for label in LABELS))
        return
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.with_tuning:
        sets = {"tuning": split.tuning(), **{f"heldout-{k}": v for k, v in sets.items()}}
    else:
        sets = {f"heldout-{k}": v for k, v in sets.items()}
    for name, notes in sets.items():
        with (args.outdir / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for note in notes:
                out.write(json.dumps(note, ensure_ascii=False) + "\n")
        print(f"{name}: {len(notes)} notes")


if __name__ == "__main__":
    main()
