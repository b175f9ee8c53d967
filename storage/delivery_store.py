"""Deliveries of sealed reports to clients, and follow-up requests: the rows and their ledger.

A delivery row exists once per (report, channel) — the primary key is the constraint
that lets a report be e-mailed at most once. Its life::

    (none) ─► sending ─► sent
               │  ▲  └─► failed            (a permanent refusal, or too many attempts)
               ▼  │
              pending                      (a transient error: due again at next_attempt_at)
    (none) ─► skipped                      (nothing to send to: no e-mail address)

:meth:`DeliveryStore.claim` moves a row to ``sending`` with a compare-and-set on its
status and attempt count, so two workers never both claim it; while ``sending``,
``next_attempt_at`` is the end of the claim's lease: a row still ``sending`` after it
was abandoned by a crash and may be claimed again (see ``docs/delivery.md``, the
at-least-once window). :meth:`DeliveryStore.finish` records the outcome and its
``deliver`` ledger event in one transaction.

Neither table holds personal data (ARCHITECTURE invariant 1): no address, no server
reply — error *codes* only — and a SHA-256 of the Message-ID, not the Message-ID.
Timestamps are written in UTC; SQLite gives them back naive, :func:`_utc` restores UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.errors import InvalidTransitionError, ReportNotFoundError
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.models import Base, ReportRecord, utcnow
from storage.report_store import ReportStore
from storage.states import ReportState

__all__ = [
    "EMAIL",
    "FINAL_STATUSES",
    "DeliveryRecord",
    "DeliveryRow",
    "DeliveryStatus",
    "DeliveryStore",
    "FollowupRecord",
    "FollowupRow",
    "FollowupStatus",
]

EMAIL = "email"
"""The only channel so far; the column leaves room for others (a client portal)."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Not sent yet because of a transient error; due again at ``next_attempt_at``."""
    SENDING = "sending"
    """Claimed by a worker that is sending it; claimable again after ``next_attempt_at``."""
    SENT = "sent"
    """The SMTP server accepted the message (final)."""
    FAILED = "failed"
    """Permanently refused, or given up after the last attempt (final until re-queued)."""
    SKIPPED = "skipped"
    """Nothing to send to, e.g. no e-mail address (final)."""


FINAL_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})


class FollowupStatus(StrEnum):
    OPEN = "open"
    """The technician asked for another visit; nobody has planned it yet."""
    SCHEDULED = "scheduled"
    CLOSED = "closed"


