"""Planned follow-up visits: the next visit of an unfinished intervention, and its ledger.

A visit is planned *from* an unfinished report (the one it continues). Its row holds ids,
the day, the slot, the technicians' identifiers and the template — no personal data
(ARCHITECTURE invariant 1). What the visit needs that may name or locate someone — the
client, the site, the unfinished checklist items with their comments, the parts on order,
a planner's note — is its **plan**: a JSON document encrypted as a blob of the continued
report (:attr:`~storage.blob_kinds.BlobKind.VISIT_PLAN`), under *that report's* data key.
So a visit follows its report's retention and erasure with nothing of its own to forget:
when :func:`storage.erasure.shred_reports` destroys the report's key the plan is noise,
its file goes with the report's blobs, and the visit rows are deleted in the erasure's
transaction (:func:`delete_visits_of`).

Life of a visit::

    planned ─► done        (the report that continues it was accepted: visit.continue)
       │ ▲
       └─┘ moved           (visit.move: another day, slot or technicians)
       └─► cancelled       (visit.cancel, with a reason code)

Every change is a ledger entry about the continued report, naming the visit by id, the
day, the slot and the technicians' identifiers; ``visit.plan`` carries the plan's
ciphertext hash as an artifact, as a capture does for its blobs. Timestamps are UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.access_store import Role, UserRecord
from storage.blob_kinds import BlobKind
from storage.database import is_one_of
from storage.errors import InvalidTransitionError, KeyDestroyedError, ReportNotFoundError, StorageError
from storage.identifiers import personal_identifier_kind
from storage.ledger.events import LedgerEvent, decode_entry, is_code
from storage.ledger.steps import LedgerStep
from storage.models import Base, BlobRecord, LedgerEntryRecord, ReportRecord, utcnow
from storage.report_store import Effect, ReportStore
from storage.states import ReportState
from storage.visit_integrity import SignedVisit, visit_problems, vouched_visits

__all__ = [
    "VISIT_ID_PATTERN",
    "PlannedVisitRecord",
    "UnplannedFollowup",
    "VisitError",
    "VisitNotFoundError",
    "VisitRow",
    "VisitSlot",
    "VisitStatus",
    "VisitStore",
    "VisitTamperedError",
    "delete_visits_of",
]

_T = TypeVar("_T")

VISIT_ID_PATTERN: Final = r"^PV-[0-9a-f]{16}$"
MAX_TECHNICIANS: Final = 4


class VisitSlot(StrEnum):
    """When in the day a visit is planned (what a client is told)."""

    MORNING = "matin"
    """8 h – 12 h."""
    AFTERNOON = "apres_midi"
    """13 h 30 – 17 h 30."""
    DAY = "journee"
    """The whole day."""


class VisitStatus(StrEnum):
    PLANNED = "planned"
    """To be done: shown in the technicians' week."""
    DONE = "done"
    """The report that continues it was accepted."""
    CANCELLED = "cancelled"


class VisitError(StorageError):
    """A visit that cannot be planned, moved or cancelled as asked (the message says why)."""


class VisitNotFoundError(ReportNotFoundError):
    """No such visit (or not one the caller may see)."""


class VisitTamperedError(VisitError):
    """The visit's row differs from its signed ledger entries: its plan is not read, nor is it
    moved, cancelled or closed, until ``quitus audit verify`` has been looked at."""

    def __init__(self, visit: VisitRow) -> None:
        super().__init__(
            f"visit {visit.id} differs from its signed ledger entries ({visit.tampered[0]}): it is refused "
            "until the tampering is looked at (`quitus audit verify`, docs/operations.md, Tampering found)"
        )
        self.visit = visit


