"""Idempotency keys: an unsafe request sent again with its ``Idempotency-Key`` is answered
as the first time, not carried out twice.

A key belongs to its caller (two callers may use the same key) and lives for
:data:`WINDOW` after its first use. The table (``idempotency_keys``) holds no personal
data, nor anything a request carried: the caller and key as one keyed digest, the request
(operation, path, body) as another, the first answer's status and the ids, codes and dates
it is rebuilt from (:class:`~storage.models.IdempotencyKeyRecord`). Both digests are
HMAC-SHA256 under a key derived from the installation's index key, so a guessable body
(a person's e-mail in a hold) cannot be found from its digest.

:meth:`IdempotencyStore.claim` says which of four cases a request is:

* :class:`Claimed` — the key is new (or its first request died without an answer for
  longer than :data:`LEASE`): carry the request out, then :meth:`~IdempotencyStore.complete`
  (or :meth:`~IdempotencyStore.abandon` when it failed: a retry carries it out again);
* :class:`Replay` — answered before: the status and what to rebuild the answer from;
* :class:`InProgress` — the first request with this key is still being answered;
* :class:`Mismatch` — the key was used for another request (another operation or body).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.models import IdempotencyKeyRecord, utcnow

__all__ = [
    "LEASE",
    "WINDOW",
    "Claimed",
    "IdempotencyStore",
    "InProgress",
    "Mismatch",
    "Replay",
]

WINDOW = dt.timedelta(hours=24)
"""How long a key is remembered after its first use: a retry within it is answered as the
first request was; after it, the same key is a new request."""
LEASE = dt.timedelta(minutes=5)
"""How long a first request may go unanswered before its key is taken over by a retry (the
server that took it stopped without answering)."""


@dataclass(frozen=True)
class Claimed:
    """The request is carried out under this key."""

    key_digest: str
    claimed_at: dt.datetime


@dataclass(frozen=True)
class Replay:
    """Answered before."""

    status: int
    """The first answer's status."""
    answer: Mapping[str, Any]
    """What the first answer is rebuilt from (ids, codes, dates)."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key has not been answered yet."""

    retry_after: int
    """Seconds after which a retry may take the key over."""


@dataclass(frozen=True)
class Mismatch:
    """The key was first used for another request."""

    operation: str
    """The operation it was used for (an endpoint's name)."""


Claim = Claimed | Replay | InProgress | Mismatch


class IdempotencyStore:
    """The ``idempotency_keys`` table (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        index_key: bytes,
        *,
        window: dt.timedelta = WINDOW,
        lease: dt.timedelta = LEASE,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.database = database
        self._key = hmac.new(index_key, b"quitus-idempotency-v1", hashlib.sha256).digest()
        self.window = window
        self.lease = lease
        self._clock = clock

    def claim(self, handle: str, key: str, operation: str, request: bytes) -> Claim:  # noqa: PLR0911 - one return per case
        """Claim ``key`` of caller ``handle`` for ``request`` (the operation's canonical bytes)."""
        now = self._clock()
        key_digest = self._digest(b"key", handle.encode(), key.encode())
        request_digest = self._digest(b"request", operation.encode(), request)
        for _ in range(2):  # a second time when the row seen was deleted meanwhile
            try:
                with self.database.session() as session:
                    # Expired keys go in the same transaction (one commit per claim, not two).
                    session.execute(
                        delete(IdempotencyKeyRecord)
                        .where(IdempotencyKeyRecord.expires_at <= now)
                        .execution_options(synchronize_session=False)
                    )
                    session.add(
                        IdempotencyKeyRecord(
                            key_digest=key_digest,
                            operation=operation,
                            request_digest=request_digest,
                            status=None,
                            answer=None,
                            created_at=now,
                            expires_at=now + self.window,
                        )
                    )
                return Claimed(key_digest, now)
            except IntegrityError:
                pass  # the key was used: what for, and answered?
            with self.database.session() as session:
                row = session.get(IdempotencyKeyRecord, key_digest)
                if row is None:
                    continue
                if row.operation != operation or not hmac.compare_digest(row.request_digest, request_digest):
                    return Mismatch(row.operation)
                if row.status is not None:
                    return Replay(row.status, dict(row.answer or {}))
                started = _aware(row.created_at)
                if now - started < self.lease:
                    return InProgress(max(1, int((started + self.lease - now).total_seconds())))
                taken = session.execute(
                    update(IdempotencyKeyRecord)
                    .where(
                        IdempotencyKeyRecord.key_digest == key_digest,
                        IdempotencyKeyRecord.status.is_(None),
                        IdempotencyKeyRecord.created_at == row.created_at,
                    )
                    .values(created_at=now, expires_at=now + self.window)
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    return Claimed(key_digest, now)
                return InProgress(1)  # another retry took it over first
        return InProgress(1)

    def complete(self, claimed: Claimed, status: int, answer: Mapping[str, Any]) -> None:
        """Remember the answer given under ``claimed``: ``answer`` holds ids, codes and dates only."""
        with self.database.session() as session:
            session.execute(
                update(IdempotencyKeyRecord)
                .where(IdempotencyKeyRecord.key_digest == claimed.key_digest)
                .values(status=status, answer=dict(answer))
                .execution_options(synchronize_session=False)
            )

    def abandon(self, claimed: Claimed) -> None:
        """Forget ``claimed`` (the request failed): a retry with the key carries it out again."""
        with self.database.session() as session:
            session.execute(
                delete(IdempotencyKeyRecord)
                .where(
                    IdempotencyKeyRecord.key_digest == claimed.key_digest,
                    IdempotencyKeyRecord.status.is_(None),
                )
                .execution_options(synchronize_session=False)
            )

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete the keys whose window has passed; how many."""
        with self.database.session() as session:
            result = session.execute(
                delete(IdempotencyKeyRecord)
                .where(IdempotencyKeyRecord.expires_at <= (now or self._clock()))
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _digest(self, kind: bytes, *parts: bytes) -> str:
        mac = hmac.new(self._key, kind, hashlib.sha256)
        for part in parts:
            mac.update(len(part).to_bytes(8, "big"))  # unambiguous: no separator can be forged
            mac.update(part)
        return mac.hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