class DeliveryRecord(Base):
    """One delivery of a report's sealed PDF over one channel. No personal data."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("channel IN ('email')", name="ck_deliveries_channel"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="ck_deliveries_status"
        ),
        CheckConstraint("attempts >= 0", name="ck_deliveries_attempts"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Sends started (a claim counts: an attempt cut short by a crash may have been sent)."""
    last_error_code: Mapped[str | None] = mapped_column(String(48))
    """A code such as ``rcpt_550`` or ``connection_refused``, never the server's reply."""
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """``pending``: when it is due again; ``sending``: when the claim's lease ends."""
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    message_id_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the Message-ID, which is derived from the report id."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FollowupRecord(Base):
    """A follow-up visit requested by an unfinished intervention. No personal data."""

    __tablename__ = "followups"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'scheduled', 'closed')", name="ck_followups_status"),
        Index("ix_followups_status", "status"),
    )

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    preferred_date: Mapped[dt.date | None] = mapped_column(Date)
    """The date the report asks for, if any (``outcome.reschedule.preferred_date``)."""
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """When quitus registered the request (the report's delivery run)."""
    status: Mapped[str] = mapped_column(String(16), default=FollowupStatus.OPEN)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery row, detached from the session."""

    report_id: str
    channel: str
    status: DeliveryStatus
    attempts: int
    last_error_code: str | None
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    message_id_hash: str | None

    @classmethod
    def of(cls, row: DeliveryRecord) -> DeliveryRow:
        return cls(
            report_id=row.report_id,
            channel=row.channel,
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            last_error_code=row.last_error_code,
            next_attempt_at=_utc(row.next_attempt_at),
            last_attempt_at=_utc(row.last_attempt_at),
            sent_at=_utc(row.sent_at),
            message_id_hash=row.message_id_hash,
        )

    def due(self, now: dt.datetime) -> bool:
        """Whether a worker may claim it now."""
        if self.status in FINAL_STATUSES:
            return False
        return self.next_attempt_at is None or self.next_attempt_at <= now


@dataclass(frozen=True)
class FollowupRow:
    """A follow-up request, with the intervention date of its report."""

    report_id: str
    preferred_date: dt.date | None
    requested_at: dt.datetime
    status: FollowupStatus
    intervention_date: dt.date | None


class DeliveryStore:
    """The ``deliveries`` and ``followups`` tables, over a :class:`ReportStore`'s database and ledger."""

    def __init__(self, store: ReportStore) -> None:
        self.database = store.database
        self.ledger = store.ledger
        self.actor = store.actor

    # -- deliveries ------------------------------------------------------------------------

    def delivery(self, report_id: str, channel: str = EMAIL) -> DeliveryRow | None:
        with self.database.session() as session:
            row = session.get(DeliveryRecord, (report_id, channel))
            return None if row is None else DeliveryRow.of(row)

    def deliveries(self, report_ids: Sequence[str] | None = None) -> list[DeliveryRow]:
        query = select(DeliveryRecord).order_by(DeliveryRecord.report_id, DeliveryRecord.channel)
        if report_ids is not None:
            query = query.where(DeliveryRecord.report_id.in_(list(report_ids)))
        with self.database.session() as session:
            return [DeliveryRow.of(r) for r in session.scalars(query)]

    def claim(
        self,
        report_id: str,
        observed: DeliveryRow | None,
        *,
        now: dt.datetime,
        lease: dt.timedelta,
        message_id_hash: str | None,
        channel: str = EMAIL,
    ) -> DeliveryRow | None:
        """Mark the delivery ``sending`` (one more attempt) if it is still as ``observed``.

        ``observed`` is the row as read before (``None``: there was none). Returns the
        claimed row, or ``None`` when another worker changed or created it meanwhile.
        The caller checked that ``observed`` is due.
        """
        now = _utc_now(now)
        values = {
            "status": DeliveryStatus.SENDING.value,
            "next_attempt_at": now + lease,
            "last_attempt_at": now,
            "message_id_hash": message_id_hash,
            "updated_at": now,
        }
        if observed is None:
            try:
                with self.database.session() as session:
                    record = DeliveryRecord(
                        report_id=report_id, channel=channel, attempts=1, created_at=now, **values
                    )
                    session.add(record)
                    session.flush()
                    return DeliveryRow.of(record)
            except IntegrityError:
                return None  # another worker inserted it first
        with self.database.session() as session:
            changed = session.execute(
                update(DeliveryRecord)
                .where(
                    DeliveryRecord.report_id == report_id,
                    DeliveryRecord.channel == channel,
                    DeliveryRecord.status == observed.status.value,
                    DeliveryRecord.attempts == observed.attempts,
                )
                .values(attempts=observed.attempts + 1, **values)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            claimed = session.get(DeliveryRecord, (report_id, channel), populate_existing=True)
            assert claimed is not None
            return DeliveryRow.of(claimed)

    def finish(
        self,
        claimed: DeliveryRow,
        status: DeliveryStatus,
        *,
        now: dt.datetime,
        error_code: str | None = None,
        next_attempt_at: dt.datetime | None = None,
        artifacts: Mapping[str, str] | None = None,
        details: Mapping[str, str | int | list[str]] | None = None,
    ) -> bool:
        """Record the outcome of a claimed attempt and its ``deliver`` ledger event, in one transaction.

        Returns False when the row was no longer this claim (its lease ran out and another
        worker claimed it): the row is left to that worker, but the event is recorded all
        the same — what happened, happened. ``sent`` is recorded over any unfinished state.
        """
        if status == DeliveryStatus.SENDING:
            raise InvalidTransitionError("a claim finishes as pending, sent, failed or skipped")
        now = _utc_now(now)
        still_ours: ColumnElement[bool]
        if status == DeliveryStatus.SENT:
            still_ours = DeliveryRecord.status.in_(
                [DeliveryStatus.SENDING.value, DeliveryStatus.PENDING.value]
            )
        else:
            still_ours = and_(
                DeliveryRecord.status == DeliveryStatus.SENDING.value,
                DeliveryRecord.attempts == claimed.attempts,
            )
        event = LedgerEvent(
            step=LedgerStep.DELIVER,
            actor=self.actor,
            outcome=status.value,
            report_id=claimed.report_id,
            artifacts=dict(artifacts or {}),
            details={
                "channel": claimed.channel,
                "attempt": claimed.attempts,
                **({"error": error_code} if error_code else {}),
                **(details or {}),
            },
        )
        with self.database.session() as session:
            changed = session.execute(
                update(DeliveryRecord)
                .where(
                    DeliveryRecord.report_id == claimed.report_id,
                    DeliveryRecord.channel == claimed.channel,
                    still_ours,
                )
                .values(
                    status=status.value,
                    last_error_code=error_code,
                    next_attempt_at=next_attempt_at if status == DeliveryStatus.PENDING else None,
                    sent_at=now if status == DeliveryStatus.SENT else None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            self.ledger.append(session, [event])
            return bool(changed.rowcount == 1)  # type: ignore[attr-defined]

    def skip(self, report_id: str, code: str, *, now: dt.datetime, channel: str = EMAIL) -> bool:
        """Record that there is nothing to send (``skipped`` with ``code``), with its event.

        Only for a report without a delivery row; returns False when it has one.
        """
        now = _utc_now(now)
        try:
            with self.database.session() as session:
                session.add(
                    DeliveryRecord(
                        report_id=report_id,
                        channel=channel,
                        status=DeliveryStatus.SKIPPED.value,
                        attempts=0,
                        last_error_code=code,
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.flush()
                self.ledger.append(
                    session,
                    [
                        LedgerEvent(
                            step=LedgerStep.DELIVER,
                            actor=self.actor,
                            outcome=DeliveryStatus.SKIPPED.value,
                            report_id=report_id,
                            details={"channel": channel, "error": code},
                        )
                    ],
                )
                return True
        except IntegrityError:
            return False

    def requeue_failed(
        self, report_ids: Sequence[str] | None = None, *, now: dt.datetime, channel: str = EMAIL
    ) -> list[str]:
        """Make failed deliveries due again with a fresh attempt count (e.g. after fixing the
        sender address); records a ``deliver.requeue`` event each. Returns their ids."""
        now = _utc_now(now)
        query = select(DeliveryRecord).where(
            DeliveryRecord.channel == channel, DeliveryRecord.status == DeliveryStatus.FAILED.value
        )
        if report_ids is not None:
            query = query.where(DeliveryRecord.report_id.in_(list(report_ids)))
        with self.database.session() as session:
            rows = list(session.scalars(query.order_by(DeliveryRecord.report_id).with_for_update()))
            for row in rows:
                row.status = DeliveryStatus.PENDING.value
                row.attempts = 0
                row.next_attempt_at = now
                row.updated_at = now
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.DELIVER_REQUEUE,
                        actor=self.actor,
                        outcome=DeliveryStatus.PENDING.value,
                        report_id=row.report_id,
                        details={
                            "channel": channel,
                            **({"error": row.last_error_code} if row.last_error_code else {}),
                        },
                    )
                    for row in rows
                ],
            )
            return [row.report_id for row in rows]

    def due_report_ids(
        self, *, limit: int, now: dt.datetime, archived_since: dt.datetime | None = None
    ) -> list[str]:
        """Archived, unrestricted reports with something to do, oldest archive first.

        Something to do: no delivery yet, a delivery due again (pending after its backoff,
        or sending after its lease), or an unfinished intervention without its follow-up.
        ``archived_since`` leaves older reports that were never taken up alone (so that a
        first run on an installation full of old reports does not e-mail them all); a
        delivery already started is finished whatever its age.
        """
        now = _utc_now(now)
        recent = ReportRecord.archived_at >= _utc_now(archived_since) if archived_since else true()
        query = (
            select(ReportRecord.id)
            .outerjoin(
                DeliveryRecord,
                and_(DeliveryRecord.report_id == ReportRecord.id, DeliveryRecord.channel == EMAIL),
            )
            .outerjoin(FollowupRecord, FollowupRecord.report_id == ReportRecord.id)
            .where(
                ReportRecord.state == ReportState.ARCHIVED.value, ReportRecord.restriction_reason.is_(None)
            )
            .where(
                or_(
                    and_(DeliveryRecord.report_id.is_(None), recent),
                    and_(
                        DeliveryRecord.status.in_(
                            [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]
                        ),
                        or_(DeliveryRecord.next_attempt_at.is_(None), DeliveryRecord.next_attempt_at <= now),
                    ),
                    and_(ReportRecord.outcome == "unfinished", FollowupRecord.report_id.is_(None), recent),
                )
            )
            .order_by(ReportRecord.archived_at, ReportRecord.id)
            .limit(limit)
        )
        with self.database.session() as session:
            return list(session.scalars(query))

    # -- follow-ups ------------------------------------------------------------------------

    def has_followup(self, report_id: str) -> bool:
        with self.database.session() as session:
            return session.get(FollowupRecord, report_id) is not None

    def open_followup(self, report_id: str, *, preferred_date: dt.date | None, now: dt.datetime) -> bool:
        """Register the follow-up visit an unfinished intervention asks for, with its
        ``followup.request`` event. Returns False when it was registered before."""
        now = _utc_now(now)
        try:
            with self.database.session() as session:
                if session.get(FollowupRecord, report_id) is not None:
                    return False
                session.add(
                    FollowupRecord(
                        report_id=report_id,
                        preferred_date=preferred_date,
                        requested_at=now,
                        status=FollowupStatus.OPEN.value,
                        updated_at=now,
                    )
                )
                session.flush()
                self.ledger.append(
                    session,
                    [
                        LedgerEvent(
                            step=LedgerStep.FOLLOWUP_REQUEST,
                            actor=self.actor,
                            outcome=FollowupStatus.OPEN.value,
                            report_id=report_id,
                        )
                    ],
                )
                return True
        except IntegrityError:
            return False  # registered by another worker meanwhile

    def followups(self, status: FollowupStatus | None = FollowupStatus.OPEN) -> list[FollowupRow]:
        """Follow-up requests (all when ``status`` is None), oldest first; erased reports left out."""
        query = (
            select(FollowupRecord, ReportRecord.intervention_date)
            .join(ReportRecord, ReportRecord.id == FollowupRecord.report_id)
            .where(ReportRecord.state != ReportState.ERASED.value)
            .order_by(FollowupRecord.requested_at, FollowupRecord.report_id)
        )
        if status is not None:
            query = query.where(FollowupRecord.status == status.value)
        with self.database.session() as session:
            return [
                FollowupRow(
                    report_id=row.report_id,
                    preferred_date=row.preferred_date,
                    requested_at=_utc(row.requested_at) or row.requested_at,
                    status=FollowupStatus(row.status),
                    intervention_date=day,
                )
                for row, day in session.execute(query)
            ]

    def set_followup_status(self, report_id: str, status: FollowupStatus, *, now: dt.datetime) -> bool:
        """Mark a follow-up scheduled, closed (or open again), with a ``followup.update`` event.

        Returns False when it already had that status.
        """
        now = _utc_now(now)
        with self.database.session() as session:
            row = session.get(FollowupRecord, report_id, with_for_update=True)
            if row is None:
                raise ReportNotFoundError(
                    f"report {report_id} has no follow-up request; `quitus reports reschedule` lists them"
                )
            if row.status == status.value:
                return False
            row.status = status.value
            row.updated_at = now
            self.ledger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.FOLLOWUP_UPDATE,
                        actor=self.actor,
                        outcome=status.value,
                        report_id=report_id,
                    )
                ],
            )
            return True


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _utc_now(value: dt.datetime) -> dt.datetime:
    """The time in UTC: what SQLite stores as it is must be UTC to compare right."""
    if value.tzinfo is None:
        raise ValueError("expected an aware datetime")
    return value.astimezone(dt.UTC)
