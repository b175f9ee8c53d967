"""Checkpoints remembered outside the database: ``checkpoints.log`` in the key folder.

Whoever administers the database can delete the last entries of the ledger with their
tree nodes and checkpoints: what is left is a smaller ledger whose every checkpoint still
verifies. The key folder is out of their reach: it lives beside the data, never inside
it, with its own permissions and backups. So :meth:`Ledger.checkpoint
<storage.ledger.store.Ledger.checkpoint>` also appends every checkpoint it signs to
``checkpoints.log`` there, and :func:`~storage.ledger.verify.verify_ledger` proves each
remembered checkpoint consistent with the current tree (RFC 9162 §2.1.4): a ledger
smaller than a remembered checkpoint was truncated (rolled back), one with another root
at a remembered size was rewritten (forked).

The file is append-only UTF-8 text. Each record is one C2SP signed note, byte for byte
as signed, followed by one empty line; every record starts with the origin line::

    quitus.ledger/7e339ca3
    417
    47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=

    — quitus.ledger/7e339ca3 AtHvg5i3qMF60KBWkxwwx7wAex8N5nTZ5n5aZNr29pZDyWHDwl6VVJp…

    quitus.ledger/7e339ca3
    420
    …

Each record is written with one ``write`` under an exclusive ``flock``, so the processes
of one host append whole records in order. Hosts that share one database (workers on
other machines) each keep their own file: every record, on any of them, is a checkpoint
the ledger must still contain. A part of the file that is not a signed note of this
ledger (a write cut short by a crash, an edit) is reported and ignored: only someone who
holds the key folder — and with it the signing key — can write here.

**Cosigned checkpoints** are kept here too, and only here: once a witness cosigned a
checkpoint (:mod:`storage.ledger.witness_client`), the same note with the witness's
cosignature line after the ledger's signature is appended as a record of its own. It opens
with the ledger key like any other record (a note verifier ignores keys it does not know),
so ``audit verify`` proves it consistent with the tree as it does the rest. A note that adds
nothing to the last record — the same text, signature lines it already carries — is not
appended again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CHECKPOINT_LOG_FILE", "CheckpointLog", "LockedCheckpointLog", "RememberedCheckpoint"]

CHECKPOINT_LOG_FILE = "checkpoints.log"
"""Its name in the key folder (``QUITUS_KEY_DIR``)."""

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space: how every signature line of a note starts
_RECORD_END = "\n\n"
_TAIL_BYTES = 16 * 1024
"""Read from the end of the file to find the last record; a record is a few hundred bytes."""


@dataclass(frozen=True)
class RememberedCheckpoint:
    """One record of ``checkpoints.log``: a signed note, not yet opened."""

    line: int
    """Line of the file where the record starts (1-based), for messages."""
    note: str
    """The signed note as it was appended (text, empty line, signature lines)."""


class CheckpointLog:
    """The append-only ``checkpoints.log`` file of one ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"CheckpointLog({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    def records(self) -> tuple[list[RememberedCheckpoint], list[str]]:
        """Every record, oldest first, and a note for each part of the file that is not one."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        except UnicodeDecodeError as exc:
            # Keep what can be read: the records before the damage still count.
            raw = self.path.read_bytes()
            text = raw[: exc.start].decode("utf-8")
            records, damaged = _parse(text)
            damaged.append(
                f"{self.path}: not UTF-8 text from byte {exc.start} on (edited?); the rest is ignored"
            )
            return records, damaged
        return _parse(text)

    @contextmanager
    def locked(self) -> Iterator[LockedCheckpointLog]:
        """Hold the file's lock while a checkpoint is checked against it, signed and appended."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield LockedCheckpointLog(descriptor)
        finally:
            os.close(descriptor)  # closing releases the lock


class LockedCheckpointLog:
    """``checkpoints.log`` while its lock is held (see :meth:`CheckpointLog.locked`)."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def _tail(self) -> str:
        size = os.fstat(self._descriptor).st_size
        start = max(0, size - _TAIL_BYTES)
        data = os.pread(self._descriptor, size - start, start)
        return data.decode("utf-8", errors="replace")

    def last(self) -> RememberedCheckpoint | None:
        """The last complete record (its line number counts from the part read, not the file's start)."""
        records, _ = _parse(self._tail())
        return records[-1] if records else None

    def append(self, note: str) -> None:
        """Append one record: ``note`` and the empty line that ends it, in one write."""
        if not note.endswith("\n") or _RECORD_END not in note:
            raise ValueError("only a signed note (text, empty line, signature lines) is remembered")
        tail = self._tail()
        records, _ = _parse(tail)
        if records and _adds_nothing(note, records[-1].note):
            return  # the last record already says it (e.g. the same checkpoint, cosigned since)
        # After a write cut short, start on a fresh record so that the damage stays its own part.
        separator = "" if not tail or tail.endswith(_RECORD_END) else "\n" if tail.endswith("\n") else "\n\n"
        data = (separator + note + "\n").encode("utf-8")
        written = os.write(self._descriptor, data)
        if written != len(data):
            raise OSError(f"checkpoints.log: wrote {written} of {len(data)} bytes (disk full?)")


def _parse(text: str) -> tuple[list[RememberedCheckpoint], list[str]]:
    """Split the file into signed notes: a text part then a signature part, each record ending
    in an empty line. A part out of place is named by its line and skipped."""
    records: list[RememberedCheckpoint] = []
    damaged: list[str] = []
    parts = text.split(_RECORD_END)
    starts = []  # the line each part starts on
    line = 1
    for part in parts:
        starts.append(line)
        line += part.count("\n") + 2
    index, last = 0, len(parts) - 1  # parts[last] follows the final record's empty line: "" when whole
    while index < last:
        part = parts[index]
        if not part or _is_signature_part(part):
            damaged.append(f"line {starts[index]}: signature lines without a checkpoint before them")
            index += 1
            continue
        if index + 1 >= last:
            break  # its signatures are cut short: reported below
        if not _is_signature_part(parts[index + 1]):
            damaged.append(f"line {starts[index]}: a checkpoint without signature lines")
            index += 1
            continue
        records.append(RememberedCheckpoint(starts[index], part + "\n\n" + parts[index + 1] + "\n"))
        index += 2
    if _RECORD_END.join(parts[index:]).strip():
        damaged.append(f"line {starts[index]}: the last record is incomplete (a write cut short)")
    return records, damaged


def _adds_nothing(note: str, last: str) -> bool:
    """Whether ``note`` is the text of ``last`` with some of its signature lines: nothing new."""
    text, _, signatures = note.partition(_RECORD_END)
    last_text, _, last_signatures = last.partition(_RECORD_END)
    return text == last_text and set(signatures.splitlines()) <= set(last_signatures.splitlines())


def _is_signature_part(part: str) -> bool:
    return all(line.startswith(_SIGNATURE_PREFIX) for line in part.split("\n"))
