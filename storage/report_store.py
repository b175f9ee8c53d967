"""The report repository: reports, their raw submissions, keys and blobs.

Capture is idempotent on the sender's ``submission_id`` (:meth:`ReportStore.receive`):

* a new id creates a report;
* the same id with the same bytes returns the same report and stores nothing;
* the same id with new bytes is a correction when the report was rejected, and a
  conflict otherwise — the conflicting bytes are then kept as a new rejected report.

**Capture identity.** A store made for one submitter (:meth:`ReportStore.for_submitter`,
what the API uses for a signed-in technician) accepts a correction only of a report that
submitter sent first: the first ``receive`` event of the report in the ledger names who
that is. Anyone else's new bytes under that ``submission_id`` — accepted or rejected
report alike, and the same bytes too — are kept as a new rejected report of their own
whose issue (``submission_id_taken``) names no report and says nothing of its state.
The installation's own store (the CLI's operator, the flows) may correct any report.

**Corrections are serialized.** Deciding what a submission is and recording it happen
under the report's write lock: ``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite (where ``FOR UPDATE`` does nothing). Of corrections of one
rejected report sent at once, exactly one is a ``correction``; the others find the
report captured again and are conflicts (kept, naming the report to their own sender).

Every raw submission is written to the encrypted blob store in the same transaction
that records it, so a crash leaves either both or an orphan blob under an unknown
report id, never a report without its bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.blob_kinds import BlobKind
from storage.blobs import BlobStore, StoredBlob
from storage.database import Database, lock_for_write
from storage.errors import InvalidTransitionError, ReportNotFoundError
from storage.keystore import DataKeyStore
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from storage.models import (
    BlobRecord,
    LedgerEntryRecord,
    ReportRecord,
    SubjectIndexRecord,
    SubmissionRecord,
    utcnow,
)
from storage.notes import NoteStore
from storage.report_facts import FACTS_DETAIL, facts_digest
from storage.report_numbers import NUMBER_DETAIL, allocate_number, numbers_of, report_id_for, shown_number
from storage.states import ReportState, can_transition
from storage.subject_index import SUBJECTS_DETAIL, require_current_for, subjects_digest

Effect = Callable[[Session], Sequence[LedgerEvent]]
"""A change made in another's transaction (:meth:`ReportStore.transition`): it is given the
session, changes rows through its repository and returns the ledger events to record."""

TEAM_DETAIL = "team"
"""The detail of a ``capture`` entry that lists the team's technician accounts."""

