"""Fresh hand-written notes (held out): ``load()`` parses ``handwritten_fresh.txt``.

The file's format is described at its top: ``%%`` lines separate notes, values are marked
inline as ``{TAG:value}`` with short tags (``TAGS``). The loader returns the plain text and
the exact spans; a brace left unmatched, an unknown tag or an empty value is an error, so a
typo in the marks cannot silently shift an offset.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path

from bench.pii_corpora._note import Note, Span, check_note

__all__ = ["CORPUS", "PATH", "TAGS", "load", "parse"]

CORPUS = "handwritten_fresh"
PATH = Path(__file__).with_name("handwritten_fresh.txt")
TAGS: dict[str, str] = {
    "N": "PERSON",
    "T": "PHONE",
    "M": "EMAIL",
    "A": "ADDRESS",
    "G": "GPS",
    "V": "PLATE",
    "CB": "CARD",
    "IB": "IBAN",
    "SS": "NIR",
    "MAC": "MAC",
    "IP": "IP",
    "IMEI": "IMEI",
    "C": "ACCESS_CODE",
    "K": "KEEP",
}
_MARK = re.compile(r"\{([A-Z]+):([^{}]*)\}")
_CIVILITY = re.compile(
    r"(?i)(m|mr|mme|mlle|madame|monsieur|mademoiselle|les|famille|chez|dr|et|ou|feue?)\.?\s"
)
"""Words that go before a PERSON mark, never inside it."""


def parse(marked: str, note_id: str = "?") -> tuple[str, list[Span]]:
    """One marked note to its plain text and spans."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    position = 0
    for match in _MARK.finditer(marked):
        literal = marked[position : match.start()]
        if "{" in literal or "}" in literal:
            raise ValueError(f"{note_id}: stray brace before {match.group(0)!r}")
        parts.append(literal)
        length += len(literal)
        tag, value = match.group(1), match.group(2)
        if tag not in TAGS:
            raise ValueError(f"{note_id}: unknown tag {tag!r}")
        if not value or value != value.strip():
            raise ValueError(f"{note_id}: empty value or value with blanks around it {value!r}")
        if TAGS[tag] == "PERSON" and _CIVILITY.match(value):
            raise ValueError(f"{note_id}: the civility goes outside the name: {value!r}")
        spans.append({"start": length, "end": length + len(value), "label": TAGS[tag], "value": value})
        parts.append(value)
        length += len(value)
        position = match.end()
    rest = marked[position:]
    if "{" in rest or "}" in rest:
        raise ValueError(f"{note_id}: stray brace in {rest[:60]!r}")
    parts.append(rest)
    return "".join(parts), spans


def _blocks(source: str) -> list[str]:
    lines = source.splitlines()
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.rstrip() == "%%":
            current = []
            blocks.append(current)
        elif current is not None:
            current.append(line)
        # lines before the first %% are the file's documentation
    if blocks and not any(line.strip() for line in blocks[-1]):
        blocks.pop()  # a "%%" on the last line closes the file
    return ["\n".join(block).strip("\n").rstrip() for block in blocks]


@cache
def _load(path: Path) -> tuple[Note, ...]:
    notes: list[Note] = []
    for index, block in enumerate(_blocks(path.read_text(encoding="utf-8")), start=1):
        note_id = f"hwf-{index:04d}"
        if not block.strip():
            raise ValueError(f"{note_id}: empty note")
        text, spans = parse(block, note_id)
        note: Note = {"id": note_id, "text": text, "spans": spans, "corpus": CORPUS}
        problems = check_note(note)
        if problems:
            raise ValueError("; ".join(problems))
        notes.append(note)
    return tuple(notes)


def load(path: Path = PATH) -> list[Note]:
    """Every hand-written fresh note, in file order (ids ``hwf-0001``…)."""
    return copy.deepcopy(list(_load(path)))
