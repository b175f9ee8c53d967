"""Full verification of the audit ledger and of the blobs it vouches for.

:func:`verify_ledger` recomputes the Merkle tree from every stored entry (streaming,
O(log n) memory), checks each signed checkpoint's signature and root, checks that
successive checkpoints are consistent using the stored tree, and compares every blob
file with the hash of its ciphertext. It names the first bad entry.

The database alone cannot show a rollback: deleting the last entries with their nodes and
checkpoints leaves a smaller ledger that is consistent with itself. So it also proves each
checkpoint remembered in ``checkpoints.log`` (:mod:`storage.ledger.anchors`, outside the
database) consistent with the current tree — a ledger smaller than one was truncated, one
with another root at its size was rewritten — and it counts as not intact a ledger whose
last entries no checkpoint signs: whoever appends without the key can only add entries
that no checkpoint covers. The columns stored beside each entry (``report_id``, ``step``,
``recorded_at``), which no hash covers but which select a report's entries, are compared
with the entry itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, select, text, type_coerce
from sqlalchemy.orm import Session

from storage.blobs import DELETION_JOURNALS
from storage.database import Database
from storage.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint, parse_verifier_key
from storage.ledger.entry_mac import mac_verifies
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
    remembered: int = 0
    """Checkpoints read from ``checkpoints.log`` (outside the database)."""
    blobs_checked: int = 0
    signed_size: int = 0
    """Size of the largest signed checkpoint that the ledger still contains."""
    problems: list[str] = field(default_factory=list)
    """Each a failure: something was altered, removed or forged — or is not signed yet."""
    warnings: list[str] = field(default_factory=list)
    """Explained oddities that are not tampering (e.g. an interrupted write's orphan file)."""
    unsigned_tail: str | None = None
    """When entries follow the last signed checkpoint, the problem that says so (also in ``problems``)."""
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        """Intact: nothing altered, removed or forged, and every entry covered by a signed checkpoint."""
        return not self.problems

    @property
    def tampered(self) -> bool:
        """Something was altered, removed or forged; an unsigned tail alone is not that, and may be signed."""
        return any(problem != self.unsigned_tail for problem in self.problems)

    def _bad_entry(self, seq: int, message: str) -> None:
        if self.first_bad_entry is None or seq < self.first_bad_entry:
            self.first_bad_entry = seq
        self.problems.append(message)


@dataclass(frozen=True)
class _Remembered:
    checkpoint: Checkpoint
    line: int
    """Where ``checkpoints.log`` holds it."""


def verify_ledger(
    ledger: Ledger, verifier: NoteVerifier | str, *, blob_root: Path | None = None
) -> LedgerVerification:
    """Check everything; never raises for tampering, reports it instead.

    ``verifier``: the published key. The checkpoints remembered outside the database are
    those of ``ledger.anchors`` (none when it is ``None``).
    """
    result = LedgerVerification()
    trusted = verifier if isinstance(verifier, NoteVerifier) else parse_verifier_key(verifier)
    stored, signed = _open_checkpoints(ledger, trusted, result)
    remembered = _open_remembered(ledger, trusted, result)
    unvouched: list[int] = []
    roots = _check_entries(ledger.database, signed, set(remembered), result, ledger.mac_key, unvouched)
    _check_consistency(ledger, signed, result)
    _check_remembered(ledger, stored, remembered, roots, result)
    _check_signed_to_the_end(signed, remembered, result)
    _check_tail_macs(unvouched, result)
    if blob_root is not None:
        _check_blobs(ledger.database, blob_root, result)
    return result


def _open_checkpoints(
    ledger: Ledger, verifier: NoteVerifier, result: LedgerVerification
) -> tuple[set[int], dict[int, Checkpoint]]:
    """The sizes of the checkpoints in the database, and those whose signature and origin hold."""
    stored: set[int] = set()
    signed: dict[int, Checkpoint] = {}
    for size, note in ledger.checkpoints():
        result.checkpoints += 1
        stored.add(size)
        try:
            checkpoint, _names = open_checkpoint(note, [verifier])
        except LedgerError as exc:
            result.problems.append(f"checkpoint at size {size}: {exc} (forged or altered)")
            continue
        if checkpoint.origin not in ledger.origins:
            result.problems.append(
                f"checkpoint at size {size} is from log {checkpoint.origin!r}, not {ledger.origin!r}"
            )
            continue
        if checkpoint.size != size:
            result.problems.append(f"checkpoint stored at size {size} signs size {checkpoint.size}")
            continue
        signed[size] = checkpoint
    return stored, signed


def _open_remembered(
    ledger: Ledger, verifier: NoteVerifier, result: LedgerVerification
) -> dict[int, _Remembered]:
    """The checkpoints of ``checkpoints.log`` by size; two different ones at one size are a fork."""
    anchors = ledger.anchors
    if anchors is None:
        return {}
    if not anchors.exists():
        result.warnings.append(
            f"{anchors.path} does not exist: no checkpoint is remembered outside the database yet, so a "
            "rollback of the ledger cannot be seen; the next checkpoint starts it (any command that "
            "records an event, or `quitus audit checkpoint`)"
        )
        return {}
    records, damaged = anchors.records()
    result.warnings.extend(f"{anchors.path}, {part}: not a checkpoint, ignored" for part in damaged)
    remembered: dict[int, _Remembered] = {}
    for record in records:
        try:
            checkpoint, _names = open_checkpoint(record.note, [verifier])
        except LedgerError as exc:
            result.warnings.append(
                f"{anchors.path}, line {record.line}: ignored, not signed by the ledger key: {exc}"
            )
            continue
        if checkpoint.origin not in ledger.origins:
            result.warnings.append(
                f"{anchors.path}, line {record.line}: ignored, a checkpoint of log {checkpoint.origin!r}"
            )
            continue
        result.remembered += 1
        earlier = remembered.setdefault(checkpoint.size, _Remembered(checkpoint, record.line))
        if earlier.checkpoint.root_hash != checkpoint.root_hash:
            result.problems.append(
                f"forked: two different trees of {checkpoint.size} entries were signed ({anchors.path}, "
                f"lines {earlier.line} and {record.line})"
            )
    return remembered


def _rows(
    database: Database,
) -> Iterator[tuple[int, str, bytes | None, str | None, str, object, str | None]]:
    with database.session() as session:
        query = (
            select(
                LedgerEntryRecord.seq,
                LedgerEntryRecord.entry,
                LedgerNodeRecord.hash,
                LedgerEntryRecord.report_id,
                LedgerEntryRecord.step,
                # The stored text on SQLite, where an edit may put anything there; a timestamp on PostgreSQL.
                type_coerce(LedgerEntryRecord.recorded_at, String),
                LedgerEntryRecord.mac,
            )
            .outerjoin(
                LedgerNodeRecord,
                and_(LedgerNodeRecord.level == 0, LedgerNodeRecord.idx == LedgerEntryRecord.seq),
            )
            .order_by(LedgerEntryRecord.seq)
            .execution_options(yield_per=_CHUNK)
        )
        for seq, entry, node, report_id, step, recorded_at, mac in session.execute(query):
            yield seq, entry, None if node is None else bytes(node), report_id, step, recorded_at, mac


def _check_entries(
    database: Database,
    signed: dict[int, Checkpoint],
    remembered: set[int],
    result: LedgerVerification,
    mac_key: bytes,
    unvouched: list[int],
) -> dict[int, bytes]:
    """Recompute the tree; returns its root at each size in ``remembered`` and at its own size.

    ``unvouched`` receives the entries without a valid entry MAC (they must be signed)."""
    tree = CompactRange()
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    broken = False
    artifacts: dict[str, tuple[int, str]] = {}
    for seq, entry_text, stored_leaf, report_id, step, recorded_at, mac in _rows(database):
        result.entries += 1
        if not mac_verifies(mac_key, entry_text.encode("utf-8"), mac):
            unvouched.append(seq)
        if seq != tree.size and not broken:
            result._bad_entry(
                tree.size, f"entry {tree.size} is missing: deleted, or the sequence was rewritten"
            )
            broken = True
        entry = _decoded(seq, entry_text, result)
        if entry:
            _check_columns(seq, entry, (report_id, step, recorded_at), result)
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
        if checkpoint is not None or tree.size in remembered:
            roots[tree.size] = tree.root()
        if checkpoint is not None and checkpoint.root_hash != roots[tree.size]:
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
    if 0 in signed and signed[0].root_hash != EMPTY_ROOT:
        result.problems.append("the empty checkpoint has a non-empty root")
    roots[tree.size] = tree.root()
    return roots


def _decoded(seq: int, entry_text: str, result: LedgerVerification) -> dict[str, Any]:
    """The entry's JSON object ({} when it is not one any more)."""
    try:
        entry = decode_entry(entry_text)
    except ValueError:
        result._bad_entry(seq, f"entry {seq} is not a ledger entry any more (edited)")
        return {}
    if entry.get("seq") != seq:
        result._bad_entry(seq, f"entry {seq} says it is entry {entry.get('seq')}: entries were reordered")
    return entry


def _check_columns(
    seq: int, entry: dict[str, Any], columns: tuple[str | None, str, object], result: LedgerVerification
) -> None:
    """The columns beside an entry select it (a report's bundle, holds, reviews): they must say
    what the hashed entry says."""
    report_id, step, recorded_at = columns
    if report_id != entry.get("report"):
        result._bad_entry(
            seq,
            f"entry {seq}: its report_id column says {report_id!r} but the signed entry says "
            f"{entry.get('report')!r}: the column was edited (it decides whose events these are)",
        )
    if step != entry.get("step"):
        result._bad_entry(
            seq,
            f"entry {seq}: its step column says {step!r} but the signed entry says {entry.get('step')!r}: "
            "the column was edited",
        )
    if _utc_text(recorded_at) != entry.get("time"):
        result._bad_entry(
            seq,
            f"entry {seq}: its recorded_at column says {recorded_at!s} but the signed entry says "
            f"{entry.get('time')}: the column was edited",
        )


def _utc_text(value: object) -> str | None:
    """A stored ``recorded_at`` as an entry writes its time; None when it is not a time."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # SQLite keeps the UTC time without its zone
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_remembered(
    ledger: Ledger,
    stored: set[int],
    remembered: dict[int, _Remembered],
    roots: dict[int, bytes],
    result: LedgerVerification,
) -> None:
    """Each checkpoint remembered outside the database must be a prefix of the current tree."""
    if not remembered:
        return
    where = ledger.anchors.path if ledger.anchors is not None else "checkpoints.log"
    size = result.entries
    beyond = sorted(s for s in remembered if s > size)
    if beyond:
        largest = remembered[beyond[-1]]
        others = (
            f"; {len(beyond) - 1} other remembered checkpoint(s) are larger too" if len(beyond) > 1 else ""
        )
        result.problems.append(
            f"truncated: the ledger holds {size} entries, but a checkpoint of {largest.checkpoint.size} "
            f"entries was signed ({where}, line {largest.line}): entries were removed from its end "
            f"(a rollback){others}"
        )
    forked = sorted(s for s in remembered if s <= size and roots[s] != remembered[s].checkpoint.root_hash)
    if forked:
        first = remembered[forked[0]]
        others = f"; so are {len(forked) - 1} later remembered checkpoint(s)" if len(forked) > 1 else ""
        result.problems.append(
            f"forked: the first {first.checkpoint.size} entries are not the ones signed at that size "
            f"({where}, line {first.line}): the ledger's history was rewritten{others}"
        )
    current = roots[size]
    for old in sorted(s for s in remembered if 0 < s <= size and s not in forked):
        try:
            proof = ledger.consistency_proof(old, size)
        except LedgerError as exc:
            result.problems.append(
                f"cannot prove the checkpoint of {old} entries ({where}) consistent: {exc}"
            )
            continue
        if not verify_consistency(old, size, remembered[old].checkpoint.root_hash, current, proof):
            result.problems.append(
                f"the stored tree does not prove the checkpoint of {old} entries ({where}, line "
                f"{remembered[old].line}) consistent with the {size} entries: tree nodes were altered"
            )
    missing = sorted(s for s in remembered if s <= size and s not in stored)
    if missing:
        sizes = ", ".join(str(s) for s in missing[:5]) + (", …" if len(missing) > 5 else "")
        result.problems.append(
            f"{len(missing)} signed checkpoint(s) remembered in {where} are missing from the database "
            f"(sizes {sizes}): checkpoints were deleted"
        )


def _check_signed_to_the_end(
    signed: dict[int, Checkpoint], remembered: dict[int, _Remembered], result: LedgerVerification
) -> None:
    """Entries after the last signed checkpoint are vouched for by no key: the ledger is not intact."""
    size = result.entries
    result.signed_size = max((s for s in (*signed, *remembered) if s <= size), default=0)
    unsigned = size - result.signed_size
    if unsigned <= 0:
        return
    last = f"size {result.signed_size}" if result.signed_size or 0 in signed else "none is signed"
    result.unsigned_tail = (
        f"{unsigned} {'entry' if unsigned == 1 else 'entries'} after the last signed checkpoint ({last}): "
        "run `quitus audit checkpoint`"
    )
    result.problems.append(result.unsigned_tail)


def _check_tail_macs(unvouched: list[int], result: LedgerVerification) -> None:
    """An entry that no checkpoint signs must carry quitus's MAC: otherwise someone with the
    database alone wrote it (and ``audit checkpoint`` will not sign it)."""
    forged = [seq for seq in unvouched if seq >= result.signed_size]
    if not forged:
        return
    shown = ", ".join(str(seq) for seq in forged[:10])
    if len(forged) > 10:
        shown += f" and {len(forged) - 10} more"
    result._bad_entry(
        forged[0],
        f"{len(forged)} {'entry' if len(forged) == 1 else 'entries'} after the last signed checkpoint "
        f"({shown}) not written by quitus: no valid entry MAC (forged with the database alone)",
    )


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
