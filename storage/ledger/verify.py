"""Full verification of the audit ledger and of the blobs it vouches for.

:func:`verify_ledger` recomputes the Merkle tree from every stored entry (streaming,
O(log n) memory), checks each signed checkpoint's signature and root, checks that
successive checkpoints are consistent using the stored tree, and compares every blob
file with the hash of its ciphertext. It names the first bad entry.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session

from storage.blobs import DELETION_JOURNALS
from storage.database import Database
from storage.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from storage.ledger.errors import LedgerError
from storage.ledger.events import decode_entry
from storage.ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash, verify_consistency
from storage.ledger.store import Ledger
from storage.models import BlobRecord, LedgerEntryRecord, LedgerNodeRecord, ReportRecord
from storage.states import ReportState

__all__ = ["CompactRange", "LedgerVerification", "verify_ledger"]

_CHUNK = 5_000


class CompactRange:
    """The right edge of a Merkle tree: enough to compute its root, in O(log n) memory."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def append(self, leaf: bytes) -> None:
        self._stack.append((1, leaf))
        self.size += 1
        while len(self._stack) > 1 and self._stack[-1][0] == self._stack[-2][0]:
            (count, right), (_, left) = self._stack.pop(), self._stack.pop()
            self._stack.append((2 * count, node_hash(left, right)))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = node_hash(left, digest)
        return digest


@dataclass
class LedgerVerification:
    """What :func:`verify_ledger` found."""

    entries: int = 0
    checkpoints: int = 0
    blobs_checked: int = 0
    problems: list[str] = field(default_factory=list)
    """Each a failure: something was altered, removed or forged."""
    warnings: list[str] = field(default_factory=list)
    """Explained oddities that are not tampering (e.g. an interrupted write's orphan file)."""
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def _bad_entry(self, seq: int, message: str) -> None:
        if self.first_bad_entry is None or seq < self.first_bad_entry:
            self.first_bad_entry = seq
        self.problems.append(message)


def verify_ledger(
    ledger: Ledger, verifier: NoteVerifier | str, *, blob_root: Path | None = None
) -> LedgerVerification:
    """Check everything; never raises for tampering, reports it instead."""
    result = LedgerVerification()
    signed = _open_checkpoints(ledger, verifier, result)
    _check_entries(ledger.database, signed, result)
    _check_consistency(ledger, signed, result)
    if blob_root is not None:
        _check_blobs(ledger.database, blob_root, result)
    return result


def _open_checkpoints(
    ledger: Ledger, verifier: NoteVerifier | str, result: LedgerVerification
) -> dict[int, Checkpoint]:
    signed: dict[int, Checkpoint] = {}
    for size, note in ledger.checkpoints():
        result.checkpoints += 1
        try:
            checkpoint, _names = open_checkpoint(note, [verifier], origin=ledger.origin)
        except LedgerError as exc:
            result.problems.append(f"checkpoint at size {size}: {exc} (forged or altered)")
            continue
        if checkpoint.size != size:
            result.problems.append(f"checkpoint stored at size {size} signs size {checkpoint.size}")
            continue
        signed[size] = checkpoint
    return signed


def _rows(database: Database) -> Iterator[tuple[int, str, bytes | None]]:
    with database.session() as session:
        query = (
            select(LedgerEntryRecord.seq, LedgerEntryRecord.entry, LedgerNodeRecord.hash)
            .outerjoin(
                LedgerNodeRecord,
                and_(LedgerNodeRecord.level == 0, LedgerNodeRecord.idx == LedgerEntryRecord.seq),
            )
            .order_by(LedgerEntryRecord.seq)
            .execution_options(yield_per=_CHUNK)
        )
        for seq, entry, node in session.execute(query):
            yield seq, entry, None if node is None else bytes(node)


