"""The second set of fresh hand-written notes (``handwritten_fresh2.txt``): held out.

**Held out.** Whoever works on the detector does not open ``handwritten_fresh2.txt`` nor this
loader's output, and prints none of its notes or of the values the detector misses on them.

The file format is described at the top of ``handwritten_fresh2.txt``: everything before the
first line made of ``%%`` alone is a header; every later ``%%`` line starts a new note; values
are marked inline as ``{TAG:value}`` with the tags of ``TAGS``.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.pii_corpora._note import Note, Span, check_note

__all__ = ["CORPUS", "PATH", "TAGS", "load", "parse"]

CORPUS = "handwritten_fresh2"
PATH = Path(__file__).with_name("handwritten_fresh2.txt")
TAGS: dict[str, str] = {
    "P": "PERSON",
    "TEL": "PHONE",
    "MAIL": "EMAIL",
    "ADR": "ADDRESS",
    "GPS": "GPS",
    "IMMAT": "PLATE",
    "CB": "CARD",
    "IBAN": "IBAN",
    "NIR": "NIR",
    "MAC": "MAC",
    "IP": "IP",
    "IMEI": "IMEI",
    "CODE": "ACCESS_CODE",
    "K": "KEEP",
}
"""Short tag in the file -> label of the :class:`~bench.pii_corpora._note.Note` format."""

_MARK = re.compile(r"\{([A-Za-z_]+):([^{}]*)\}")
_CIVILITY = re.compile(
    r"^(m|mr|mme|mlle|melle|mm|mmes|madame|monsieur|mademoiselle|me|maitre|maître|dr|docteur|mrs|ms)\.?\s",
    re.IGNORECASE,
)


def parse(marked: str, where: str = "note") -> tuple[str, list[Span]]:
    """``{TAG:value}`` marks to the plain text and its spans; ``where`` names the note in errors."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    position = 0
    for match in _MARK.finditer(marked):
        literal = marked[position : match.start()]
        if "{" in literal or "}" in literal:
            raise ValueError(f"{where}: stray brace in {literal.strip()[:40]!r}; marks read {{TAG:value}}")
        tag, value = match.group(1), match.group(2)
        if tag not in TAGS:
            raise ValueError(f"{where}: unknown tag {tag!r}; the tags are {', '.join(TAGS)}")
        if not value:
            raise ValueError(f"{where}: empty {tag} mark")
        if value != value.strip():
            raise ValueError(
                f"{where}: {tag} value {value!r} has blanks around it; move them outside the mark"
            )
        if tag == "P" and _CIVILITY.match(value):
            raise ValueError(f"{where}: civility inside the person mark {value!r}; write it before the mark")
        parts.append(literal)
        length += len(literal)
        spans.append({"start": length, "end": length + len(value), "label": TAGS[tag], "value": value})
        parts.append(value)
        length += len(value)
        position = match.end()
    rest = marked[position:]
    if "{" in rest or "}" in rest:
        raise ValueError(f"{where}: stray brace in {rest.strip()[:40]!r}; marks read {{TAG:value}}")
    parts.append(rest)
    return "".join(parts), spans


def load(path: Path = PATH) -> list[Note]:
    """Every note of the file, in order, ids ``hwf2-0001``…; raises on the first malformed one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        first = lines.index("%%")
    except ValueError:
        raise ValueError(f"{path}: no '%%' line, so no note; see the header for the format") from None
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines[first:], start=first + 1):
        if line == "%%":
            blocks.append((number, []))
        else:
            blocks[-1][1].append(line)
    notes: list[Note] = []
    for number, block in blocks:
        marked = "\n".join(block).strip("\n")
        if not marked.strip():
            raise ValueError(f"{path}:{number}: empty note")
        note_id = f"hwf2-{len(notes) + 1:04d}"
        text, spans = parse(marked, f"{path.name}:{number + 1} ({note_id})")
        note: Note = {"id": note_id, "text": text, "spans": spans, "corpus": CORPUS}
        problems = check_note(note)
        if problems:
            raise ValueError(f"{path.name}:{number + 1}: {problems[0]}")
        notes.append(note)
    return notes