__all__ = [
    "TEAM_DETAIL",
    "BlobToStore",
    "Effect",
    "Receipt",
    "ReceiptKind",
    "ReportStore",
    "ReportSummary",
    "new_report_id",
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_STEP_INTO: dict[ReportState, LedgerStep] = {
    ReportState.VALIDATED: LedgerStep.VALIDATE,
    ReportState.REJECTED: LedgerStep.VALIDATE,
    ReportState.REDACTED: LedgerStep.REDACT,
    ReportState.RENDERED: LedgerStep.RENDER,
    ReportState.SIGNED: LedgerStep.SEAL,
    ReportState.ARCHIVED: LedgerStep.ARCHIVE,
}
"""The step that moves a report into a state, for a transition that does not name its own."""

SUBMISSION_ID_TAKEN: dict[str, str] = {
    "path": "submission_id",
    "code": "submission_id_taken",
    "message": "this submission_id is already used by another sender; "
    "send your report with a submission_id of your own (a new UUID)",
    "message_fr": "ce submission_id est déjà utilisé par un autre expéditeur ; "
    "envoyez votre rapport avec votre propre submission_id (un nouvel UUID)",
}
"""The issue of a submission that reuses someone else's submission_id: it names no report."""


def new_report_id() -> str:
    """``RI-`` + a ULID: sortable by creation time, unguessable."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "RI-" + "".join(reversed(chars))


class ReceiptKind(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    """Same submission_id, same bytes: nothing stored, the existing report returned."""
    CORRECTION = "correction"
    """Same submission_id, new bytes, report was rejected: it is captured again."""
    CONFLICT = "conflict"
    """Same submission_id, new bytes, report already accepted: kept as a new rejected report."""


@dataclass(frozen=True)
class Receipt:
    """What :meth:`ReportStore.receive` did with a submission."""

    kind: ReceiptKind
    report_id: str
    conflicting_report_id: str | None = None
    """For a conflict: the report that already owns the submission_id."""


@dataclass(frozen=True)
class BlobToStore:
    """A plaintext blob to encrypt and store with a capture."""

    kind: BlobKind
    content: bytes
    media_type: str | None = None
    blob_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BlobKind(self.kind))  # an unknown kind is refused here


@dataclass(frozen=True)
class ReportSummary:
    """A report's row: no personal data."""

    id: str
    submission_id: str | None
    state: ReportState
    source: str
    template_id: str | None
    client_kind: str | None
    intervention_date: dt.date | None
    outcome: str | None
    content_blob_id: str | None
    issues: list[dict[str, Any]]
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    restriction_reason: str | None = None
    """Set when access to the personal data is restricted (Art. 18, or Art. 17(3))."""
    number: str | None = None
    """The readable number (``RI-2026-000123``), once accepted (:mod:`storage.report_numbers`)."""

    @property
    def shown_number(self) -> str:
        """What a person reads: the number, or the id while the report has none."""
        return self.number or self.id

    @classmethod
    def of(cls, row: ReportRecord) -> ReportSummary:
        return cls(
            id=row.id,
            submission_id=row.submission_id,
            state=ReportState(row.state),
            source=row.source,
            template_id=row.template_id,
            client_kind=row.client_kind,
            intervention_date=row.intervention_date,
            outcome=row.outcome,
            content_blob_id=row.content_blob_id,
            issues=list(row.issues or []),
            revision=row.revision,
            created_at=row.created_at,
            updated_at=row.updated_at,
            restriction_reason=row.restriction_reason,
            number=row.number,
        )


class ReportStore:
    """Reports and their encrypted data, over a :class:`Database` and a :class:`BlobStore`."""

    def __init__(
        self,
        database: Database,
        keystore: DataKeyStore,
        blobs: BlobStore,
        ledger: Ledger,
        *,
        actor: str = "quitus",
        corrects_others: bool = True,
    ) -> None:
        self.database = database
        self.keystore = keystore
        self.keys = keystore.keys
        self.blobs = blobs
        self.ledger = ledger
        self.notes = NoteStore(keystore)
        """Encrypted free text (reasons, comments) that the ledger names by hash."""
        self.actor = actor
        """Who the ledger names for the steps this store records (a user id or a job name)."""
        self.corrects_others = corrects_others
        """Whether a submission through this store may correct a report someone else sent first
        (the installation's operator: yes; a signed-in technician: no, see :meth:`for_submitter`)."""

    def acting_as(self, actor: str) -> ReportStore:
        """The same store (same database, keys and ledger), naming ``actor`` in the ledger.

        A shallow copy: what it records is attributed to ``actor`` (an API user's handle),
        while the collaborators are shared with this store.
        """
        acting = copy.copy(self)
        acting.actor = actor
        return acting

    def for_submitter(self, submitter: str, *, corrects_others: bool = False) -> ReportStore:
        """The store ``submitter`` captures through: named in the ledger, and correcting only
        the reports they sent first unless ``corrects_others`` (see the module doc)."""
        acting = self.acting_as(submitter)
        acting.corrects_others = corrects_others
        return acting

    # -- capture ---------------------------------------------------------------------------

    def receive(self, raw: bytes, *, source: str, submission_id: str | None) -> Receipt:
        """Record a raw submission (encrypted) and decide what it is; see the module doc."""
        fingerprint = self.keys.fingerprint(raw)
        for attempt in range(2):
            try:
                with self.database.session() as session:
                    return self._receive(session, raw, source, submission_id, fingerprint)
            except IntegrityError:
                # Another process inserted the same submission_id meanwhile: decide again.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _receive(
        self, session: Session, raw: bytes, source: str, submission_id: str | None, fingerprint: str
    ) -> Receipt:
        existing = None
        if submission_id is not None:
            lock_for_write(session)
            existing = session.scalars(
                select(ReportRecord).where(ReportRecord.submission_id == submission_id).with_for_update()
            ).first()
        else:
            # The same unreadable bytes again: same report, not a second one.
            earlier = self._seen_without_id(session, fingerprint)
            if earlier is not None:
                return Receipt(ReceiptKind.DUPLICATE, earlier)
        if existing is None:
            report = self._new_report(session, source, submission_id)
            self._store_raw(
                session, report.id, raw, source=source, fingerprint=fingerprint, outcome="captured"
            )
            return Receipt(ReceiptKind.NEW, report.id)
        if not self.corrects_others and _first_submitter(session, existing.id) != self.actor:
            return self._foreign(session, raw, source, fingerprint)
        return self._again(session, existing, raw, source, fingerprint)

    def _again(
        self, session: Session, existing: ReportRecord, raw: bytes, source: str, fingerprint: str
    ) -> Receipt:
        """A submission_id seen before, from a sender who may correct its report."""
        seen = session.scalar(
            select(SubmissionRecord.id)
            .where(SubmissionRecord.report_id == existing.id, SubmissionRecord.fingerprint == fingerprint)
            .limit(1)
        )
        if seen is not None:
            return Receipt(ReceiptKind.DUPLICATE, existing.id)
        if existing.state == ReportState.REJECTED:
            self._store_raw(
                session, existing.id, raw, source=source, fingerprint=fingerprint, outcome="captured"
            )
            existing.state = ReportState.CAPTURED
            existing.content_blob_id = None
            existing.source = source
            existing.revision += 1
            existing.issues = []
            existing.updated_at = utcnow()
            return Receipt(ReceiptKind.CORRECTION, existing.id)
        earlier_conflict = self._earlier_conflict(session, fingerprint)
        if earlier_conflict is not None:
            return Receipt(ReceiptKind.DUPLICATE, earlier_conflict, conflicting_report_id=existing.id)
        report = self._new_report(session, source, None)
        self._store_raw(session, report.id, raw, source=source, fingerprint=fingerprint, outcome="conflict")
        return Receipt(ReceiptKind.CONFLICT, report.id, conflicting_report_id=existing.id)

    def _earlier_conflict(self, session: Session, fingerprint: str) -> str | None:
        """The conflict report these bytes were already kept as, by this store's submitter
        when it corrects only its own (another sender's conflict is not theirs to see)."""
        candidates = session.scalars(
            select(SubmissionRecord.report_id)
            .where(SubmissionRecord.fingerprint == fingerprint, SubmissionRecord.outcome == "conflict")
            .order_by(SubmissionRecord.received_at)
        )
        for report_id in candidates:
            if self.corrects_others or _first_submitter(session, report_id) == self.actor:
                return report_id
        return None

    def _foreign(self, session: Session, raw: bytes, source: str, fingerprint: str) -> Receipt:
        """Someone else's submission_id: kept as the sender's own rejected report, naming nothing.

        The answer is the same whether the report under that id is accepted or rejected, and
        whatever the bytes: neither its id, nor its state, nor whether these bytes are its own
        is told.
        """
        earlier = self._earlier_conflict(session, fingerprint)
        if earlier is not None:
            return Receipt(ReceiptKind.DUPLICATE, earlier)
        report = self._new_report(session, source, None)
        self._store_raw(session, report.id, raw, source=source, fingerprint=fingerprint, outcome="conflict")
        issues = [dict(SUBMISSION_ID_TAKEN)]
        self._move(report, ReportState.REJECTED, issues)
        self.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.CAPTURE,
                    actor=self.actor,
                    outcome="rejected",
                    report_id=report.id,
                    details=_issue_codes(issues),
                )
            ],
        )
        return Receipt(ReceiptKind.CONFLICT, report.id)

    @staticmethod
    def _seen_without_id(session: Session, fingerprint: str) -> str | None:
        return session.scalar(
            select(SubmissionRecord.report_id)
            .join(ReportRecord, ReportRecord.id == SubmissionRecord.report_id)
            .where(
                SubmissionRecord.fingerprint == fingerprint,
                ReportRecord.submission_id.is_(None),
                SubmissionRecord.outcome != "conflict",
            )
            .limit(1)
        )

    def _new_report(self, session: Session, source: str, submission_id: str | None) -> ReportRecord:
        now = utcnow()
        report = ReportRecord(
            id=new_report_id(),
            submission_id=submission_id,
            state=ReportState.CAPTURED,
            source=source,
            issues=[],
            revision=1,
            created_at=now,
            updated_at=now,
        )
        # The key is stored (in the key store) before anything is encrypted with it.
        self.keystore.create(report.id)
        session.add(report)
        session.flush()
        return report

    def _store_raw(
        self, session: Session, report_id: str, raw: bytes, *, source: str, fingerprint: str, outcome: str
    ) -> None:
        stored = self._put_blob(session, report_id, BlobToStore(BlobKind.SUBMISSION, raw))
        self.ledger.append(
            session,
            [
                LedgerEvent(
                    step=LedgerStep.RECEIVE,
                    actor=self.actor,
                    outcome=outcome,
                    report_id=report_id,
                    artifacts={stored.blob_id: stored.ciphertext_sha256},
                    details={"source": source},
                )
            ],
        )
        session.add(
            SubmissionRecord(
                id="s" + secrets.token_hex(12),
                report_id=report_id,
                source=source,
                fingerprint=fingerprint,
                raw_blob_id=stored.blob_id,
                outcome=outcome,
                received_at=utcnow(),
            )
        )

    def _put_blob(self, session: Session, report_id: str, blob: BlobToStore) -> StoredBlob:
        stored = self.blobs.put(self.keystore.get(report_id), blob.kind, blob.content, blob.blob_id)
        session.add(
            BlobRecord(
                id=stored.blob_id,
                report_id=report_id,
                kind=blob.kind,
                ciphertext_sha256=stored.ciphertext_sha256,
                size=stored.size,
                media_type=blob.media_type,
                created_at=utcnow(),
            )
        )
        return stored

    def save_capture(
        self,
        report_id: str,
        *,
        content: bytes | None,
        blobs: Sequence[BlobToStore] = (),
        issues: Sequence[dict[str, Any]] = (),
        template_id: str | None = None,
        client_kind: str | None = None,
        intervention_date: dt.date | None = None,
        outcome: str | None = None,
        subjects: Iterable[tuple[str, str]] = (),
        tags: Sequence[str] = (),
        site_country: str | None = None,
        team: Sequence[str] = (),
    ) -> ReportSummary:
        """Store the parsed report (encrypted) and its blobs; reject when ``issues`` is not empty.

        The report stays ``captured`` when it could be parsed without issue. ``subjects``
        are blind-index entries (kind, digest) for data-subject requests. ``team``: the
        handles of the enabled technician accounts among the report's team (the capture entry
        records them, detail ``team``: the report is theirs too, :mod:`quitus.api.ownership`);
        the caller checks they are accounts — anything else typed as an id may be personal.
        """
        with self.database.session() as session:
            report = self._locked(session, report_id)
            if report.state != ReportState.CAPTURED or report.content_blob_id is not None:
                raise InvalidTransitionError(
                    f"report {report_id} was already captured (state {report.state}); nothing to save"
                )
            stored = [self._put_blob(session, report_id, blob) for blob in blobs]
            if content is not None:
                parsed = self._put_blob(
                    session, report_id, BlobToStore(BlobKind.REPORT, content, "application/json")
                )
                report.content_blob_id = parsed.blob_id
                stored.append(parsed)
            # A correction replaces what an earlier revision said about who the report concerns.
            session.execute(delete(SubjectIndexRecord).where(SubjectIndexRecord.report_id == report_id))
            indexed = set(subjects)
            for kind, digest in indexed:
                session.add(SubjectIndexRecord(report_id=report_id, kind=kind, digest=digest))
            report.template_id = template_id
            report.client_kind = client_kind
            report.intervention_date = intervention_date
            report.outcome = outcome
            report.tags = list(tags)
            report.site_country = site_country
            if issues:
                self._move(report, ReportState.REJECTED, issues)
            report.updated_at = utcnow()
            facts = facts_digest(
                template_id=template_id,
                client_kind=client_kind,
                intervention_date=intervention_date,
                outcome=outcome,
                tags=report.tags,
                site_country=site_country,
            )
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.CAPTURE,
                        actor=self.actor,
                        outcome="rejected" if issues else "captured",
                        report_id=report_id,
                        artifacts={b.blob_id: b.ciphertext_sha256 for b in stored},
                        details={
                            **_issue_codes(issues),
                            FACTS_DETAIL: facts,
                            # A deleted row would lift a hold placed on a person: audit verify compares.
                            SUBJECTS_DETAIL: subjects_digest(indexed),
                            **({TEAM_DETAIL: sorted(set(team))} if team else {}),
                        },
                    )
                ],
            )
            return ReportSummary.of(report)

    def transition(
        self,
        report_id: str,
        target: ReportState,
        *,
        issues: Sequence[dict[str, Any]] = (),
        expected: ReportState | None = None,
        step: LedgerStep | None = None,
        policy: str | None = None,
        blobs: Sequence[BlobToStore] = (),
        details: Mapping[str, str | int | list[str]] | None = None,
        effects: Sequence[Effect] = (),
    ) -> ReportSummary:
        """Move a report to ``target``, store the step's ``blobs`` (encrypted) and record
        the step in the ledger with their ciphertext hashes — all in one transaction.

        ``effects``: what else the move changes, in the same transaction (an accepted report
        closes the visit it continues and joins its unit's history): each is called with the
        session once the report has moved, its events recorded after the step's entry. A
        crash then leaves both done or neither.

        ``step`` defaults to the step that leads into ``target`` (``validate`` for
        ``validated`` or ``rejected``, ``seal`` for ``signed``…).

        Refuses what the state machine forbids. With ``expected``, moving from any other
        state is refused too: the step was already done (or undone) by someone else.
        """
        with self.database.session() as session:
            report = self._locked(session, report_id)
            if expected is not None and report.state != expected:
                raise InvalidTransitionError(
                    f"report {report_id} is {report.state}, expected {expected.value}"
                )
            self._move(report, target, issues)
            numbered: dict[str, str | int | list[str]] = {}
            if target == ReportState.VALIDATED and report.number is None:
                # Accepted: its number is counted in this transaction (storage.report_numbers).
                report.number = allocate_number(session, report.updated_at)
                numbered[NUMBER_DETAIL] = report.number
            recorded = step or _STEP_INTO.get(target)
            if recorded is None:
                raise InvalidTransitionError(f"say which ledger step moves report {report_id} to {target}")
            artifacts = {
                b.blob_id: b.ciphertext_sha256 for b in (self._put_blob(session, report_id, x) for x in blobs)
            }
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=recorded,
                        actor=self.actor,
                        outcome=target.value,
                        report_id=report_id,
                        artifacts=artifacts,
                        policy=policy,
                        details={**_issue_codes(issues), **(details or {}), **numbered},
                    ),
                    *(event for effect in effects for event in effect(session)),
                ],
            )
            return ReportSummary.of(report)

    def record_failure(self, report_id: str, step: LedgerStep, issue: Mapping[str, str]) -> ReportSummary:
        """Mark a report whose ``step`` failed for a reason that retrying will not cure.

        The report keeps its state (the step is tried again by a later run, once the cause is
        fixed: a blob restored from backup…); its issues say what failed (``issue``: a code
        and messages without personal data) and the ledger records the failure with the code.
        """
        with self.database.session() as session:
            report = self._locked(session, report_id)
            report.issues = [dict(issue)]
            report.updated_at = utcnow()
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=step,
                        actor=self.actor,
                        outcome="failed",
                        report_id=report_id,
                        details={"error": str(issue["code"])},
                    )
                ],
            )
            return ReportSummary.of(report)

    def find_by_subject(self, digests: Iterable[tuple[str, str]]) -> list[str]:
        """Report ids whose blind index holds any of ``digests`` (kind, digest).

        Raises :class:`~storage.errors.SubjectIndexOutdatedError` for a phone while the index
        is of an older version (see :mod:`storage.subject_index`).
        """
        wanted = list(digests)
        if not wanted:
            return []
        with self.database.session() as session:
            require_current_for(session, wanted)
            rows = session.scalars(
                select(SubjectIndexRecord.report_id)
                .where(tuple_(SubjectIndexRecord.kind, SubjectIndexRecord.digest).in_(wanted))
                .distinct()
            )
            return sorted(rows)

    @staticmethod
    def _move(report: ReportRecord, target: ReportState, issues: Sequence[dict[str, Any]]) -> None:
        current = ReportState(report.state)
        if not can_transition(current, target):
            raise InvalidTransitionError(
                f"report {report.id} cannot go from {current.value} to {target.value}"
            )
        report.state = target
        report.issues = list(issues)
        report.updated_at = utcnow()
        # A claim (storage.claims) is on a report waiting in a state: it ends when the report leaves it.
        report.claimed_by = report.claim_expires_at = None

    # -- reading ---------------------------------------------------------------------------

    def resolve(self, reference: str) -> str:
        """The id of the report ``reference`` names: its id or its number (``RI-2026-000123``)."""
        with self.database.session() as session:
            report_id = report_id_for(session, reference)
        if report_id is None:
            raise ReportNotFoundError(
                f"no report {reference}; `quitus reports list` shows the numbers and ids"
            )
        return report_id

    def numbers(self, report_ids: Iterable[str]) -> dict[str, str]:
        """Report id → its number, for those that have one (:func:`storage.report_numbers.numbers_of`);
        erased reports keep theirs."""
        with self.database.session() as session:
            return numbers_of(session, report_ids)

    def shown_numbers(self, report_ids: Iterable[str]) -> dict[str, str]:
        """Report id → what a person reads for it: its number, or its id while it has none."""
        ids = list(report_ids)
        numbers = self.numbers(ids)
        return {report_id: shown_number(numbers.get(report_id), report_id) for report_id in ids}

    def get(self, report_id: str) -> ReportSummary:
        with self.database.session() as session:
            report = session.get(ReportRecord, report_id)
            if report is None:
                raise ReportNotFoundError(f"no report {report_id}; `quitus reports list` shows the ids")
            return ReportSummary.of(report)

    def list_reports(
        self,
        *,
        state: ReportState | None = None,
        limit: int = 100,
        offset: int = 0,
        ids: Sequence[str] | None = None,
        after: str | None = None,
    ) -> list[ReportSummary]:
        """Reports by id; ``after``: only those whose id sorts after it (a page's cursor)."""
        query = select(ReportRecord).order_by(ReportRecord.id)
        if after is not None:
            query = query.where(ReportRecord.id > after)
        if state is not None:
            query = query.where(ReportRecord.state == state)
        if ids is not None:
            query = query.where(ReportRecord.id.in_(list(ids)))
        with self.database.session() as session:
            return [ReportSummary.of(r) for r in session.scalars(query.limit(limit).offset(offset))]

    def count_by_state(self) -> dict[ReportState, int]:
        with self.database.session() as session:
            rows = session.execute(select(ReportRecord.state, func.count()).group_by(ReportRecord.state))
            return {ReportState(state): count for state, count in rows}

    def submissions(self, report_id: str) -> list[SubmissionRecord]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(SubmissionRecord)
                    .where(SubmissionRecord.report_id == report_id)
                    .order_by(SubmissionRecord.received_at)
                )
            )

    def blob_records(self, report_id: str) -> list[BlobRecord]:
        with self.database.session() as session:
            return list(session.scalars(select(BlobRecord).where(BlobRecord.report_id == report_id)))

    def latest_blob(self, report_id: str, kind: BlobKind) -> str | None:
        """Id of the report's most recent blob of ``kind`` (e.g. ``pdf_full``), if any."""
        with self.database.session() as session:
            return session.scalar(
                select(BlobRecord.id)
                .where(BlobRecord.report_id == report_id, BlobRecord.kind == kind)
                .order_by(BlobRecord.created_at.desc())
                .limit(1)
            )

    def ids_in_state(self, state: ReportState, *, limit: int) -> list[str]:
        """Up to ``limit`` report ids waiting in ``state``, oldest first."""
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(ReportRecord.id)
                    .where(ReportRecord.state == state)
                    .order_by(ReportRecord.id)
                    .limit(limit)
                )
            )

    def mark_archived(self, report_id: str) -> ReportSummary:
        """Final step: the retention clock's archival date is set."""
        with self.database.session() as session:
            report = self._locked(session, report_id)
            if report.state != ReportState.SIGNED:
                raise InvalidTransitionError(f"report {report_id} is {report.state}, expected signed")
            self._move(report, ReportState.ARCHIVED, ())
            report.archived_at = report.updated_at
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.ARCHIVE, actor=self.actor, outcome="archived", report_id=report_id
                    )
                ],
            )
            return ReportSummary.of(report)

    def read_blob(self, report_id: str, blob_id: str) -> bytes:
        """Decrypt one of the report's blobs (for an authorized reader)."""
        with self.database.session() as session:
            record = session.get(BlobRecord, blob_id)
            if record is None or record.report_id != report_id:
                raise ReportNotFoundError(f"report {report_id} has no blob {blob_id}")
            key = self.keystore.get(report_id)
            return self.blobs.get(key, record.kind, blob_id)

    # -- keys ------------------------------------------------------------------------------

    @staticmethod
    def _locked(session: Session, report_id: str) -> ReportRecord:
        lock_for_write(session)
        report = session.scalars(
            select(ReportRecord).where(ReportRecord.id == report_id).with_for_update()
        ).first()
        if report is None:
            raise ReportNotFoundError(f"no report {report_id}; `quitus reports list` shows the ids")
        return report


def _first_submitter(session: Session, report_id: str) -> str | None:
    """Who sent the report first: the actor of its first ``receive`` event in the ledger."""
    rows = session.scalars(
        select(LedgerEntryRecord.entry)
        .where(LedgerEntryRecord.report_id == report_id, LedgerEntryRecord.step == LedgerStep.RECEIVE)
        .order_by(LedgerEntryRecord.seq)
        .limit(1)
    )
    for entry in rows:
        return str(decode_entry(entry).get("actor"))
    return None


def _issue_codes(issues: Sequence[dict[str, Any]]) -> dict[str, str | int | list[str]]:
    """Issue codes only: messages and paths stay out of the ledger."""
    return {"issues": sorted({str(i["code"]) for i in issues})} if issues else {}