def _check_entries(database: Database, signed: dict[int, Checkpoint], result: LedgerVerification) -> None:
    tree = CompactRange()
    broken = False
    artifacts: dict[str, tuple[int, str]] = {}
    for seq, entry_text, stored_leaf in _rows(database):
        result.entries += 1
        if seq != tree.size and not broken:
            result._bad_entry(
                tree.size, f"entry {tree.size} is missing: deleted, or the sequence was rewritten"
            )
            broken = True
        try:
            entry = decode_entry(entry_text)
        except ValueError:
            result._bad_entry(seq, f"entry {seq} is not a ledger entry any more (edited)")
            entry = {}
        if entry and entry.get("seq") != seq:
            result._bad_entry(seq, f"entry {seq} says it is entry {entry.get('seq')}: entries were reordered")
        leaf = leaf_hash(entry_text.encode("utf-8"))
        if stored_leaf != leaf:
            result._bad_entry(
                seq, f"entry {seq} was modified after it was recorded (its hash is not the tree's)"
            )
        tree.append(leaf)
        for blob_id, digest in (entry.get("artifacts") or {}).items():
            artifacts[blob_id] = (seq, digest)
        if len(artifacts) >= _CHUNK:
            _check_artifacts(database, artifacts, result)
        checkpoint = signed.get(tree.size)
        if checkpoint is not None and checkpoint.root_hash != tree.root():
            result.problems.append(
                f"the tree of the first {tree.size} entries does not match the checkpoint signed at "
                "that size: entries before it were altered, removed or reordered"
            )
    _check_artifacts(database, artifacts, result)
    for size in sorted(signed):
        if size > tree.size:
            result.problems.append(
                f"a checkpoint signs {size} entries but only {tree.size} are stored: entries were deleted"
            )
    unsigned = tree.size - max(signed, default=0)
    if unsigned > 0:
        result.warnings.append(
            f"the last {unsigned} entries are not covered by a signed checkpoint yet; "
            "`quitus audit checkpoint` signs one"
        )
    if 0 in signed and signed[0].root_hash != EMPTY_ROOT:
        result.problems.append("the empty checkpoint has a non-empty root")


def _check_artifacts(
    database: Database, artifacts: dict[str, tuple[int, str]], result: LedgerVerification
) -> None:
    """The blob table must still carry the ciphertext hash the ledger recorded."""
    if not artifacts:
        return
    # One array parameter, not thousands of bound ones (their compilation dominated the run).
    if database.dialect == "postgresql":
        query = text("SELECT id, ciphertext_sha256 FROM blobs WHERE id = ANY(:ids)")
        ids: object = list(artifacts)
    else:
        query = text(
            "SELECT id, ciphertext_sha256 FROM blobs WHERE id IN (SELECT value FROM json_each(:ids))"
        )
        ids = json.dumps(list(artifacts))
    with database.engine.connect() as connection:
        for blob_id, digest in connection.execute(query, {"ids": ids}):
            seq, recorded = artifacts[blob_id]
            if digest != recorded:
                result.problems.append(f"blob {blob_id}: its recorded hash differs from ledger entry {seq}")
    artifacts.clear()


def _check_consistency(ledger: Ledger, signed: dict[int, Checkpoint], result: LedgerVerification) -> None:
    sizes = sorted(s for s in signed if s > 0)
    for old, new in itertools.pairwise(sizes):
        try:
            proof = ledger.consistency_proof(old, new)
        except LedgerError as exc:
            result.problems.append(f"cannot prove checkpoint {old} → {new} consistent: {exc}")
            continue
        if not verify_consistency(old, new, signed[old].root_hash, signed[new].root_hash, proof):
            result.problems.append(
                f"checkpoints at sizes {old} and {new} are not consistent: history was rewritten"
            )


def _check_blobs(database: Database, root: Path, result: LedgerVerification) -> None:
    known: set[tuple[str, str]] = set()
    with database.session() as session:
        erased = set(session.scalars(select(ReportRecord.id).where(ReportRecord.state == ReportState.ERASED)))
        for blob in _all_blobs(session):
            known.add((blob.report_id, blob.id))
            if blob.report_id in erased:
                continue
            path = root / blob.report_id / blob.id
            result.blobs_checked += 1
            try:
                digest = _sha256_file(path)
            except FileNotFoundError:
                result.problems.append(f"blob {blob.id} of report {blob.report_id} is missing")
                continue
            if digest != blob.ciphertext_sha256:
                result.problems.append(
                    f"blob {blob.id} of report {blob.report_id} was modified (hash differs)"
                )
    for path in _files(root):
        report_id, blob_id = path.parent.name, path.name
        if report_id == DELETION_JOURNALS:
            result.warnings.append(
                f"{path}: deletion journal of an erasure in progress or interrupted; the next erasure "
                "(`quitus retention run`, `quitus reports shred`) deletes the files it names and removes "
                "it: do not delete it by hand"
            )
        elif report_id in erased:
            result.warnings.append(
                f"{path}: left over from erasing report {report_id} (unreadable: its key is destroyed); "
                "the next erasure (`quitus retention run`, `quitus reports shred`) deletes the files of "
                "an interrupted one; otherwise safe to delete"
            )
        elif (report_id, blob_id) not in known:
            result.warnings.append(
                f"{path}: orphan from an interrupted write (no database row refers to it; it was never "
                "part of a report); safe to delete"
            )


def _all_blobs(session: Session) -> Iterable[BlobRecord]:
    return session.scalars(select(BlobRecord).execution_options(yield_per=_CHUNK))


def _files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for directory in sorted(root.iterdir()):
            if directory.is_dir():
                yield from sorted(p for p in directory.iterdir() if p.is_file())


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
