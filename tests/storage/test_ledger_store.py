"""The audit ledger in the database (SQLite and PostgreSQL): append, prove, refuse edits, verify."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.ledger.checkpoint import open_checkpoint
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.merkle import leaf_hash, mth, verify_consistency, verify_inclusion
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger


def event(n: int, report: str = "RI-A") -> LedgerEvent:
    return LedgerEvent(
        step="capture",
        actor="test",
        outcome="captured",
        report_id=report,
        artifacts={f"b{n}": f"{n:064x}"},
        details={"issues": ["missing"]},
    )


def fill(ledger: Ledger, count: int) -> None:
    with ledger.database.session() as session:
        ledger.append(session, [event(n, f"RI-{n % 3}") for n in range(count)])


def test_append_numbers_entries_and_the_tree_matches_the_rfc(ledger: Ledger) -> None:
    assert ledger.record(event(0)) == [0]
    with ledger.database.session() as session:
        assert ledger.append(session, [event(1), event(2), event(3)]) == [1, 2, 3]
    assert ledger.size() == 4
    entries = [e.entry for e in ledger.entries_for_report("RI-A")]
    assert [decode_entry(e)["seq"] for e in entries] == [0, 1, 2, 3]
    assert ledger.root(4) == mth(entries)


def test_an_event_is_recorded_only_if_its_transaction_commits(ledger: Ledger) -> None:
    def failing_step() -> None:
        with ledger.database.session() as session:
            ledger.append(session, [event(0)])
            raise RuntimeError("the step failed")

    with pytest.raises(RuntimeError):
        failing_step()
    assert ledger.size() == 0


@pytest.mark.parametrize("size", [1, 2, 7, 8, 33])
def test_inclusion_and_consistency_proofs_verify_against_signed_checkpoints(
    ledger: Ledger, size: int
) -> None:
    fill(ledger, size)
    _, note = ledger.checkpoint()
    checkpoint, _ = open_checkpoint(note, [ledger.signer.verifier_key()], origin=ledger.origin)
    assert checkpoint.size == size
    for stored in ledger.entries_for_report("RI-1"):
        proof = ledger.inclusion_proof(stored.seq, size)
        assert verify_inclusion(stored.seq, size, leaf_hash(stored.entry), proof, checkpoint.root_hash)
    fill(ledger, 5)
    _, later = ledger.checkpoint()
    newer, _ = open_checkpoint(later, [ledger.signer.verifier_key()])
    proof = ledger.consistency_proof(size, newer.size)
    assert verify_consistency(size, newer.size, checkpoint.root_hash, newer.root_hash, proof)


def test_a_checkpoint_of_an_unchanged_ledger_is_reused(ledger: Ledger) -> None:
    fill(ledger, 3)
    assert ledger.checkpoint() == ledger.checkpoint()
    assert len(list(ledger.checkpoints())) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET step = 'x'",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_nodes SET level = 9",
        "DELETE FROM ledger_nodes",
        "DELETE FROM ledger_checkpoints",
        "UPDATE ledger_checkpoints SET note = 'forged'",
        "UPDATE ledger_head SET size = 0",
        "DELETE FROM ledger_head",
    ],
)
def test_the_database_refuses_to_edit_the_ledger(ledger: Ledger, statement: str) -> None:
    fill(ledger, 3)
    ledger.checkpoint()
    with pytest.raises(DBAPIError, match="append-only"), ledger.database.engine.begin() as connection:
        connection.execute(text(statement))
    assert ledger.size() == 3


@pytest.mark.parametrize("value", ["Jean Dupont", "06 12 34 56 78", "rue des Lilas", "a" * 200])
def test_free_text_cannot_enter_the_ledger(value: str) -> None:
    with pytest.raises(ValueError, match="identifier or a code"):
        LedgerEvent(step="capture", actor=value, outcome="ok")
    with pytest.raises(ValueError, match="identifier or a code"):
        LedgerEvent(step="capture", actor="cli", outcome="ok", details={"note": value})


def test_an_intact_ledger_verifies(ledger: Ledger) -> None:
    fill(ledger, 10)
    ledger.checkpoint()
    fill(ledger, 7)
    ledger.checkpoint()
    result = verify_ledger(ledger, ledger.signer.verifier_key())
    assert result.ok, result.problems
    assert (result.entries, result.checkpoints) == (17, 2)


def test_concurrent_writers_each_get_their_own_sequence_numbers(ledger: Ledger) -> None:
    """Threads recording at once (API workers, the nightly job): no two read the same head."""

    def write(worker: int) -> list[int]:
        return [seq for n in range(40) for seq in ledger.record(event(n, report=f"RI-W{worker}"))]

    with ThreadPoolExecutor(max_workers=3) as pool:
        written = [seq for seqs in pool.map(write, range(3)) for seq in seqs]
    assert sorted(written) == list(range(120))
    assert not verify_ledger(ledger, ledger.signer.verifier_key()).tampered
