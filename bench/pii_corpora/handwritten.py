"""The hand-written notes: typed one by one, in the sloppy way technicians really type.

They live in ``handwritten.txt``, one note per block, blocks separated by a line holding
only ``---``. Personal values and protected technical values are marked inline as
``[[LABEL|value]]``; the marks are removed and their offsets become the gold spans.
Short labels: P person, T phone, E email, A address, G gps, V plate, C card, I iban,
N nir, M mac, IP, IMEI, D access code (digicode, door, alarm, key box), K keep.
Lines starting with ``#`` at the top of a block are comments, not text.
"""

from __future__ import annotations

from pathlib import Path

from bench.pii_corpora._note import Note, parse_marked

__all__ = ["ALIASES", "CORPUS", "SOURCE", "load"]

CORPUS = "handwritten"
SOURCE = Path(__file__).with_name("handwritten.txt")
ALIASES = {
    "P": "PERSON",
    "T": "PHONE",
    "E": "EMAIL",
    "A": "ADDRESS",
    "G": "GPS",
    "V": "PLATE",
    "C": "CARD",
    "I": "IBAN",
    "N": "NIR",
    "M": "MAC",
    "D": "ACCESS_CODE",
    "K": "KEEP",
}


def load(path: Path = SOURCE) -> list[Note]:
    """Every hand-written note, in file order, with ids ``hw-0001``…"""
    notes: list[Note] = []
    blocks = path.read_text(encoding="utf-8").split("\n---\n")
    for block in blocks:
        lines = block.split("\n")
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        marked = "\n".join(lines).strip("\n")
        if not marked.strip():
            continue
        text, spans = parse_marked(marked, ALIASES)
        notes.append({"id": f"hw-{len(notes) + 1:04d}", "text": text, "spans": spans, "corpus": CORPUS})
    return notes
