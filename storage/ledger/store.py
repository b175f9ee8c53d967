"""The audit ledger in the database: append, checkpoint, prove.

Entries, tree nodes and checkpoints are insert-only (database triggers refuse updates
and deletes). Each append runs inside the caller's transaction, so an event is
recorded if and only if the step it describes is. The one-row ``ledger_head`` table
is locked by every append: appends are serialized, sequence numbers have no gaps.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import TextClause, insert, select, text
from sqlalchemy.orm import Session

from storage.database import Database, lock_for_write
from storage.ledger.anchors import CheckpointLog, RememberedCheckpoint
from storage.ledger.checkpoint import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint, sign_checkpoint
from storage.ledger.entry_mac import entry_mac, entry_mac_key, mac_verifies
from storage.ledger.errors import ForgedEntryError, LedgerError, RollbackError
from storage.ledger.events import LedgerEvent, encode_entry
from storage.ledger.merkle import (
    EMPTY_ROOT,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    nodes_completed_by_append,
    root_hash,
)
from storage.ledger.steps import LedgerStep
from storage.models import (
    LedgerCheckpointRecord,
    LedgerEntryRecord,
    LedgerHeadRecord,
    LedgerNodeRecord,
    utcnow,
)

__all__ = ["Ledger", "StoredEntry", "origin_for"]

_T = TypeVar("_T")


def origin_for(key: NoteSigner | NoteVerifier) -> str:
    """``quitus.ledger/<key id>``: a name for this installation's ledger, nothing about anyone.

    ``quitus.wiring.ledger_signer`` names the key after a provisional signer called
    ``quitus.ledger``; checkpoints signed before their origin line was the key name carry
    ``origin_for`` of the named key instead (:attr:`Ledger.origins` accepts both)."""
    return f"quitus.ledger/{key.key_id.hex()}"


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    entry: bytes


class _NodeReader:
    """Reads perfect nodes from the database, with not-yet-inserted ones on top."""

    def __init__(self, session: Session, pending: dict[tuple[int, int], bytes] | None = None) -> None:
        self.session = session
        self.pending = pending if pending is not None else {}

    def perfect_node(self, level: int, index: int) -> bytes:
        found = self.pending.get((level, index))
        if found is not None:
            return found
        value = self.session.scalar(
            select(LedgerNodeRecord.hash).where(
                LedgerNodeRecord.level == level, LedgerNodeRecord.idx == index
            )
        )
        if value is None:
            raise KeyError((level, index))
        return bytes(value)


@functools.cache
def _node_lookup(count: int) -> TextClause:
    return text(
        " UNION ALL ".join(
            f"SELECT level, idx, hash FROM ledger_nodes WHERE level = :l{n} AND idx = :i{n}"  # noqa: S608 - n is an int
            for n in range(count)
        )
    )


def _prefetched(session: Session, compute: Callable[[NodeReader], _T]) -> _T:
    """Run a proof computation with one query: the nodes a proof needs depend only on its
    sizes, so a first pass with placeholder hashes records which, and one query fetches them."""
    wanted: list[tuple[int, int]] = []

    class _Recorder:
        def perfect_node(self, level: int, index: int) -> bytes:
            wanted.append((level, index))
            return b"\x00" * 32

    compute(_Recorder())
    nodes: dict[tuple[int, int], bytes] = {}
    if wanted:
        # A UNION ALL of point lookups: each uses the primary key (a row-value IN does not, on
        # SQLite); plain SQL text, because compiling the equivalent expression costs more than the query.
        keys = sorted(set(wanted))
        params = {f"l{n}": level for n, (level, _) in enumerate(keys)}
        params.update({f"i{n}": index for n, (_, index) in enumerate(keys)})
        rows = session.execute(_node_lookup(len(keys)), params)
        nodes = {(level, idx): bytes(digest) for level, idx, digest in rows}

    class _Prefetched:
        def perfect_node(self, level: int, index: int) -> bytes:
            return nodes[(level, index)]

    return compute(_Prefetched())


class Ledger:
    """Append events, sign checkpoints, serve inclusion and consistency proofs."""

    def __init__(
        self, database: Database, signer: NoteSigner, *, anchors: CheckpointLog | None = None
    ) -> None:
        self.database = database
        self.signer = signer
        self.origin = signer.name
        """The origin line of the checkpoints it signs: the key name, as C2SP signed-note asks."""
        self.origins = (signer.name, origin_for(signer))
        """Origins its checkpoints may carry: the key name, and the one written before they were the same."""
        self.anchors = anchors
        """``checkpoints.log`` outside the database, which every signed checkpoint is appended to."""
        self.appended = 0
        """Events this object appended (committed or not): a caller that sees it grow checkpoints."""
        self.mac_key = entry_mac_key(signer)
        """The key of the entries' MACs (:mod:`storage.ledger.entry_mac`); never stored."""

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, session: Session, events: Sequence[LedgerEvent], *, now: dt.datetime | None = None
    ) -> list[int]:
        """Append ``events`` in the caller's transaction; returns their sequence numbers."""
        if not events:
            return []
        lock_for_write(session)  # on SQLite, FOR UPDATE alone would let two writers read one head
        head = session.get(LedgerHeadRecord, 1, with_for_update=True)
        if head is None:
            raise RuntimeError("ledger_head row missing: the database was not migrated by quitus")
        recorded_at = now or utcnow()
        pending: dict[tuple[int, int], bytes] = {}
        reader = _NodeReader(session, pending)
        entries = []
        first = size = head.size
        for event in events:
            entry = encode_entry(size, recorded_at, event)
            for level, index, digest in nodes_completed_by_append(size, leaf_hash(entry), reader):
                pending[(level, index)] = digest
            entries.append(
                {
                    "seq": size,
                    "report_id": event.report_id,
                    "step": event.step.value,
                    "recorded_at": recorded_at,
                    "entry": entry.decode("ascii"),
                    "mac": entry_mac(self.mac_key, entry),
                }
            )
            size += 1
        nodes = [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in pending.items()]
        # executemany: psycopg 3 pipelines it; a multi-row VALUES statement is recompiled
        # by SQLAlchemy every time and measured 3x slower on PostgreSQL.
        session.execute(insert(LedgerEntryRecord), entries)
        session.execute(insert(LedgerNodeRecord), nodes)
        head.size = size
        self.appended += len(entries)
        return list(range(first, size))

    def record(self, *events: LedgerEvent) -> list[int]:
        """Append in a transaction of its own (for events not tied to another change)."""
        with self.database.session() as session:
            return self.append(session, events)

    def checkpoint(self) -> tuple[int, str]:
        """Sign a checkpoint of the current size (reused if that size was already signed).

        With :attr:`anchors`, the checkpoint is also appended to ``checkpoints.log``, and it is
        refused (:class:`RollbackError`) when the ledger is smaller than the last checkpoint
        remembered there, or has another root at its size: a cheap check, O(log n), so that no
        routine checkpoint signs over a rollback; ``audit verify`` checks every remembered one.
        """
        if self.anchors is None:
            return self._checkpoint(None)
        with self.anchors.locked() as log:
            # Under the lock: this host's records follow the ledger's growth in order.
            last = log.last()
            size, note = self._checkpoint(last)
            if last is None or last.note != note:
                log.append(note)  # after the commit: a remembered checkpoint is always in the database
            return size, note

    def _checkpoint(self, remembered: RememberedCheckpoint | None) -> tuple[int, str]:
        with self.database.session() as session:
            size = self._size(session)
            if remembered is not None:
                self._check_not_rolled_back(session, size, remembered)
            existing = session.get(LedgerCheckpointRecord, size)
            if existing is not None:
                return size, existing.note
            self._check_tail_is_ours(session, size, remembered)
            root = _prefetched(session, lambda reader: root_hash(size, reader)) if size else EMPTY_ROOT
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
            session.add(LedgerCheckpointRecord(size=size, note=note, created_at=utcnow()))
            return size, note

    def _check_tail_is_ours(
        self, session: Session, size: int, remembered: RememberedCheckpoint | None
    ) -> None:
        """Refuse to sign entries that no key vouches for yet unless quitus wrote them (their MAC)."""
        signed = self._last_signed_size(session, size, remembered)
        rows = session.execute(
            select(LedgerEntryRecord.seq, LedgerEntryRecord.entry, LedgerEntryRecord.mac)
            .where(LedgerEntryRecord.seq >= signed, LedgerEntryRecord.seq < size)
            .order_by(LedgerEntryRecord.seq)
        )
        for seq, entry, mac in rows:
            if not mac_verifies(self.mac_key, entry.encode("utf-8"), mac):
                raise ForgedEntryError(
                    f"ledger entry {seq}, after the last signed checkpoint (size {signed}), was not written "
                    "by quitus (no valid entry MAC): nothing is signed over it — run `quitus audit verify`"
                )

    def _last_signed_size(self, session: Session, size: int, remembered: RememberedCheckpoint | None) -> int:
        """The largest size at most ``size`` that a checkpoint of this key signs."""
        best = 0
        notes = [remembered.note] if remembered is not None else []
        notes += session.scalars(
            select(LedgerCheckpointRecord.note)
            .where(LedgerCheckpointRecord.size <= size)
            .order_by(LedgerCheckpointRecord.size.desc())
            .limit(3)
        ).all()
        for note in notes:
            try:
                checkpoint, _ = open_checkpoint(note, [self.signer.verifier_key()])
            except LedgerError:
                continue  # not signed by this key: it vouches for nothing
            if checkpoint.origin in self.origins and best < checkpoint.size <= size:
                best = checkpoint.size
        return best

    def _check_not_rolled_back(self, session: Session, size: int, remembered: RememberedCheckpoint) -> None:
        try:
            checkpoint, _ = open_checkpoint(remembered.note, [self.signer.verifier_key()])
        except LedgerError:
            return  # not a checkpoint of this key: `audit verify` reports it, it proves nothing here
        if checkpoint.origin not in self.origins:
            return
        where = self.anchors.path if self.anchors is not None else "checkpoints.log"
        if checkpoint.size > size:
            raise RollbackError(
                f"the ledger holds {size} entries, but a checkpoint of {checkpoint.size} entries was signed "
                f"(remembered in {where}): the ledger was truncated or rolled back; "
                "nothing is signed over it — run `quitus audit verify`"
            )
        old = checkpoint.size
        root = _prefetched(session, lambda reader: root_hash(old, reader)) if old else EMPTY_ROOT
        if root != checkpoint.root_hash:
            raise RollbackError(
                f"the first {old} entries of the ledger are not the ones signed at that size "
                f"(remembered in {where}): its history was rewritten; nothing is signed over it — "
                "run `quitus audit verify`"
            )

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _size(session: Session) -> int:
        head = session.get(LedgerHeadRecord, 1)
        return 0 if head is None else head.size

    def size(self) -> int:
        with self.database.session() as session:
            return self._size(session)

    def vouched(self, seq: int, entry: str, mac: str | None, signed_size: int) -> bool:
        """Whether quitus wrote this entry: its MAC holds, or (older entries, stored before
        MACs) a checkpoint signed by this key covers it."""
        if mac is not None:
            return mac_verifies(self.mac_key, entry.encode("utf-8"), mac)
        return seq < signed_size

    def check_not_rolled_back(self) -> None:
        """Raise :class:`RollbackError` when the ledger is smaller than, or differs from, the
        last checkpoint remembered in ``checkpoints.log`` (outside the database): entries
        deleted from its end (triggers dropped) would otherwise undo a hold or a date."""
        if self.anchors is None:
            return
        with self.anchors.locked() as log:
            last = log.last()
        if last is None:
            return
        with self.database.session() as session:
            self._check_not_rolled_back(session, self._size(session), last)

    def signed_size(self, session: Session) -> int:
        """The largest ledger size a checkpoint in the database, signed by this key, covers."""
        return self._last_signed_size(session, self._size(session), None)

    def latest_checkpoint(self) -> tuple[int, str] | None:
        with self.database.session() as session:
            row = session.scalars(
                select(LedgerCheckpointRecord).order_by(LedgerCheckpointRecord.size.desc()).limit(1)
            ).first()
            return None if row is None else (row.size, row.note)

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        with self.database.session() as session:
            for row in session.scalars(select(LedgerCheckpointRecord).order_by(LedgerCheckpointRecord.size)):
                yield row.size, row.note

    def last_entry(self, step: LedgerStep) -> StoredEntry | None:
        """The latest entry of this step (e.g. the last recorded policy-set change)."""
        with self.database.session() as session:
            row = session.execute(
                select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
                .where(LedgerEntryRecord.step == step)
                .order_by(LedgerEntryRecord.seq.desc())
                .limit(1)
            ).first()
            return None if row is None else StoredEntry(row.seq, row.entry.encode("ascii"))

    def entries_with_step(self, *steps: str, installation_wide: bool = False) -> list[StoredEntry]:
        """Every entry of these steps, oldest first (e.g. the legal holds placed and released).

        ``installation_wide``: only the entries about no report (holds, policy changes), found
        through the report index — a few rows, where the ``step`` column alone means reading
        the whole ledger. Selected by the columns, which the leaf hash does not cover: a
        reader that must not be fooled decodes each entry and checks it (``audit verify``
        compares the retention entries' columns with their text)."""
        query = select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(
            LedgerEntryRecord.step.in_(list(steps))
        )
        if installation_wide:
            query = query.where(LedgerEntryRecord.report_id.is_(None))
        with self.database.session() as session:
            rows = session.execute(query.order_by(LedgerEntryRecord.seq))
            return [StoredEntry(seq, entry.encode("ascii")) for seq, entry in rows]

    def entries_for_report(self, report_id: str) -> list[StoredEntry]:
        with self.database.session() as session:
            rows = session.execute(
                select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
                .where(LedgerEntryRecord.report_id == report_id)
                .order_by(LedgerEntryRecord.seq)
            )
            return [StoredEntry(seq, entry.encode("ascii")) for seq, entry in rows]

    def inclusion_proof(self, seq: int, size: int) -> list[bytes]:
        with self.database.session() as session:
            return _prefetched(session, lambda reader: inclusion_proof(seq, size, reader))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self.database.session() as session:
            return _prefetched(session, lambda reader: consistency_proof(old_size, new_size, reader))

    def root(self, size: int) -> bytes:
        if not size:
            return EMPTY_ROOT
        with self.database.session() as session:
            return _prefetched(session, lambda reader: root_hash(size, reader))
