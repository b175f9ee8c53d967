"""Report states and blob pointers checked against the signed ledger (ARCHITECTURE invariant 6).

A report's state, the blobs its row points at, its retention clock and restriction are
plain columns that anyone with the database file can edit; each is written with a ledger
entry in the same transaction. :func:`check_stored_state` derives from the entries what
every row must say, compares, and reports each difference as tampering (``quitus audit
verify``). It is the one call for every table beside the ledger: it also runs
:func:`~storage.access_integrity.check_access_state` (users, API tokens, portal links) and
:func:`~storage.retention_integrity.check_retention_state` (holds, review queue, events,
notes).

======================  ====================================================================
table, columns          compared with
======================  ====================================================================
``reports.state``       the report's last entry that sets a state: ``receive`` (captured),
                        ``capture`` and ``validate`` (their outcome: captured, validated or
                        rejected), ``redact``, ``render``, ``seal``, ``archive`` (outcome =
                        the state; ``failed`` changes nothing), ``shred``/``dispose``
                        (erased, for good). A row with no entry was added by hand; entries
                        whose report has no row lost it
erased reports          a ``shred``/``dispose`` entry makes a tombstone: no
                        ``content_blob_id``, no live data key in the key store
``content_blob_id``     the ``report`` blob of the latest ``capture`` entry (none when that
                        stored no content, or when a ``receive`` came after it)
``blobs`` rows          each is recorded by an entry of its own report (the first is the
                        step that produced it), with a kind that step produces: ``receive``
                        the submission, ``capture`` report/photo/signature/quarantined
                        attachment, ``redact`` the redacted report, ``render`` the two
                        drafts, ``seal`` the two sealed PDFs — one of each, so
                        ``latest_blob`` finds the one the ledger recorded. What a live
                        report's entries record has its row (their hashes:
                        ``verify_ledger``); a row of no report is named
``archived_at``         the time of the ``archive`` entry (the retention clock), within
                        :data:`ARCHIVED_AT_TOLERANCE`; empty without one
``restricted_at``,      the latest ``restrict`` entry and its reason; empty without one
``restriction_reason``
``report_number_``      each year's ``last``: the last number the ``validate`` entries (and
``counters``            migration 0013) gave that year (:func:`~storage.report_numbers.counter_problems`)
``number``              the number the ``validate`` entry that accepted the report recorded
                        (detail ``number``, :mod:`storage.report_numbers`); empty for a
                        report no ``validate`` entry accepted. Numbers given by migration
                        0013 to reports accepted before numbers existed are in no entry:
                        they are not checked
======================  ====================================================================

Entries are found by what they say — every entry's hashed text is decoded — not by the
``step`` and ``report_id`` columns beside them, which no hash covers (``verify_ledger``
names a column that differs from its entry). The ledger is read once, in order, in chunks;
reports, with their blobs, in chunks of :data:`_CHUNK`. Memory grows with the reports, not
the entries: about 2 KB for a live report (its blob ids), 0.2 KB for a tombstone. Messages
name ids, steps, kinds and sequence numbers, never personal data.

The retention facts of ``reports`` (``template_id``, ``client_kind``, ``intervention_date``,
``outcome``, ``tags``, ``site_country``: they decide the policy and the due date) must have
the digest (:func:`storage.report_facts.facts_digest`) that the latest ``capture`` entry
recorded — reports captured before the entry carried one are not checked.

A live report's ``subject_index`` rows (what finds it for a person's request, and keeps a
hold placed on that person) must have the digest
(:func:`storage.subject_index.subjects_digest`) that its latest ``capture`` entry — or a
later ``subject.reindex`` entry of that report — recorded: a deleted row would lift the hold.
Reports whose capture recorded none (older data) are not checked, nor erased reports, whose
index the erasure deletes.

Not derivable from the ledger today (the entries do not record it): which
of a step's two blobs is which when both their kinds were swapped — a swap that the blobs'
associated data (report, kind, id) makes fail on reading, not pass unseen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, select, type_coerce

from storage.access_integrity import check_access_state
from storage.blob_kinds import BlobKind
from storage.database import Database, is_one_of
from storage.equipment_integrity import check_equipment_state
from storage.keystore import KeyRecord
from storage.ledger.events import decode_entry
from storage.ledger.steps import DISPOSAL_STEPS, LedgerStep
from storage.models import (
    BlobRecord,
    LedgerEntryRecord,
    ReportNumberCounterRecord,
    ReportRecord,
    SubjectIndexRecord,
)
from storage.report_facts import FACTS_DETAIL, facts_digest
from storage.report_numbers import NUMBER_DETAIL, counter_problems
from storage.report_store import ReportStore
from storage.retention_integrity import RETENTION_ROW_STEPS, check_retention_state, retention_problems_of
from storage.states import ReportState
from storage.subject_index import SUBJECTS_DETAIL, subjects_digest
from storage.visit_integrity import check_visit_state

__all__ = ["ARCHIVED_AT_TOLERANCE", "check_stored_state", "decision_tampering"]

_CHUNK = 1_000
_ATTEMPTS = 3

ARCHIVED_AT_TOLERANCE = dt.timedelta(hours=1)
"""How much earlier than its ``archive`` entry ``archived_at`` may be: it is set in the same
transaction, just before the entry waits for the ledger's lock."""

