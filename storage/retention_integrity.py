"""Retention state checked against the signed ledger (ARCHITECTURE invariant 6).

The tables that decide what may be disposed of — ``legal_holds``, ``review_queue``,
``report_events`` — are plain tables: anyone with the database file can edit them. Each
change to them is written with a ledger entry in the same transaction, so
:func:`check_retention_state` can compare every row with what the ledger says it
should be, and ``quitus audit verify`` reports each difference as tampering:

==================  ========================================================================
table               compared with
==================  ========================================================================
``legal_holds``     each ``hold.place`` entry (scope, reason note, who placed it) and its
                    ``hold.release``; a row without entry, an entry without row
``review_queue``    the latest ``review.*`` entry of the report (status, ``extended_until``,
                    ``override_policy``, policy), the due date of its latest ``review.queue``
``report_events``   the latest ``event`` entry of each (report, event name): its date
``notes``           the ciphertext hash that the entry naming a reason recorded
certificates        ``disposition_certificates``: each certificate's and PDF's SHA-256 with
                    its ``dispose``/``shred`` and ``certify`` entries
                    (:func:`storage.certificate_store.check_certificates`)
==================  ========================================================================

Entries are found by what they say — the hashed text — not only by the ``step`` and
``report_id`` columns beside them, which no hash covers (and which the readers of
:meth:`~storage.ledger.store.Ledger.entries_with_step` select on): an entry whose column
was edited is reported too.
Messages name ids, steps and sequence numbers, never personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import or_, select

from storage.certificate_store import check_certificates
from storage.database import Database, is_one_of
from storage.hold_store import HOLD_STEPS, HoldStore, LedgerHold, StoredHold, ledger_holds
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.models import LedgerEntryRecord, NoteRecord, ReportEventRecord, ReviewItemRecord
from storage.report_store import ReportStore
from storage.retention_vocabulary import ReviewStatus

__all__ = ["RETENTION_ROW_STEPS", "check_retention_state", "retention_problems_of"]

_REVIEW_STATUS = {
    LedgerStep.REVIEW_QUEUE: ReviewStatus.PENDING,
    LedgerStep.REVIEW_APPROVE: ReviewStatus.APPROVED,
    LedgerStep.REVIEW_EXTEND: ReviewStatus.EXTENDED,
    LedgerStep.REVIEW_RELABEL: ReviewStatus.RELABELLED,
}
_STEPS = frozenset({*HOLD_STEPS, *_REVIEW_STATUS, LedgerStep.EVENT})
RETENTION_ROW_STEPS = frozenset({*_REVIEW_STATUS, LedgerStep.EVENT})
"""The steps whose entries record a report's review-queue row and its events' dates."""
# Canonical entries are compact JSON with sorted keys, and no value may hold a quote: this
# text occurs in an entry exactly when it is the entry's step.
_STEP_TEXT = ('%"step":"hold.%', '%"step":"review.%', '%"step":"event"%')

_CHUNK = 1_000

Entry = tuple[int, dict[str, Any]]


def check_retention_state(store: ReportStore) -> list[str]:
    """What in the retention tables differs from the signed ledger: one line per problem."""
    problems: list[str] = []
    holds: list[Entry] = []
    reviews: dict[str, Entry] = {}
    queued: dict[str, Entry] = {}
    events: dict[tuple[str, str], Entry] = {}
    notes: dict[str, tuple[int, str]] = {}
    for seq, columns, entry in _retention_entries(store.database):
        step, report_id = entry.get("step"), entry.get("report")
        if columns != (step, report_id):
            problems.append(
                f"ledger entry {seq}: its columns say step {columns[0]!r}, report {columns[1]!r} but the "
                f"entry is step {step!r}, report {report_id!r} (a column beside the signed entry was edited)"
            )
        if step not in _STEPS:
            continue
        details = entry.get("details") or {}
        if step in HOLD_STEPS:
            holds.append((seq, entry))
        else:
            _sort_report_entry(seq, entry, events, reviews, queued)
        note_id, recorded = details.get("reason_note"), details.get("reason_sha256")
        if isinstance(note_id, str) and isinstance(recorded, str):
            notes[note_id] = (seq, recorded)
    problems += _check_notes(store.database, notes)
    problems += _check_holds(ledger_holds(holds), HoldStore(store).rows(include_released=True))
    problems += [message for _, message in _check_reviews(store.database, reviews, queued)]
    problems += [message for _, message in _check_events(store.database, events)]
    problems += check_certificates(store)
    return problems


def _sort_report_entry(
    seq: int,
    entry: dict[str, Any],
    events: dict[tuple[str, str], Entry],
    reviews: dict[str, Entry],
    queued: dict[str, Entry],
) -> None:
    """File an event or review entry (in ledger order: the latest of each wins)."""
    step, report_id = entry.get("step"), entry.get("report")
    if not isinstance(report_id, str):
        return
    if step == LedgerStep.EVENT:
        events[(report_id, str((entry.get("details") or {}).get("event")))] = (seq, entry)
    elif step in _REVIEW_STATUS:
        reviews[report_id] = (seq, entry)
        if step == LedgerStep.REVIEW_QUEUE:
            queued[report_id] = (seq, entry)


def retention_problems_of(
    database: Database, report_ids: list[str], entries: list[Entry]
) -> dict[str, list[str]]:
    """The review-queue rows and event dates of these reports compared with their entries
    (which the caller read and believed, in ledger order): report id → problems."""
    events: dict[tuple[str, str], Entry] = {}
    reviews: dict[str, Entry] = {}
    queued: dict[str, Entry] = {}
    for seq, entry in entries:
        _sort_report_entry(seq, entry, events, reviews, queued)
    problems: dict[str, list[str]] = {}
    for report_id, message in [
        *_check_reviews(database, reviews, queued, report_ids),
        *_check_events(database, events, report_ids),
    ]:
        problems.setdefault(report_id, []).append(message)
    return problems


def _retention_entries(database: Database) -> Iterator[tuple[int, tuple[str, str | None], dict[str, Any]]]:
    query = (
        select(
            LedgerEntryRecord.seq,
            LedgerEntryRecord.step,
            LedgerEntryRecord.report_id,
            LedgerEntryRecord.entry,
        )
        .where(
            or_(
                LedgerEntryRecord.step.in_(sorted(_STEPS)),
                *(LedgerEntryRecord.entry.like(text) for text in _STEP_TEXT),
            )
        )
        .order_by(LedgerEntryRecord.seq)
        .execution_options(yield_per=5 * _CHUNK)
    )
    with database.session() as session:
        for seq, step, report_id, text in session.execute(query):
            try:
                yield seq, (step, report_id), decode_entry(text)
            except ValueError:
                continue  # an entry that is not one any more: verify_ledger names it


def _check_notes(database: Database, notes: Mapping[str, tuple[int, str]]) -> list[str]:
    """Each note a ledger entry names as a reason still has the ciphertext hash it recorded."""
    problems = []
    wanted = sorted(notes)
    stored: dict[str, str] = {}
    with database.session() as session:
        for start in range(0, len(wanted), _CHUNK):
            query = select(NoteRecord.id, NoteRecord.ciphertext_sha256).where(
                NoteRecord.id.in_(wanted[start : start + _CHUNK])
            )
            stored.update((note_id, digest) for note_id, digest in session.execute(query))
    for note_id in wanted:
        seq, recorded = notes[note_id]
        if note_id not in stored:
            problems.append(f"note {note_id} (the reason of ledger entry {seq}) was deleted from notes")
        elif stored[note_id] != recorded:
            problems.append(
                f"note {note_id}: its hash differs from the one ledger entry {seq} recorded "
                "(replaced or edited)"
            )
    return problems


# -- legal holds ----------------------------------------------------------------------------


def _check_holds(ledger: Mapping[str, LedgerHold], rows: list[StoredHold]) -> list[str]:
    problems = []
    by_id = {row.id: row for row in rows}
    for hold_id in sorted(ledger.keys() | by_id.keys()):
        entry, row = ledger.get(hold_id), by_id.get(hold_id)
        where = f"legal hold {hold_id}"
        if entry is None:
            problems.append(f"{where}: a row in legal_holds that no hold.place entry records (added by hand)")
            continue
        if row is None:
            problems.append(
                f"{where}: placed by ledger entry {entry.placed_seq} but its row was deleted from "
                "legal_holds (the hold still applies: holds are read from the ledger)"
            )
            continue
        if row.scope_kind != entry.scope_kind or (
            entry.scope is not None and row.ledger_scope() != entry.scope_details
        ):
            problems.append(
                f"{where}: its scope in legal_holds differs from the one ledger entry "
                f"{entry.placed_seq} recorded (edited; the ledger's applies)"
            )
        if entry.in_force and row.released_at is not None:
            problems.append(
                f"{where}: released in legal_holds, but no hold.release entry: the row was edited "
                "(the hold still applies)"
            )
        if not entry.in_force and row.released_at is None:
            problems.append(
                f"{where}: released by ledger entry {entry.released_seq}, but its row says in force (edited)"
            )
        if entry.reason_ref is not None and row.reason_ref != entry.reason_ref:
            problems.append(
                f"{where}: its reason is not the one ledger entry {entry.placed_seq} names (edited)"
            )
        if row.placed_by != entry.placed_by:
            problems.append(
                f"{where}: placed_by differs from the actor of ledger entry {entry.placed_seq} (edited)"
            )
    return problems


# -- the review queue -----------------------------------------------------------------------


def _check_reviews(
    database: Database,
    latest: Mapping[str, Entry],
    queued: Mapping[str, Entry],
    report_ids: list[str] | None = None,
) -> list[tuple[str, str]]:
    problems = []
    query = select(ReviewItemRecord)
    if report_ids is not None:
        query = query.where(is_one_of(ReviewItemRecord.report_id, report_ids, database.dialect))
    with database.session() as session:
        rows = {row.report_id: row for row in session.scalars(query)}
        for report_id in sorted(latest.keys() | rows.keys()):
            row, found = rows.get(report_id), latest.get(report_id)
            where = f"review of {report_id}"
            if found is None:
                problems.append(
                    (
                        report_id,
                        f"{where}: a row in review_queue that no review entry records (added by hand)",
                    )
                )
                continue
            seq, entry = found
            if row is None:
                problems.append(
                    (report_id, f"{where}: decided or queued by ledger entry {seq} but its row was deleted")
                )
                continue
            details = entry.get("details") or {}
            step = LedgerStep(entry["step"])
            expected: dict[str, object] = {
                "status": _REVIEW_STATUS[step].value,
                "extended_until": details.get("until") if step == LedgerStep.REVIEW_EXTEND else None,
                "override_policy": (
                    str(details.get("policy", "")).rsplit("@", 1)[0]
                    if step == LedgerStep.REVIEW_RELABEL
                    else None
                ),
            }
            if entry.get("policy") is not None:
                expected["policy_ref"] = entry["policy"]
            queue_entry = queued.get(report_id)
            if queue_entry is not None and "due" in (queue_entry[1].get("details") or {}):
                expected["due"] = queue_entry[1]["details"]["due"]
            actual = {
                "status": row.status,
                "extended_until": _iso(row.extended_until),
                "override_policy": row.override_policy,
                "policy_ref": row.policy_ref,
                "due": _iso(row.due),
            }
            edited = sorted(k for k, v in expected.items() if actual[k] != v)
            if edited:
                problems.append(
                    (
                        report_id,
                        f"{where}: {', '.join(edited)} in review_queue differ from ledger entry {seq} "
                        f"({entry['step']}): edited",
                    )
                )
    return problems


# -- dated events ---------------------------------------------------------------------------


def _check_events(
    database: Database, latest: Mapping[tuple[str, str], Entry], report_ids: list[str] | None = None
) -> list[tuple[str, str]]:
    problems = []
    query = select(ReportEventRecord.report_id, ReportEventRecord.name, ReportEventRecord.occurred_on)
    if report_ids is not None:
        query = query.where(is_one_of(ReportEventRecord.report_id, report_ids, database.dialect))
    with database.session() as session:
        rows = {(report_id, name): occurred_on for report_id, name, occurred_on in session.execute(query)}
    for key in sorted(latest.keys() | rows.keys()):
        (report_id, name), found = key, latest.get(key)
        where = f"event {name} of {report_id}"
        if found is None:
            problems.append(
                (report_id, f"{where}: a row in report_events that no event entry records (added by hand)")
            )
            continue
        seq, entry = found
        if key not in rows:
            problems.append(
                (
                    report_id,
                    f"{where}: recorded by ledger entry {seq} but its row was deleted from report_events",
                )
            )
        elif _iso(rows[key]) != (entry.get("details") or {}).get("on"):
            problems.append(
                (report_id, f"{where}: its date in report_events differs from ledger entry {seq} (edited)")
            )
    return problems


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
