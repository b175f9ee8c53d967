"""The note format shared by every corpus, and the small builder the generators write with.

Only the *format* is shared here: no names, streets, brands or sentences. Each generator
keeps its own vocabulary so that the three corpora stay as independent as three writers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypedDict

__all__ = [
    "KEEP",
    "LABELS",
    "PII_LABELS",
    "Note",
    "NoteBuilder",
    "Span",
    "check_note",
    "grouped",
    "iban_fr",
    "luhn_complete",
    "nir_key",
    "parse_marked",
]

PII_LABELS: tuple[str, ...] = (
    "PERSON",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "GPS",
    "PLATE",
    "CARD",
    "IBAN",
    "NIR",
    "MAC",
    "IP",
    "IMEI",
    "ACCESS_CODE",
)
KEEP = "KEEP"
LABELS: tuple[str, ...] = (*PII_LABELS, KEEP)


class Span(TypedDict):
    start: int
    end: int
    label: str
    value: str


class Note(TypedDict):
    id: str
    text: str
    spans: list[Span]
    corpus: str


Slot = str | tuple[str | None, str]


class NoteBuilder:
    """Appends text piece by piece and records the offsets of the labelled pieces.

    ``style`` (optional) rewrites every piece before it is appended (lower case, accents
    removed, ...), so that the recorded value is always the text as it finally reads.
    """

    _SLOT = re.compile(r"\{(\w+)\}")

    def __init__(self, style: Callable[[str], str] | None = None) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._spans: list[Span] = []
        self._style = style

    def text(self, piece: str) -> NoteBuilder:
        if self._style is not None:
            piece = self._style(piece)
        self._parts.append(piece)
        self._length += len(piece)
        return self

    def span(self, label: str | None, value: str) -> NoteBuilder:
        if label is None:
            return self.text(value)
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        if self._style is not None:
            value = self._style(value)
        start = self._length
        self._parts.append(value)
        self._length += len(value)
        if value:
            self._spans.append({"start": start, "end": self._length, "label": label, "value": value})
        return self

    def fmt(self, template: str, **slots: Slot) -> NoteBuilder:
        """``template`` with ``{name}`` slots; a slot is plain text or ``(label, value)``."""
        position = 0
        for match in self._SLOT.finditer(template):
            self.text(template[position : match.start()])
            slot = slots[match.group(1)]
            if isinstance(slot, tuple):
                self.span(slot[0], slot[1])
            else:
                self.text(slot)
            position = match.end()
        self.text(template[position:])
        return self

    def build(self, note_id: str, corpus: str) -> Note:
        return {"id": note_id, "text": "".join(self._parts), "spans": list(self._spans), "corpus": corpus}


_MARK = re.compile(r"\[\[([A-Z_]+)\|(.*?)\]\]", re.DOTALL)


def parse_marked(marked: str, aliases: dict[str, str]) -> tuple[str, list[Span]]:
    """``[[P|jean dupont]]``-style inline marks to plain text plus spans (handwritten notes)."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    position = 0
    for match in _MARK.finditer(marked):
        literal = marked[position : match.start()]
        parts.append(literal)
        length += len(literal)
        label = aliases.get(match.group(1), match.group(1))
        if label not in LABELS:
            raise ValueError(f"unknown label {match.group(1)!r} in {marked[:60]!r}")
        value = match.group(2)
        spans.append({"start": length, "end": length + len(value), "label": label, "value": value})
        parts.append(value)
        length += len(value)
        position = match.end()
    rest = marked[position:]
    if "[[" in rest or "]]" in rest:
        raise ValueError(f"unbalanced mark in {marked[:60]!r}")
    parts.append(rest)
    return "".join(parts), spans


def check_note(note: Note) -> list[str]:
    """Every problem with one note (empty when it is well formed)."""
    problems: list[str] = []
    text = note["text"]
    previous_end = -1
    for span in sorted(note["spans"], key=lambda s: (s["start"], s["end"])):
        if span["label"] not in LABELS:
            problems.append(f"{note['id']}: unknown label {span['label']}")
        if not 0 <= span["start"] < span["end"] <= len(text):
            problems.append(f"{note['id']}: span out of range {span}")
        if text[span["start"] : span["end"]] != span["value"]:
            problems.append(
                f"{note['id']}: value {span['value']!r} != text {text[span['start'] : span['end']]!r}"
            )
        if span["value"] != span["value"].strip():
            problems.append(f"{note['id']}: value with surrounding blanks {span['value']!r}")
        if span["start"] < previous_end:
            problems.append(f"{note['id']}: overlapping span {span}")
        previous_end = max(previous_end, span["end"])
    return problems


# --- check digits (arithmetic only: each generator formats the digits its own way) -------------


def luhn_complete(digits: str) -> str:
    """``digits`` followed by the Luhn check digit that makes the whole number valid."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return digits + str((10 - total % 10) % 10)


def iban_fr(bban: str) -> str:
    """A French IBAN (no spaces) with a correct mod-97 key for a 23-character BBAN."""
    rearranged = bban + "FR00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    key = 98 - int(numeric) % 97
    return f"FR{key:02d}{bban}"


def nir_key(first13: str) -> str:
    """The 2-digit key of a NIR (Corsica's 2A/2B count as 19/18, as the INSEE rule says)."""
    numeric = first13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(numeric) % 97:02d}"


def grouped(text: str, size: int, sep: str = " ") -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))