_STATE_AFTER: Mapping[LedgerStep, Mapping[str, ReportState]] = {
    LedgerStep.RECEIVE: {"captured": ReportState.CAPTURED, "conflict": ReportState.CAPTURED},
    LedgerStep.CAPTURE: {"captured": ReportState.CAPTURED, "rejected": ReportState.REJECTED},
    LedgerStep.VALIDATE: {"validated": ReportState.VALIDATED, "rejected": ReportState.REJECTED},
    LedgerStep.REDACT: {"redacted": ReportState.REDACTED},
    LedgerStep.RENDER: {"rendered": ReportState.RENDERED},
    LedgerStep.SEAL: {"signed": ReportState.SIGNED},
    LedgerStep.ARCHIVE: {"archived": ReportState.ARCHIVED},
    **{
        step: {"destroyed": ReportState.ERASED, "already_destroyed": ReportState.ERASED}
        for step in DISPOSAL_STEPS
    },
}
"""(step, outcome) → the state the report is in after the entry (``ReportStore``, ``shred_reports``)."""

_UNCHANGED = frozenset({"failed"})
"""Outcomes of a state step that leave the state as it was (a stage that failed: ``Pipeline._fail``)."""

_PRODUCES: Mapping[LedgerStep, frozenset[BlobKind]] = {
    LedgerStep.RECEIVE: frozenset({BlobKind.SUBMISSION}),
    LedgerStep.CAPTURE: frozenset(
        {BlobKind.REPORT, BlobKind.PHOTO, BlobKind.SIGNATURE, BlobKind.QUARANTINED_ATTACHMENT}
    ),
    LedgerStep.REDACT: frozenset({BlobKind.REDACTED_REPORT}),
    LedgerStep.RENDER: frozenset({BlobKind.PDF_DRAFT_FULL, BlobKind.PDF_DRAFT_REDACTED}),
    LedgerStep.SEAL: frozenset({BlobKind.PDF_FULL, BlobKind.PDF_REDACTED}),
    LedgerStep.VISIT_PLAN: frozenset({BlobKind.VISIT_PLAN}),
}
"""The kinds of blob each step stores (``workflows.stages``, ``ReportStore``)."""

_ONE_EACH = frozenset(
    {LedgerStep.RECEIVE, LedgerStep.REDACT, LedgerStep.RENDER, LedgerStep.SEAL, LedgerStep.VISIT_PLAN}
)
"""Steps that store exactly one blob of each kind they produce (so ``latest_blob`` finds it)."""


def check_stored_state(store: ReportStore) -> list[str]:
    """What in the tables beside the ledger differs from it: one line per problem.

    Report states, tombstones and blob pointers (this module), users, tokens and portal
    links (:func:`check_access_state`), legal holds, the review queue, events and notes
    (:func:`check_retention_state`).

    The ledger is read before the tables, so a write between the two would look like an
    edit. Every write that changes these tables appends to the ledger in its transaction:
    when the ledger did not grow while the check ran, nothing was written meanwhile. When it
    did, the check runs again (up to :data:`_ATTEMPTS` times), and on a ledger that never
    rests only what every run found is reported — an edit is found by each.
    """
    found: list[str] | None = None
    for _ in range(_ATTEMPTS):
        size = store.ledger.size()
        problems = _problems(store)
        if store.ledger.size() == size:
            return problems
        if found is not None:
            earlier = set(found)
            problems = [p for p in problems if p in earlier]
        found = problems
    return found or []