class PlannedVisitRecord(Base):
    """A planned follow-up visit. No personal data: the plan is an encrypted blob."""

    __tablename__ = "planned_visits"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="ck_planned_visits_status"),
        CheckConstraint("slot IN ('matin', 'apres_midi', 'journee')", name="ck_planned_visits_slot"),
        Index("ix_planned_visits_day", "day"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    continues_report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    """The unfinished report this visit continues (its data key encrypts the plan)."""
    template_id: Mapped[str] = mapped_column(String(128))
    day: Mapped[dt.date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(16))
    technicians: Mapped[list[str]] = mapped_column(JSON)
    """Identifiers of the technicians (``tech-042``): not personal on their own."""
    status: Mapped[str] = mapped_column(String(16), default=VisitStatus.PLANNED)
    plan_blob_id: Mapped[str] = mapped_column(String(40))
    continued_by_report_id: Mapped[str | None] = mapped_column(String(40))
    """The report that continued it, once accepted."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class VisitRow:
    """A visit, detached from the session: ids, day, slot and technicians only."""

    id: str
    continues_report_id: str
    continues_number: str | None
    """The readable number of the continued report (``RI-2026-000123``)."""
    template_id: str
    day: dt.date
    slot: VisitSlot
    technicians: tuple[str, ...]
    status: VisitStatus
    continued_by_report_id: str | None
    tampered: tuple[str, ...] = ()
    """How its row differs from the signed ledger (:mod:`storage.visit_integrity`): when it
    does, the values above are the ledger's (no technician when no entry planned it), and
    its plan is not read."""

    @classmethod
    def written(cls, row: PlannedVisitRecord, number: str | None) -> VisitRow:
        """A row this transaction just wrote, with its ledger entry."""
        return cls(
            id=row.id,
            continues_report_id=row.continues_report_id,
            continues_number=number,
            template_id=row.template_id,
            day=row.day,
            slot=VisitSlot(row.slot),
            technicians=tuple(row.technicians),
            status=VisitStatus(row.status),
            continued_by_report_id=row.continued_by_report_id,
        )

    @classmethod
    def vouched(cls, row: PlannedVisitRecord, number: str | None, signed: SignedVisit | None) -> VisitRow:
        """The row as the ledger vouches for it (``signed``: its entries, read with the row)."""
        kept = cls.written(row, number)
        problems = tuple(visit_problems(row, signed))
        if not problems:
            return kept
        if not isinstance(signed, SignedVisit) or signed.planned_seq is None:
            return dataclasses.replace(kept, technicians=(), tampered=problems)
        return dataclasses.replace(
            kept,
            continues_report_id=signed.report_id,
            template_id=signed.template_id or kept.template_id,
            day=_signed(dt.date.fromisoformat, signed.day, kept.day),
            slot=_signed(VisitSlot, signed.slot, kept.slot),
            technicians=signed.technicians,
            status=_signed(VisitStatus, signed.status, kept.status),
            continued_by_report_id=signed.continued_by,
            tampered=problems,
        )


@dataclass(frozen=True)
class UnplannedFollowup:
    """An unfinished report waiting for its visit to be planned (no personal data)."""

    report_id: str
    number: str | None
    template_id: str | None
    intervention_date: dt.date | None


_NOT_ACCEPTED = frozenset({ReportState.CAPTURED, ReportState.REJECTED, ReportState.ERASED})


class VisitStore:
    """The ``planned_visits`` table over a :class:`ReportStore`'s database, keys, blobs and ledger."""

    def __init__(self, store: ReportStore) -> None:
        self.store = store

    # -- changes ----------------------------------------------------------------------------

    def plan(
        self,
        continues_report_id: str,
        *,
        template_id: str,
        day: dt.date,
        slot: VisitSlot,
        technicians: Sequence[str],
        plan: bytes,
    ) -> VisitRow:
        """Plan a visit that continues this report; ``plan`` (JSON) is encrypted under its key.

        Refused (:class:`VisitError`) for an erased report, one that was not accepted, or one
        that already has a visit planned.
        """
        crew = _crew(technicians)
        store = self.store
        with store.database.session() as session:
            _require_technicians(session, crew)
            report = session.get(ReportRecord, continues_report_id, with_for_update=True)
            if report is None:
                raise ReportNotFoundError(
                    f"no report {continues_report_id}; `quitus reports list` shows them"
                )
            if report.state in _NOT_ACCEPTED:
                raise VisitError(
                    f"report {_shown(report)} is {report.state}: a visit continues an accepted report"
                )
            taken = session.scalar(
                select(PlannedVisitRecord.id).where(
                    PlannedVisitRecord.continues_report_id == continues_report_id,
                    PlannedVisitRecord.status == VisitStatus.PLANNED.value,
                )
            )
            if taken is not None:
                raise VisitError(
                    f"report {_shown(report)} already has visit {taken} planned: "
                    f"`quitus visits move {taken}` changes its day"
                )
            visit_id = "PV-" + secrets.token_hex(8)
            try:
                key = store.keystore.get(continues_report_id)
            except KeyDestroyedError as exc:
                raise VisitError(f"report {_shown(report)} was erased: nothing to continue") from exc
            stored = store.blobs.put(key, BlobKind.VISIT_PLAN, plan)
            session.add(
                BlobRecord(
                    id=stored.blob_id,
                    report_id=continues_report_id,
                    kind=BlobKind.VISIT_PLAN,
                    ciphertext_sha256=stored.ciphertext_sha256,
                    size=stored.size,
                    media_type="application/json",
                    created_at=utcnow(),
                )
            )
            now = utcnow()
            record = PlannedVisitRecord(
                id=visit_id,
                continues_report_id=continues_report_id,
                template_id=template_id,
                day=day,
                slot=slot.value,
                technicians=list(crew),
                status=VisitStatus.PLANNED.value,
                plan_blob_id=stored.blob_id,
                created_at=now,
                updated_at=now,
            )
            session.add(record)
            session.flush()
            store.ledger.append(
                session,
                [
                    self._event(
                        LedgerStep.VISIT_PLAN,
                        record,
                        artifacts={stored.blob_id: stored.ciphertext_sha256},
                        template=template_id,
                    )
                ],
            )
            return VisitRow.written(record, report.number)

    def move(
        self,
        visit_id: str,
        *,
        day: dt.date | None = None,
        slot: VisitSlot | None = None,
        technicians: Sequence[str] | None = None,
    ) -> tuple[VisitRow, bool]:
        """Move a planned visit; returns it and whether anything changed (nothing: no entry)."""
        with self.store.database.session() as session:
            record = self._locked(session, visit_id)
            self._refuse_tampered(session, record)
            self._require_planned(record, "moved")
            before = (record.day, record.slot, tuple(record.technicians))
            replaces = record.day
            if day is not None:
                record.day = day
            if slot is not None:
                record.slot = slot.value
            if technicians is not None:
                crew = _crew(technicians)
                _require_technicians(session, crew)
                record.technicians = list(crew)
            changed = (record.day, record.slot, tuple(record.technicians)) != before
            if changed:
                record.updated_at = utcnow()
                self.store.ledger.append(
                    session, [self._event(LedgerStep.VISIT_MOVE, record, replaces=replaces.isoformat())]
                )
            return VisitRow.written(record, self._number(session, record)), changed

    def cancel(self, visit_id: str, *, reason: str) -> tuple[VisitRow, bool]:
        """Cancel a planned visit with a reason code; cancelling it again changes nothing."""
        if not is_code(reason) or personal_identifier_kind(reason) is not None:
            raise VisitError(
                "the reason is not a code: give one such as client_request or replanned "
                "(letters, digits, . _ -), never free text: it goes into the ledger"
            )
        with self.store.database.session() as session:
            record = self._locked(session, visit_id)
            self._refuse_tampered(session, record)
            if record.status == VisitStatus.CANCELLED.value:
                return VisitRow.written(record, self._number(session, record)), False
            self._require_planned(record, "cancelled")
            record.status = VisitStatus.CANCELLED.value
            record.updated_at = utcnow()
            self.store.ledger.append(session, [self._event(LedgerStep.VISIT_CANCEL, record, reason=reason)])
            return VisitRow.written(record, self._number(session, record)), True

    def mark_continued(self, visit_id: str, report_id: str) -> bool:
        """Record that ``report_id`` (accepted) continues this visit: it is done. False when it
        was not planned any more (done already, cancelled). A visit whose row differs from the
        ledger is refused (:class:`VisitTamperedError`): closing it would sign the edit."""
        with self.store.database.session() as session:
            record = self._locked(session, visit_id)
            self._refuse_tampered(session, record)
            event = self._continued(record, report_id)
            if event is None:
                return False
            self.store.ledger.append(session, [event])
            return True

    def continuation(self, continued_report_id: str, report_id: str, *, template_id: str) -> Effect:
        """The :data:`~storage.report_store.Effect` that closes, in the acceptance of
        ``report_id`` (of ``template_id``), the visit planned from ``continued_report_id``
        (:meth:`continue_in`)."""

        def close(session: Session) -> list[LedgerEvent]:
            event = self.continue_in(session, continued_report_id, report_id, template_id=template_id)
            return [] if event is None else [event]

        return close

    def continue_in(
        self, session: Session, continued_report_id: str, report_id: str, *, template_id: str
    ) -> LedgerEvent | None:
        """In the caller's transaction — the acceptance of ``report_id``, which continues
        ``continued_report_id`` — mark done the visit planned from it; the ``visit.continue``
        event to append with the acceptance's entry, or None.

        A visit is closed only by a report of its template, sent by one of its technicians
        (or by the back office: a sender who is no technician, ``quitus ingest``). Another
        technician's report that names the number is accepted, and the visit stays planned
        (found by the round-5 adversary). A visit whose row differs from the ledger is left as
        it is, for ``quitus audit verify`` to name.
        """
        records = session.scalars(
            select(PlannedVisitRecord)
            .where(PlannedVisitRecord.continues_report_id == continued_report_id)
            .order_by(PlannedVisitRecord.id)
            .with_for_update()
        ).all()
        signed = vouched_visits(self.store, session, [continued_report_id])
        senders = _senders(session, report_id)
        for record in records:
            visit = VisitRow.vouched(record, None, signed.get(record.id))
            if visit.tampered or visit.template_id != template_id:
                continue
            if not _may_close(session, senders, visit.technicians):
                continue
            event = self._continued(record, report_id)
            if event is not None:
                return event
        return None

    def _continued(self, record: PlannedVisitRecord, report_id: str) -> LedgerEvent | None:
        if record.status != VisitStatus.PLANNED.value:
            return None
        record.status = VisitStatus.DONE.value
        record.continued_by_report_id = report_id
        record.updated_at = utcnow()
        return self._event(LedgerStep.VISIT_CONTINUE, record, continued_by=report_id)

    # -- reading ----------------------------------------------------------------------------

    def get(self, visit_id: str) -> VisitRow:
        """The visit as its signed entries vouch for it (``tampered`` says how its row differs)."""
        with self.store.database.session() as session:
            record = session.get(PlannedVisitRecord, visit_id)
            if record is None:
                raise VisitNotFoundError(f"no visit {visit_id}; `quitus visits list` shows them")
            signed = vouched_visits(self.store, session, [record.continues_report_id])
            return VisitRow.vouched(record, self._number(session, record), signed.get(record.id))

    def visits(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        technician: str | None = None,
        status: VisitStatus | None = VisitStatus.PLANNED,
        report_ids: Sequence[str] | None = None,
    ) -> list[VisitRow]:
        """Visits by day and slot (all statuses when ``status`` is None), optionally one
        technician's, or those continuing some reports."""
        query = (
            select(PlannedVisitRecord, ReportRecord.number)
            .join(ReportRecord, ReportRecord.id == PlannedVisitRecord.continues_report_id)
            .order_by(PlannedVisitRecord.day, PlannedVisitRecord.slot, PlannedVisitRecord.id)
        )
        if since is not None:
            query = query.where(PlannedVisitRecord.day >= since)
        if until is not None:
            query = query.where(PlannedVisitRecord.day <= until)
        # No filter on the status column: an edited status must not hide a visit from its
        # technicians (the signed status decides, below). The days are selected on their column,
        # so a day edited away from the range hides the visit from that week: a denial
        # (`audit verify` names the edit), never a disclosure.
        if report_ids is not None:
            query = query.where(
                is_one_of(
                    PlannedVisitRecord.continues_report_id, list(report_ids), self.store.database.dialect
                )
            )
        with self.store.database.session() as session:
            found = list(session.execute(query))
            signed = vouched_visits(self.store, session, [record.continues_report_id for record, _ in found])
            rows = [VisitRow.vouched(record, number, signed.get(record.id)) for record, number in found]
        # What the ledger vouches for decides (an edited day, status or crew shows the signed one).
        return [
            row
            for row in rows
            if (since is None or row.day >= since)
            and (until is None or row.day <= until)
            and (status is None or row.status == status)
            and (technician is None or technician in row.technicians)
        ]

    def unplanned_followups(self, *, limit: int = 200) -> list[UnplannedFollowup]:
        """Accepted, unfinished reports with no visit planned or done yet, oldest first."""
        accepted = [s.value for s in ReportState if s not in _NOT_ACCEPTED]
        visited = select(PlannedVisitRecord.continues_report_id).where(
            PlannedVisitRecord.status.in_([VisitStatus.PLANNED.value, VisitStatus.DONE.value])
        )
        query = (
            select(
                ReportRecord.id, ReportRecord.number, ReportRecord.template_id, ReportRecord.intervention_date
            )
            .where(
                ReportRecord.outcome == "unfinished",
                ReportRecord.state.in_(accepted),
                ReportRecord.id.not_in(visited),
            )
            .order_by(ReportRecord.id)
            .limit(limit)
        )
        with self.store.database.session() as session:
            return [UnplannedFollowup(*row) for row in session.execute(query)]

    def read_plan(self, visit_id: str) -> bytes:
        """The decrypted plan (JSON). The caller records the read (it names who reads).

        Refused (:class:`VisitTamperedError`) when the visit's row differs from its entries."""
        visit = self.get(visit_id)
        if visit.tampered:
            raise VisitTamperedError(visit)
        with self.store.database.session() as session:
            record = session.get(PlannedVisitRecord, visit_id)
            if record is None:
                raise VisitNotFoundError(f"no visit {visit_id}; `quitus visits list` shows them")
            report_id, blob_id = record.continues_report_id, record.plan_blob_id
        return self.store.read_blob(report_id, blob_id)

    # -- helpers ----------------------------------------------------------------------------

    def _event(
        self,
        step: LedgerStep,
        record: PlannedVisitRecord,
        *,
        artifacts: dict[str, str] | None = None,
        **extra: str,
    ) -> LedgerEvent:
        return LedgerEvent(
            step=step,
            actor=self.store.actor,
            outcome=record.status,
            report_id=record.continues_report_id,
            artifacts=artifacts or {},
            details={
                "visit": record.id,
                "day": record.day.isoformat(),
                "slot": record.slot,
                "technicians": list(record.technicians),
                **extra,
            },
        )

    @staticmethod
    def _locked(session: Session, visit_id: str) -> PlannedVisitRecord:
        record = session.scalars(
            select(PlannedVisitRecord).where(PlannedVisitRecord.id == visit_id).with_for_update()
        ).first()
        if record is None:
            raise VisitNotFoundError(f"no visit {visit_id}; `quitus visits list` shows them")
        return record

    def _refuse_tampered(self, session: Session, record: PlannedVisitRecord) -> None:
        signed = vouched_visits(self.store, session, [record.continues_report_id])
        visit = VisitRow.vouched(record, None, signed.get(record.id))
        if visit.tampered:
            raise VisitTamperedError(visit)

    @staticmethod
    def _require_planned(record: PlannedVisitRecord, verb: str) -> None:
        if record.status != VisitStatus.PLANNED.value:
            raise InvalidTransitionError(f"visit {record.id} is {record.status}: it cannot be {verb}")

    @staticmethod
    def _number(session: Session, record: PlannedVisitRecord) -> str | None:
        return session.scalar(
            select(ReportRecord.number).where(ReportRecord.id == record.continues_report_id)
        )


def delete_visits_of(session: Session, report_ids: Sequence[str], dialect: str) -> int:
    """Delete the visits continuing these reports, in the caller's (erasure's) transaction.

    Their plans were encrypted under these reports' keys, which the erasure destroys; the
    rows go too, so nothing of an erased report's visits is left (their ledger entries, ids
    only, stay). Returns how many rows were deleted.
    """
    if not report_ids:
        return 0
    result = session.execute(
        delete(PlannedVisitRecord).where(
            is_one_of(PlannedVisitRecord.continues_report_id, list(report_ids), dialect)
        ),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _senders(session: Session, report_id: str) -> set[str]:
    """Who sent the report (the actors of its ``receive`` entries)."""
    texts = session.scalars(
        select(LedgerEntryRecord.entry).where(
            LedgerEntryRecord.report_id == report_id, LedgerEntryRecord.step == LedgerStep.RECEIVE.value
        )
    )
    return {str(decode_entry(text).get("actor")) for text in texts}


def _may_close(session: Session, senders: set[str], technicians: Sequence[str]) -> bool:
    """A visit's technician sent it, or no technician did (the back office)."""
    if senders & set(technicians):
        return True
    technician_accounts = session.scalar(
        select(func.count())
        .select_from(UserRecord)
        .where(UserRecord.handle.in_(sorted(senders)), UserRecord.role == Role.TECHNICIAN.value)
    )
    return not technician_accounts


def _signed(parse: Callable[[str], _T], value: str | None, kept: _T) -> _T:
    """The ledger's value parsed, or the row's when the ledger's does not parse."""
    if value is None:
        return kept
    try:
        return parse(value)
    except ValueError:
        return kept


def _crew(technicians: Sequence[str]) -> tuple[str, ...]:
    crew = tuple(dict.fromkeys(t.strip() for t in technicians if t.strip()))
    if not crew:
        raise VisitError("name at least one technician (--technician tech-042)")
    if len(crew) > MAX_TECHNICIANS:
        raise VisitError(f"at most {MAX_TECHNICIANS} technicians per visit (got {len(crew)})")
    for position, handle in enumerate(crew, start=1):
        if not is_code(handle) or len(handle) > 64:
            # The value is not repeated: it may be a person's name typed by mistake.
            raise VisitError(
                f"technician {position} is not an identifier: give theirs (tech-042), not a name"
            )
    return crew


def _require_technicians(session: Session, crew: Sequence[str]) -> None:
    """Each handle must be an enabled technician's account: an e-mail, a surname or a phone
    number typed instead would otherwise sit in the signed ledger for good."""
    known = set(
        session.scalars(
            select(UserRecord.handle).where(
                UserRecord.handle.in_(list(crew)),
                UserRecord.role == Role.TECHNICIAN.value,
                UserRecord.disabled_at.is_(None),
            )
        )
    )
    for position, handle in enumerate(crew, start=1):
        if handle not in known:
            # The value is not repeated: it may be a person's name or number typed by mistake.
            raise VisitError(
                f"technician {position} is not an enabled technician's account: `quitus users list` shows "
                "them (`quitus users add tech-042 --role technician` adds one)"
            )


def _shown(report: ReportRecord) -> str:
    return report.number or report.id
