"""Export a report's proof bundle (format in :mod:`storage.ledger.bundle`): record the export
entry and read the history it commits to in one transaction, then prove each entry.

What goes into the bundle besides the ledger — which documents, read how, which holds
covered the report — is decided by the caller: :func:`retention.proof_export.export_proof`
applies the access rules and the hold scopes; this module only records and assembles.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.database import lock_for_write
from storage.hold_store import HOLD_STEPS, LedgerHold, ledger_holds
from storage.ledger.bundle import build_bundle, export_details, listed_files
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.ledger.store import StoredEntry
from storage.models import LedgerEntryRecord, LedgerHeadRecord
from storage.report_store import ReportStore

__all__ = ["HoldsCovering", "export_report_proof"]

HoldsCovering = Callable[[Mapping[str, LedgerHold]], Collection[str]]
"""Given the holds the ledger records (by id; those placed before the report's disposal, if
any), the ids of those whose scope covers the report."""


def export_report_proof(
    store: ReportStore,
    report_id: str,
    *,
    verifier_key: str,
    documents: Mapping[str, bytes] | None = None,
    policies: Mapping[str, str] | None = None,
    holds_covering: HoldsCovering | None = None,
    checkpoint: Callable[[], tuple[int, str]] | None = None,
) -> bytes:
    """The bundle's bytes; the export itself is the bundle's last entry (``proof.export``).

    ``documents``: files for ``documents/`` (names in :data:`storage.ledger.bundle.DOCUMENT_NAMES`)
    that the caller was allowed to read. ``holds_covering``: which holds to include, with
    their ``hold.place`` and ``hold.release`` entries (none without it). ``checkpoint``:
    signs the checkpoint the bundle's proofs lead to, after the export entry (by default
    :meth:`Ledger.checkpoint`; one that has a witness cosign it gives a cosigned note).

    Raises:
        ReportNotFoundError: no such report.
    """
    store.get(report_id)
    listed = listed_files(report_id, documents, policies)
    with store.database.session() as session:
        _lock_ledger(session)
        # Under the lock: no entry can be appended between the history read and the export
        # entry that commits to it.
        history = _history(session, report_id, holds_covering)
        event = LedgerEvent(
            step=LedgerStep.PROOF_EXPORT,
            actor=store.actor,
            outcome="exported",
            report_id=report_id,
            details=export_details(history, listed),
        )
        (seq,) = store.ledger.append(session, [event])
        entry = session.scalar(select(LedgerEntryRecord.entry).where(LedgerEntryRecord.seq == seq))
        assert entry is not None  # appended above, in this transaction
    signed = (checkpoint or store.ledger.checkpoint)()
    return build_bundle(
        [*history, StoredEntry(seq, entry.encode("ascii"))],
        checkpoint=signed,
        verifier_key=verifier_key,
        listed=listed,
        inclusion_proof=store.ledger.inclusion_proof,
    )


def _lock_ledger(session: Session) -> None:
    """Take the lock every append takes, before the history is read: ``BEGIN IMMEDIATE`` on
    SQLite (where ``FOR UPDATE`` does nothing), the ``ledger_head`` row lock on PostgreSQL."""
    lock_for_write(session)
    session.get(LedgerHeadRecord, 1, with_for_update=True)


def _history(session: Session, report_id: str, holds_covering: HoldsCovering | None) -> list[StoredEntry]:
    """The report's entries and those of the holds that covered it, in ledger order.

    Rows are found by their columns and kept by what the signed entry says (a column
    edited by hand neither adds nor hides an entry here; ``audit verify`` reports it)."""
    query = select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(
        or_(
            LedgerEntryRecord.report_id == report_id,
            LedgerEntryRecord.report_id.is_(None) & LedgerEntryRecord.step.in_([s.value for s in HOLD_STEPS]),
        )
    )
    own: list[StoredEntry] = []
    holds: list[tuple[int, dict[str, Any], StoredEntry]] = []
    for seq, text in session.execute(query.order_by(LedgerEntryRecord.seq)):
        stored = StoredEntry(seq, text.encode("ascii"))
        try:
            decoded = decode_entry(stored.entry)
        except ValueError:
            continue  # an edited entry: `audit verify` names it
        if decoded.get("report") == report_id:
            own.append(stored)
        elif "report" not in decoded and decoded.get("step") in HOLD_STEPS:
            holds.append((seq, decoded, stored))
    if holds_covering is None or not holds:
        return own
    # A hold placed after the report's disposal covered nothing of it.
    disposed = next((e.seq for e in own if decode_entry(e.entry).get("step") in DISPOSAL_STEPS), None)
    placed = ledger_holds((seq, decoded) for seq, decoded, _ in holds)
    before = {i: h for i, h in placed.items() if disposed is None or h.placed_seq < disposed}
    covering = set(holds_covering(before)) & before.keys()
    of_holds = [
        stored for _, decoded, stored in holds if (decoded.get("details") or {}).get("hold") in covering
    ]
    return sorted([*own, *of_holds], key=lambda e: e.seq)
