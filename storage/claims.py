"""Batch claims: a worker leases the reports it is about to take through a stage.

Any number of workers (Prefect workers on several machines, or ``quitus serve`` next to a
``quitus run``) may run the intake flow against one database at once. Before a stage,
each claims a batch of the reports waiting in the stage's state; the batches are
disjoint, so a report goes through a step once, in one worker.

* **PostgreSQL**: one transaction selects the batch ``FOR UPDATE SKIP LOCKED`` — rows
  another worker is claiming at that very moment are skipped, not waited for — then
  writes the lease (``claimed_by``, ``claim_expires_at``) and commits.
* **SQLite** (one writer at a time): the same statements; ``FOR UPDATE`` does not exist
  there, so the lease is written by one ``UPDATE`` that checks again, under SQLite's
  write lock, that each row is still in the state and free. A row another worker claimed
  between the two statements is left out of the batch, never claimed twice.

A claim ends when the report moves on (:meth:`storage.report_store.ReportStore.transition`
clears it with the state change) or when the batch ends (:meth:`ReportClaims.release`).
A worker that dies keeps its claims until the lease expires; they are then claimable
again, and the stage, idempotent, picks up where the dead worker stopped. The lease must
outlast the longest batch: a lease that runs out mid-batch lets a second worker start
the same step, which the state machine then refuses for one of them.

Lease times come from the database's clock on PostgreSQL, so workers on machines whose
clocks drift apart still agree on when a lease ends.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import ReportRecord, utcnow
from storage.states import ReportState

__all__ = ["DEFAULT_LEASE", "ReportClaims", "new_worker_id", "process_worker_id"]

DEFAULT_LEASE = dt.timedelta(minutes=15)
"""How long a claim holds when nobody releases it (a crashed worker)."""

_WORKER_ID_LENGTH = 64
"""The width of ``reports.claimed_by``."""


def new_worker_id() -> str:
    """``host:pid:random`` — names a process, never a person.

    The random part tells apart two processes with the same host name and pid (pid 1 in
    two containers, or a pid reused after a restart).
    """
    suffix = f":{os.getpid()}:{secrets.token_hex(4)}"
    return socket.gethostname()[: _WORKER_ID_LENGTH - len(suffix)] + suffix


@cache
def process_worker_id() -> str:
    """This process's worker id (one per process, made on first use)."""
    return new_worker_id()


@dataclass(frozen=True)
class ReportClaims:
    """Claims of one worker on the reports of one database."""

    database: Database
    worker: str = field(default_factory=process_worker_id)
    """Written in ``reports.claimed_by``: who holds the lease."""
    lease: dt.timedelta = DEFAULT_LEASE
    """How long a claim lasts unless released earlier."""

    def __post_init__(self) -> None:
        if not 0 < len(self.worker) <= _WORKER_ID_LENGTH:
            raise ValueError(f"a worker id has 1 to {_WORKER_ID_LENGTH} characters")
        if self.lease <= dt.timedelta(0):
            raise ValueError("a claim's lease must be positive")

    def claim(self, state: ReportState, limit: int) -> list[str]:
        """Lease up to ``limit`` reports waiting in ``state`` that nobody holds; oldest first."""
        if limit < 1:
            return []
        with self.database.session() as session:
            now = self._now(session)
            free = self._free(now)
            candidates = list(
                session.scalars(
                    select(ReportRecord.id)
                    .where(ReportRecord.state == state, free)
                    .order_by(ReportRecord.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if not candidates:
                return []
            claimed = session.scalars(
                update(ReportRecord)
                .where(ReportRecord.id.in_(candidates), ReportRecord.state == state, free)
                .values(claimed_by=self.worker, claim_expires_at=now + self.lease)
                .returning(ReportRecord.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(claimed)

    def release(self, report_ids: Sequence[str]) -> int:
        """End this worker's claims on ``report_ids`` (others' claims stay); how many ended."""
        if not report_ids:
            return 0
        with self.database.session() as session:
            result = session.execute(
                update(ReportRecord)
                .where(ReportRecord.id.in_(list(report_ids)), ReportRecord.claimed_by == self.worker)
                .values(claimed_by=None, claim_expires_at=None)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def held(self) -> list[str]:
        """The reports this worker holds an unexpired claim on."""
        with self.database.session() as session:
            now = self._now(session)
            return list(
                session.scalars(
                    select(ReportRecord.id)
                    .where(ReportRecord.claimed_by == self.worker, ReportRecord.claim_expires_at >= now)
                    .order_by(ReportRecord.id)
                )
            )

    @staticmethod
    def _free(now: dt.datetime) -> ColumnElement[bool]:
        return or_(ReportRecord.claim_expires_at.is_(None), ReportRecord.claim_expires_at < now)

    def _now(self, session: Session) -> dt.datetime:
        if self.database.dialect == "postgresql":
            now = session.scalar(select(func.now()))
            assert isinstance(now, dt.datetime)
            return now
        return utcnow()
