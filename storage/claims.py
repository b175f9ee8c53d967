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
again, and the stage, idempotent, picks up where the dead worker stopped. A dead worker
of the same host is recognized at once (its process no longer exists), so a run
restarted after a crash on that machine does not wait for the lease. The lease must
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
            self._free_claims_of_dead_local_workers(session, state, now)
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

    def _free_claims_of_dead_local_workers(
        self, session: Session, state: ReportState, now: dt.datetime
    ) -> None:
        """End at once the leases of workers on this host whose process is gone (killed, crashed).

        Without this a run restarted after a crash would find its batch held by its dead
        self until the lease ran out. Only this host's processes can be checked; a worker
        on another machine keeps its lease until it expires (worker host names must be
        unique, as they are for machines and containers).
        """
        holders = session.scalars(
            select(ReportRecord.claimed_by)
            .where(ReportRecord.state == state, ReportRecord.claimed_by.is_not(None))
            .where(ReportRecord.claim_expires_at >= now)
            .distinct()
        )
        dead = [holder for holder in holders if holder is not None and _is_dead_local_worker(holder)]
        if dead:
            session.execute(
                update(ReportRecord)
                .where(ReportRecord.state == state, ReportRecord.claimed_by.in_(dead))
                .values(claimed_by=None, claim_expires_at=None)
                .execution_options(synchronize_session=False)
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


def _is_dead_local_worker(worker: str) -> bool:
    """True when ``worker`` (``host:pid:random``) names a process of this host that is gone."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if socket.gethostname()[: len(host)] != host:
        return False  # another machine: its lease runs its course
    if pid == os.getpid():
        return worker != process_worker_id()  # our pid, but an earlier process that had it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's process
    return False