def _problems(store: ReportStore) -> list[str]:
    reports, problems = _read_ledger(store.database)
    problems += _check_reports(store, reports)
    problems += check_access_state(store)
    problems += check_retention_state(store)
    problems += check_visit_state(store)
    problems += check_equipment_state(store)
    return problems


# -- before a disposal: what it decides on ------------------------------------------------------

_DECISION_STEPS = frozenset(
    {LedgerStep.RECEIVE, LedgerStep.CAPTURE, LedgerStep.SUBJECT_REINDEX, LedgerStep.ARCHIVE}
    | {LedgerStep.VALIDATE}
    | RETENTION_ROW_STEPS
)
"""The entries that record what a disposal decides on: facts, subject index, archival, events,
reviews — and the number a person names the report by (``shred RI-2026-000123``)."""
_CAPTURED_ONLY = frozenset({ReportState.CAPTURED, ReportState.REJECTED})


def decision_tampering(store: ReportStore, report_ids: Sequence[str]) -> dict[str, list[str]]:
    """What a disposal of these reports would decide on that differs from the ledger.

    The disposal gate's check (:mod:`retention.gate`), for the reports in hand — one query
    of their entries, one of their rows —, with the comparisons ``quitus audit verify``
    makes of the whole store: retention facts (digest of the latest ``capture``), the
    subject index (which keeps a hold placed on a person), ``archived_at`` (the retention
    clock), recorded events and the review queue. An entry is believed only if quitus wrote
    it: its MAC holds, or, stored before entries had MACs, a checkpoint signed by the
    ledger's key covers it; an entry whose ``step``/``report_id`` columns do not say what its
    text says is not believed either. Report id → its problems (ids, steps, sequence
    numbers, never personal data); reports with none are absent.
    """
    ids = list(dict.fromkeys(report_ids))
    if not ids:
        return {}
    database = store.database
    problems: dict[str, list[str]] = {}
    derived: dict[str, _Report] = {}
    retention: list[tuple[int, dict[str, Any]]] = []
    query = (
        select(
            LedgerEntryRecord.seq,
            LedgerEntryRecord.report_id,
            LedgerEntryRecord.step,
            LedgerEntryRecord.entry,
            LedgerEntryRecord.mac,
        )
        .where(
            is_one_of(type_coerce(LedgerEntryRecord.report_id, String), ids, database.dialect),
            LedgerEntryRecord.step.in_(sorted(_DECISION_STEPS)),
        )
        .order_by(LedgerEntryRecord.seq)
    )
    with database.session() as session:
        signed = store.ledger.signed_size(session)
        for seq, report_id, column_step, text, mac in session.execute(query):
            found = problems.setdefault(str(report_id), [])
            if not store.ledger.vouched(seq, text, mac, signed):
                found.append(
                    f"ledger entry {seq} ({column_step}) was not written by quitus (no valid entry MAC)"
                )
                continue
            try:
                entry = decode_entry(text)
            except ValueError:
                found.append(f"ledger entry {seq} is not a ledger entry any more")
                continue
            if entry.get("report") != report_id or entry.get("step") != column_step:
                found.append(
                    f"ledger entry {seq}: its step and report columns do not say what the entry says"
                )
                continue
            step = LedgerStep(column_step)
            if step in RETENTION_ROW_STEPS:
                retention.append((seq, entry))
                continue
            report = derived.setdefault(str(report_id), _Report(seq))
            _read_report_entry(report, seq, step, entry, entry.get("details") or {})
    for rows in _report_rows(database, ids):
        subjects = _subjects_of(database, [row.id for row in rows])
        for row in rows:
            report = derived.get(row.id) or _Report(-1)
            found = problems.setdefault(row.id, [])
            if (
                report.content_entry is None
                and row.state not in _CAPTURED_ONLY
                and row.state != ReportState.ERASED
            ):
                found.append(f"state {row.state}, but the ledger holds no capture entry of it")
            found += _check_facts(row, report)
            found += _check_received(row, report)
            found += _check_archived_at(row, report)
            found += _check_number(row, report)
            found += _check_subjects(report, subjects[row.id])
    for report_id, found in retention_problems_of(database, ids, retention).items():
        problems.setdefault(report_id, []).extend(found)
    return {report_id: found for report_id, found in problems.items() if found}


