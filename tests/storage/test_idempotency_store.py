"""The idempotency keys' table, on SQLite and PostgreSQL: claim, replay, mismatch, in
progress, the lease taken over, expiry, and nothing a request carried in clear."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.database import Database
from storage.idempotency_store import Claimed, IdempotencyStore, InProgress, Mismatch, Replay
from storage.models import IdempotencyKeyRecord

INDEX_KEY = b"k" * 32
BODY = b'{"reason": "RG-2026-118", "subject": {"email": "jeanne.martin@exemple.fr"}}'


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_key_is_claimed_once_then_replayed(database: Database) -> None:
    clock = Clock()
    keys = IdempotencyStore(database, INDEX_KEY, clock=clock)
    first = keys.claim("compliance-1", "k-1", "place_hold", BODY)
    assert isinstance(first, Claimed)
    assert keys.claim("compliance-1", "k-1", "place_hold", BODY) == InProgress(300)
    keys.complete(first, 201, {"hold_id": "hold-0123456789ab"})
    assert keys.claim("compliance-1", "k-1", "place_hold", BODY) == Replay(
        201, {"hold_id": "hold-0123456789ab"}
    )
    # The same key with another body, or for another operation, is another request: refused.
    assert keys.claim("compliance-1", "k-1", "place_hold", BODY + b" ") == Mismatch("place_hold")
    assert keys.claim("compliance-1", "k-1", "subject_erase", BODY) == Mismatch("place_hold")
    # A key is its caller's: another caller's same key is a new request.
    assert isinstance(keys.claim("compliance-2", "k-1", "place_hold", BODY), Claimed)


def test_an_abandoned_claim_lets_a_retry_carry_the_request_out(database: Database) -> None:
    keys = IdempotencyStore(database, INDEX_KEY, clock=Clock())
    first = keys.claim("c", "k", "place_hold", BODY)
    assert isinstance(first, Claimed)
    keys.abandon(first)
    assert isinstance(keys.claim("c", "k", "place_hold", BODY), Claimed)


def test_a_claim_left_unanswered_past_the_lease_is_taken_over(database: Database) -> None:
    clock = Clock()
    keys = IdempotencyStore(database, INDEX_KEY, clock=clock)
    assert isinstance(keys.claim("c", "k", "place_hold", BODY), Claimed)
    clock.now += dt.timedelta(minutes=4)
    assert keys.claim("c", "k", "place_hold", BODY) == InProgress(60)
    clock.now += dt.timedelta(minutes=2)
    taken = keys.claim("c", "k", "place_hold", BODY)
    assert isinstance(taken, Claimed) and taken.claimed_at == clock.now
    assert isinstance(keys.claim("c", "k", "place_hold", BODY), InProgress)


def test_keys_expire_after_the_window(database: Database) -> None:
    clock = Clock()
    keys = IdempotencyStore(database, INDEX_KEY, clock=clock)
    claimed = keys.claim("c", "k", "place_hold", BODY)
    assert isinstance(claimed, Claimed)
    keys.complete(claimed, 201, {"hold_id": "hold-0123456789ab"})
    clock.now += dt.timedelta(hours=23, minutes=59)
    assert isinstance(keys.claim("c", "k", "place_hold", BODY), Replay)
    clock.now += dt.timedelta(minutes=1)
    assert isinstance(keys.claim("c", "k", "place_hold", b"another body"), Claimed)  # a new request
    clock.now += dt.timedelta(hours=25)
    assert keys.purge() == 1


def test_the_table_holds_digests_and_ids_never_the_request(database: Database) -> None:
    keys = IdempotencyStore(database, INDEX_KEY, clock=Clock())
    claimed = keys.claim("compliance-1", "retry-jeanne-martin", "place_hold", BODY)
    assert isinstance(claimed, Claimed)
    keys.complete(claimed, 201, {"hold_id": "hold-0123456789ab"})
    with database.session() as session:
        (row,) = session.scalars(select(IdempotencyKeyRecord)).all()
        stored = repr((row.key_digest, row.operation, row.request_digest, row.status, row.answer))
    for value in ("jeanne", "martin", "compliance-1", "RG-2026"):
        assert value not in stored.lower()
    assert len(row.key_digest) == len(row.request_digest) == 64
