"""Crypto-shredding, in batches: destroy data keys, delete blobs, keep tombstones.

Order matters and makes a crash harmless: a deletion journal names the batch's reports
(ids only) in the blob store, the keys are destroyed (from that instant every copy of
the ciphertext, backups included, is noise), then the reports become ``erased``
tombstones together with their ledger events in one transaction, then the files are
deleted and the journal removed. Run again after a crash, it finishes the job: a report
already erased is skipped ("already deleted" is success), and every call first replays
the journals that dead or failed calls left behind (:func:`finish_interrupted_deletions`),
deleting the files of those of their reports that the database says are erased.

What else an erased report leaves goes in the same transaction: its blind-index entries and
its planned follow-up visits (:mod:`storage.visits`, whose plans its key encrypted), and its
lines in the equipment histories (:mod:`storage.equipment`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.database import is_one_of
from storage.equipment import delete_interventions_of
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import ReportRecord, SubjectIndexRecord, utcnow
from storage.report_store import ReportStore
from storage.states import ReportState
from storage.visits import delete_visits_of

__all__ = ["ErasureTransaction", "ShredRequest", "finish_interrupted_deletions", "shred_reports"]

ErasureTransaction = Session
"""The transaction an erasure commits in, as ``in_same_transaction`` receives it."""


@dataclass(frozen=True)
class ShredRequest:
    report_id: str
    reason: str
    """A code: ``retention``, ``subject_request``, ``demo``…"""
    step: LedgerStep = LedgerStep.SHRED
    """Ledger step: ``shred`` (a request), or ``dispose`` (retention, an approved review)."""
    policy: str | None = None
    details: Mapping[str, str | int | list[str]] = field(default_factory=dict)


def shred_reports(
    store: ReportStore,
    requests: Sequence[ShredRequest],
    *,
    scrub_keys: bool = True,
    in_same_transaction: Callable[[ErasureTransaction, list[str]], None] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Erase these reports; returns the ids erased by this call (not before).

    Only the disposal gate (:mod:`retention.gate`) calls this: it decides what may be erased.
    ``scrub_keys=False``: the caller scrubs the key store later (see :meth:`DataKeyStore.scrub`).
    ``in_same_transaction`` is called with the ids this call erases, inside the transaction
    that makes them tombstones (what an erasure leaves — a statistical record, a review
    decision — is committed with it, or not at all). Every call, even with no request,
    first finishes the deletions of interrupted calls. ``now``: the time the tombstones and
    ledger entries carry (the gate's certificates name the same instant).
    """
    finish_interrupted_deletions(store)
    if not requests:
        return []
    ids = list(dict.fromkeys(r.report_id for r in requests))
    # Until the journal is discarded, an exception leaves it for the next call, like a kill.
    with store.blobs.journal_deletions(ids) as journal:
        destroyed_now = store.keystore.destroy_many(ids, scrub=scrub_keys)
        with store.database.session() as session:
            erased_now = _tombstone(session, ids, store.database.dialect, now or utcnow())
            first_requests: dict[str, ShredRequest] = {}
            for request in requests:
                if request.report_id in erased_now:
                    first_requests.setdefault(request.report_id, request)
            erased = list(first_requests)
            if erased:
                indexed = is_one_of(SubjectIndexRecord.report_id, erased, store.database.dialect)
                session.execute(delete(SubjectIndexRecord).where(indexed))
                # Their planned visits' plans were under these keys: the rows go with them.
                delete_visits_of(session, erased, store.database.dialect)
                # And their lines in the equipment histories (storage.equipment).
                delete_interventions_of(session, erased, store.database.dialect)
                events = [
                    _certificate(store, request, destroyed=request.report_id in destroyed_now)
                    for request in first_requests.values()
                ]
                store.ledger.append(session, events, now=now)
                if in_same_transaction is not None:
                    in_same_transaction(session, erased)
        store.blobs.delete_reports(ids)
        journal.discard()
    return erased


def finish_interrupted_deletions(store: ReportStore) -> int:
    """Replay the deletion journals left by erasures that died (or failed) after their commit.

    Deletes the files of the reports the database says are erased, drops the others (their
    erasure never committed: they are still live, or will be erased again with a journal of
    their own), then removes the journal. Journals held by live erasures are left alone.
    Costs a look at an empty folder when nothing was interrupted. Returns how many erased
    reports' files it deleted.
    """
    finished = 0
    for journal in store.blobs.interrupted_deletions():
        with journal:
            erased = _erased_among(store, list(journal.report_ids))
            store.blobs.delete_reports(erased)
            journal.discard()
            finished += len(erased)
    return finished


def _erased_among(store: ReportStore, ids: list[str]) -> list[str]:
    if not ids:
        return []
    with store.database.session() as session:
        return list(
            session.scalars(
                select(ReportRecord.id).where(
                    is_one_of(ReportRecord.id, ids, store.database.dialect),
                    ReportRecord.state == ReportState.ERASED,
                )
            )
        )


def _tombstone(session: Session, ids: list[str], dialect: str, now: dt.datetime) -> set[str]:
    """Turn the reports not erased yet into tombstones; returns their ids.

    One UPDATE: its row locks make a concurrent erasure of the same report wait, then
    find it erased and skip it, so each report is erased (and certified) once.
    """
    return set(
        session.scalars(
            update(ReportRecord)
            .where(is_one_of(ReportRecord.id, ids, dialect), ReportRecord.state != ReportState.ERASED)
            .values(state=ReportState.ERASED, erased_at=now, updated_at=now, content_blob_id=None)
            .returning(ReportRecord.id),
            execution_options={"synchronize_session": False},
        )
    )


def _certificate(store: ReportStore, request: ShredRequest, *, destroyed: bool) -> LedgerEvent:
    return LedgerEvent(
        step=request.step,
        actor=store.actor,
        outcome="destroyed" if destroyed else "already_destroyed",
        report_id=request.report_id,
        policy=request.policy,
        details={"reason": request.reason, **request.details},
    )