# -- what the ledger says ---------------------------------------------------------------------


@dataclass(slots=True)
class _Report:
    """What a report's entries say its row must be (small: one per report is kept)."""

    first_seq: int
    """Its first entry."""
    state: ReportState | None = None
    state_entry: tuple[int, str, str] | None = None
    """(seq, step, outcome) of the entry that set :attr:`state`."""
    erased_seq: int | None = None
    content_entry: tuple[int, LedgerStep] | None = None
    """The latest ``capture`` — or the ``receive`` after it, which cleared the content."""
    content_candidates: tuple[str, ...] = ()
    """The blobs that capture stored (one of them, the ``report`` kind, is the content)."""
    produced: dict[str, tuple[int, LedgerStep]] = field(default_factory=dict)
    """Blob id → the first entry that records it."""
    archive: tuple[int, str] | None = None
    """(seq, time) of the ``archive`` entry."""
    restrict: tuple[int, str | None] | None = None
    """(seq, reason) of the latest ``restrict`` entry."""
    facts: tuple[int, str] | None = None
    """(seq, digest) of the retention facts the latest ``capture`` recorded."""
    subjects: tuple[int, LedgerStep, str] | None = None
    """(seq, step, digest) of the subject index rows the latest ``capture`` or re-index recorded."""
    accepted_seq: int | None = None
    """The ``validate`` entry that accepted the report (outcome ``validated``)."""
    number: tuple[int, str] | None = None
    received: tuple[int, str] | None = None
    captured: bool = False
    """A ``capture`` entry parsed it at least once (before that, it has no retention facts)."""
    """(seq, time) of its first ``receive`` or ``capture``: when ``created_at`` was set."""
    """(seq, number) of the number that entry recorded (none before numbers existed)."""


def _entries(database: Database) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every entry, decoded, in ledger order: found by what it says, not by its columns."""
    query = (
        select(LedgerEntryRecord.seq, LedgerEntryRecord.entry)
        .order_by(LedgerEntryRecord.seq)
        .execution_options(yield_per=5 * _CHUNK)
    )
    with database.session() as session:
        for seq, text in session.execute(query):
            try:
                entry = decode_entry(text)
            except ValueError:
                continue  # not an entry any more: verify_ledger names it
            yield seq, entry


def _read_ledger(database: Database) -> tuple[dict[str, _Report], list[str]]:
    reports: dict[str, _Report] = {}
    problems: list[str] = []
    for seq, entry in _entries(database):
        try:
            step = LedgerStep(str(entry.get("step")))
        except ValueError:
            continue  # an unknown step is no entry quitus wrote: verify_ledger's hashes decide
        details = entry.get("details") or {}
        report_id = entry.get("report")
        if not isinstance(report_id, str):
            continue
        derived = reports.get(report_id)
        if derived is None:
            derived = reports[report_id] = _Report(seq)
        problem = _read_report_entry(derived, seq, step, entry, details)
        if problem is not None:
            problems.append(f"report {report_id}: {problem}")
    return reports, problems


def _read_report_entry(
    derived: _Report, seq: int, step: LedgerStep, entry: Mapping[str, Any], details: Mapping[str, Any]
) -> str | None:
    artifacts = entry.get("artifacts") or {}
    for blob_id in artifacts:
        derived.produced.setdefault(blob_id, (seq, step))
    if derived.received is None and step in (LedgerStep.RECEIVE, LedgerStep.CAPTURE):
        derived.received = (seq, str(entry.get("time")))
    outcome = str(entry.get("outcome"))
    if outcome in _UNCHANGED:
        return None  # a step that failed changed nothing but the report's issues
    _read_recorded(derived, seq, step, entry, details)
    states = _STATE_AFTER.get(step)
    if states is None or derived.erased_seq is not None:
        return None  # an erased report stays erased, whatever follows
    state = states.get(outcome)
    if state is None:
        return f"ledger entry {seq} ({step}) has outcome {outcome!r}, which says no state"
    derived.state, derived.state_entry = state, (seq, step.value, outcome)
    if state == ReportState.ERASED:
        # A tombstone's blobs are not checked (its files are deleted, its key destroyed): most
        # reports end erased, and what is not kept costs no memory.
        derived.erased_seq, derived.produced, derived.content_candidates = seq, {}, ()
    return None


def _read_recorded(
    derived: _Report, seq: int, step: LedgerStep, entry: Mapping[str, Any], details: Mapping[str, Any]
) -> None:
    """What an entry that changed something records of the row: content, facts, index, clock,
    restriction, number."""
    artifacts = entry.get("artifacts") or {}
    if step == LedgerStep.CAPTURE:
        derived.captured = True
        derived.content_entry, derived.content_candidates = (seq, step), tuple(artifacts)
        digest = details.get(FACTS_DETAIL)
        derived.facts = (seq, digest) if isinstance(digest, str) else None
        indexed = details.get(SUBJECTS_DETAIL)
        derived.subjects = (seq, step, indexed) if isinstance(indexed, str) else None
    elif step == LedgerStep.SUBJECT_REINDEX:
        indexed = details.get(SUBJECTS_DETAIL)
        if isinstance(indexed, str):  # the report's rows after the re-index, all of them
            derived.subjects = (seq, step, indexed)
    elif step == LedgerStep.RECEIVE:
        derived.content_entry, derived.content_candidates = (seq, step), ()
    elif step == LedgerStep.ARCHIVE:
        derived.archive = (seq, str(entry.get("time")))
    elif step == LedgerStep.RESTRICT:
        reason = details.get("reason")
        derived.restrict = (seq, reason if isinstance(reason, str) else None)
    elif step == LedgerStep.VALIDATE and entry.get("outcome") == "validated":
        derived.accepted_seq = derived.accepted_seq or seq
        number = details.get(NUMBER_DETAIL)
        if isinstance(number, str) and derived.number is None:  # given once, never again
            derived.number = (seq, number)


# -- reports, their blobs and keys ------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    id: str
    state: str
    content_blob_id: str | None
    archived_at: object
    restricted_at: object
    restriction_reason: str | None
    number: str | None
    template_id: str | None
    client_kind: str | None
    intervention_date: object
    outcome: str | None
    tags: object
    site_country: str | None
    created_at: object


@dataclass(frozen=True)
class _Blob:
    id: str
    kind: str


def _report_rows(database: Database, ids: list[str] | None = None) -> Iterator[list[_Row]]:
    query = (
        select(
            ReportRecord.id,
            ReportRecord.state,
            ReportRecord.content_blob_id,
            # As stored: on SQLite an edit may put anything there, which must be named, not raise.
            type_coerce(ReportRecord.archived_at, String),
            type_coerce(ReportRecord.restricted_at, String),
            ReportRecord.restriction_reason,
            ReportRecord.number,
            ReportRecord.template_id,
            ReportRecord.client_kind,
            type_coerce(ReportRecord.intervention_date, String),
            ReportRecord.outcome,
            type_coerce(ReportRecord.tags, String),
            ReportRecord.site_country,
            type_coerce(ReportRecord.created_at, String),
        )
        .order_by(ReportRecord.id)
        .execution_options(yield_per=_CHUNK)
    )
    if ids is not None:
        query = query.where(is_one_of(ReportRecord.id, ids, database.dialect))
    with database.session() as session:
        for chunk in session.execute(query).partitions(_CHUNK):
            yield [_Row(*tuple(row)) for row in chunk]


def _blobs_of(database: Database, report_ids: list[str]) -> dict[str, list[_Blob]]:
    found: dict[str, list[_Blob]] = {report_id: [] for report_id in report_ids}
    query = select(BlobRecord.report_id, BlobRecord.id, BlobRecord.kind).where(
        is_one_of(BlobRecord.report_id, report_ids, database.dialect)
    )
    with database.session() as session:
        for report_id, blob_id, kind in session.execute(query):
            found[report_id].append(_Blob(blob_id, kind))
    return found


def _subjects_of(database: Database, report_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {report_id: [] for report_id in report_ids}
    query = select(SubjectIndexRecord.report_id, SubjectIndexRecord.kind, SubjectIndexRecord.digest).where(
        is_one_of(SubjectIndexRecord.report_id, report_ids, database.dialect)
    )
    with database.session() as session:
        for report_id, kind, digest in session.execute(query):
            found.setdefault(report_id, []).append((kind, digest))
    return found


def _check_reports(store: ReportStore, reports: dict[str, _Report]) -> list[str]:
    problems: list[str] = []
    database = store.database
    unseen = set(reports)
    erased: dict[str, int] = {}
    given = [derived.number[1] for derived in reports.values() if derived.number is not None]
    for rows in _report_rows(database):
        blobs = _blobs_of(database, [row.id for row in rows])
        subjects = _subjects_of(database, [row.id for row in rows])
        for row in rows:
            unseen.discard(row.id)
            derived = reports.get(row.id)
            where = f"report {row.id}"
            if derived is None:
                problems.append(f"{where}: a row in reports that no ledger entry records (added by hand)")
                continue
            if derived.number is None and derived.accepted_seq is not None and row.number is not None:
                given.append(row.number)  # numbered by migration 0013: no entry says how
            problems += [f"{where}: {p}" for p in _check_report(row, derived, blobs[row.id])]
            problems += [f"{where}: {p}" for p in _check_subjects(derived, subjects[row.id])]
            if derived.erased_seq is not None:
                erased[row.id] = derived.erased_seq
    problems += [
        f"report {report_id}: ledger entries record it (from entry {reports[report_id].first_seq}) but its "
        "row was deleted from reports"
        for report_id in sorted(unseen)
    ]
    problems += _check_orphan_blobs(database)
    problems += _check_destroyed_keys(store, erased)
    with database.session() as session:
        query = select(ReportNumberCounterRecord.year, ReportNumberCounterRecord.last)
        counters = {int(year): int(last) for year, last in session.execute(query)}
    problems += counter_problems(counters, given)
    return problems


def _check_report(row: _Row, derived: _Report, blobs: list[_Blob]) -> list[str]:
    problems = []
    expected, entry = derived.state, derived.state_entry
    if expected is None or entry is None:
        problems.append("no ledger entry says what state it is in (its receive entry is missing)")
    elif row.state != expected:
        seq, step, outcome = entry
        if row.state == ReportState.ERASED:
            problems.append(
                f"erased in reports, but no shred or dispose entry records an erasure: ledger entry {seq} "
                f"({step}, outcome {outcome}) leaves it {expected} (edited: its data was hidden)"
            )
        else:
            problems.append(
                f"state {row.state} in reports, but ledger entry {seq} ({step}, outcome {outcome}) leaves "
                f"it {expected} (edited; the ledger's applies)"
            )
    kinds = {blob.id: blob.kind for blob in blobs}
    if derived.erased_seq is not None:
        if row.content_blob_id is not None:
            problems.append(
                f"erased by ledger entry {derived.erased_seq} but not a tombstone: content_blob_id "
                f"points at blob {row.content_blob_id} (edited)"
            )
    else:
        problems += _check_content(row, derived, kinds)
        problems += _check_blob_rows(derived, blobs)
    problems += _check_archived_at(row, derived)
    problems += _check_restriction(row, derived)
    problems += _check_number(row, derived)
    problems += _check_facts(row, derived)
    problems += _check_received(row, derived)
    return problems


def _check_number(row: _Row, derived: _Report) -> list[str]:
    """The number people read and search by is the one the accepting ``validate`` entry signed."""
    if derived.number is not None:
        seq, recorded = derived.number
        if row.number != recorded:
            stored = "empty" if row.number is None else row.number
            return [
                f"its number is {stored} in reports, but ledger entry {seq} (validate) gave it {recorded} "
                "(edited: the report would be found, printed and certified under another number)"
            ]
        return []
    if derived.accepted_seq is None and row.number is not None:
        return [f"its number is {row.number} in reports, but no validate entry accepted it (edited)"]
    return []  # accepted before numbers existed: migration 0013 numbered it, no entry says how


def _has_facts(row: _Row) -> bool:
    """Any retention fact set (a report only received, never parsed, has none)."""
    tags = row.tags if isinstance(row.tags, list) else str(row.tags or "[]").strip()
    return any(
        value is not None
        for value in (row.template_id, row.client_kind, row.intervention_date, row.outcome, row.site_country)
    ) or tags not in ([], "[]", "")


def _check_received(row: _Row, derived: _Report) -> list[str]:
    """``created_at`` starts the retention clock of a report without an intervention date (a
    submission that could not be read): it must be the time its first entry recorded."""
    if row.intervention_date is not None or derived.received is None:
        return []  # with an intervention date, policies and holds never read it
    seq, time = derived.received
    stored, recorded = _as_utc(row.created_at), _as_utc(time)
    if (
        stored is None
        or recorded is None
        or not (recorded - ARCHIVED_AT_TOLERANCE <= stored <= recorded + dt.timedelta(minutes=1))
    ):
        return [
            f"created_at is not the time of ledger entry {seq}, which received it: the retention clock "
            "of a report without an intervention date was moved"
        ]
    return []


def _check_facts(row: _Row, derived: _Report) -> list[str]:
    if derived.facts is None:
        if not derived.captured and _has_facts(row):
            return [
                "its retention facts (template, client kind, intervention date, outcome, tags, country) "
                "are set, but no capture entry recorded any: edited, they would give it a policy or due date"
            ]
        return []  # captured before capture entries carried the digest: nothing to compare
    seq, recorded = derived.facts
    try:
        # As stored: text on SQLite (an edit may put anything there), a parsed list on PostgreSQL.
        tags = row.tags if isinstance(row.tags, list) else json.loads(str(row.tags or "[]"))
        digest = facts_digest(
            template_id=row.template_id,
            client_kind=row.client_kind,
            intervention_date=None if row.intervention_date is None else str(row.intervention_date),
            outcome=row.outcome,
            tags=tags,
            site_country=row.site_country,
        )
    except (ValueError, TypeError):
        digest = None
    if digest == recorded:
        return []
    return [
        "its retention facts (template, client kind, intervention date, outcome, tags, country) are not "
        f"those ledger entry {seq} (capture) recorded: edited, they would change its policy or due date"
    ]


def _check_subjects(derived: _Report, rows: list[tuple[str, str]]) -> list[str]:
    if derived.subjects is None or derived.erased_seq is not None:
        return []  # recorded no digest (older data), or erased: the erasure deletes its index
    seq, step, recorded = derived.subjects
    if subjects_digest(rows) == recorded:
        return []
    return [
        f"its subject index rows are not those ledger entry {seq} ({step}) recorded: edited, a person's "
        "request would miss it and a hold placed on them would no longer hold it"
    ]


def _check_content(row: _Row, derived: _Report, kinds: Mapping[str, str]) -> list[str]:
    """``content_blob_id`` is the ``report`` blob the latest capture stored, or empty."""
    if derived.content_entry is None:
        return []  # no receive: named as a missing state already
    seq, step = derived.content_entry
    stored = [b for b in derived.content_candidates if kinds.get(b) == BlobKind.REPORT]
    pointer = row.content_blob_id
    problem: str | None
    if len(stored) > 1:
        problem = (
            f"ledger entry {seq} ({step}) stored one content blob, but {len(stored)} of its blobs have "
            f"kind {BlobKind.REPORT} in blobs ({', '.join(sorted(stored))}): a kind was edited"
        )
    elif pointer is None:
        problem = (
            f"content_blob_id is empty, but ledger entry {seq} ({step}) stored its content as blob "
            f"{stored[0]} (edited)"
            if stored
            else None
        )
    elif pointer not in derived.content_candidates:
        source = derived.produced.get(pointer)
        kind = kinds.get(pointer, "missing")
        origin = (
            f"blob {pointer} is a {kind} blob of ledger entry {source[0]} ({source[1]})"
            if source is not None
            else f"no entry of the report records blob {pointer}"
        )
        problem = (
            f"content_blob_id points at blob {pointer}, which ledger entry {seq} ({step}) did not store "
            f"({f'its content is blob {stored[0]}' if stored else 'it stored no content'}; {origin}): "
            "the pointer was edited"
        )
    elif pointer not in stored:
        problem = (
            f"content_blob_id points at blob {pointer}, a {kinds.get(pointer, 'missing')} blob of ledger "
            f"entry {seq} ({step}), not its content: the pointer was edited"
        )
    else:
        problem = None
    return [] if problem is None else [problem]


def _check_blob_rows(derived: _Report, blobs: list[_Blob]) -> list[str]:
    """Each blob row is one an entry of this report produced, with a kind its step produces,
    one of each where a step stores one; each recorded blob still has its row."""
    problems = []
    per_entry: dict[int, Counter[str]] = {}
    for blob in blobs:
        producer = derived.produced.get(blob.id)
        if producer is None:
            problems.append(
                f"blob {blob.id} (kind {blob.kind}): no ledger entry of the report records it (added by "
                "hand, or moved from another report)"
            )
            continue
        seq, step = producer
        allowed = _PRODUCES.get(step)
        if allowed is None:
            continue  # first named by a step that refers to blobs (deliver…), not one that stores them
        if blob.kind not in allowed:
            problems.append(
                f"blob {blob.id} has kind {blob.kind} in blobs, but ledger entry {seq} ({step}) stores only "
                f"{', '.join(sorted(allowed))}: its kind was edited"
            )
        per_entry.setdefault(seq, Counter())[blob.kind] += 1
    steps = dict(derived.produced.values())
    for seq, counts in sorted(per_entry.items()):
        step = steps[seq]
        if step in _ONE_EACH and any(counts[kind] != 1 for kind in _PRODUCES[step]):
            held = ", ".join(f"{counts[kind]} {kind}" for kind in sorted(_PRODUCES[step]))
            problems.append(
                f"ledger entry {seq} ({step}) stored one blob of each kind, but blobs holds {held} of "
                "them: a kind was edited"
            )
    present = {blob.id for blob in blobs}
    for blob_id, (seq, step) in derived.produced.items():
        if blob_id not in present and step in _PRODUCES:
            problems.append(
                f"blob {blob_id}, stored by ledger entry {seq} ({step}), has no row of the report in blobs "
                "(deleted, or moved to another report)"
            )
    return problems


def _check_archived_at(row: _Row, derived: _Report) -> list[str]:
    stored = _as_utc(row.archived_at)
    if derived.archive is None:
        if row.archived_at is not None:
            return ["archived_at is set, but no archive entry archived it (edited: the retention clock)"]
        return []
    seq, time = derived.archive
    if row.archived_at is None:
        return [
            f"archived_at is empty, but ledger entry {seq} (archive) archived it: its retention clock is gone"
        ]
    recorded = _as_utc(time)
    if (
        stored is None
        or recorded is None
        or not (recorded - ARCHIVED_AT_TOLERANCE <= stored <= recorded + dt.timedelta(minutes=1))
    ):
        return [f"archived_at is not the time of ledger entry {seq} (archive): its retention clock was moved"]
    return []


def _check_restriction(row: _Row, derived: _Report) -> list[str]:
    restricted = row.restricted_at is not None or row.restriction_reason is not None
    if derived.restrict is None:
        if restricted:
            return ["restricted in reports, but no restrict entry restricted it (edited)"]
        return []
    seq, reason = derived.restrict
    if row.restricted_at is None or row.restriction_reason != reason:
        return [
            f"restricted by ledger entry {seq} (restrict, reason {reason}), but reports says "
            f"{'restricted for another reason' if row.restricted_at is not None else 'not restricted'} "
            "(edited: the restriction still applies)"
        ]
    return []


def _check_orphan_blobs(database: Database) -> list[str]:
    """Blob rows of no report (a report row deleted, or a blob's report_id edited)."""
    query = (
        select(BlobRecord.id, BlobRecord.report_id)
        .where(BlobRecord.report_id.not_in(select(ReportRecord.id)))
        .order_by(BlobRecord.id)
    )
    with database.session() as session:
        return [
            f"blob {blob_id}: its report {report_id} has no row in reports (edited)"
            for blob_id, report_id in session.execute(query)
        ]


def _check_destroyed_keys(store: ReportStore, erased: Mapping[str, int]) -> list[str]:
    """A disposal certificate says the data key was destroyed: the key store must agree."""
    problems = []
    ids = sorted(erased)
    keystore = store.keystore
    with keystore.engine.connect() as connection:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            query = select(KeyRecord.report_id).where(
                is_one_of(KeyRecord.report_id, chunk, keystore.engine.dialect.name),
                KeyRecord.wrapped_key.is_not(None),
            )
            for report_id in connection.scalars(query):
                problems.append(
                    f"report {report_id}: erased by ledger entry {erased[report_id]}, but the key store "
                    "holds a data key for it again (edited)"
                )
    return problems


def _as_utc(value: object) -> dt.datetime | None:
    """A stored time (text on SQLite, a datetime on PostgreSQL, an entry's ``…Z``) in UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
