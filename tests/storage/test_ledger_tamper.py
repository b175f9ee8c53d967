"""Tampering with the ledger, by someone who bypasses the triggers, is detected and located."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, text

from storage.ledger.checkpoint import generate_signing_key, load_signer, sign_checkpoint
from storage.ledger.events import LedgerEvent
from storage.ledger.merkle import leaf_hash
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger


@contextmanager
def attacker(ledger: Ledger) -> Iterator[Connection]:
    """A connection with the append-only triggers out of the way, as a database admin could."""
    database = ledger.database
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).fetchall()
        for name, _ in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        yield connection
        for _, sql in triggers:
            connection.execute(text(sql))


@pytest.fixture
def filled(ledger: Ledger) -> Ledger:
    for batch in range(4):
        with ledger.database.session() as session:
            ledger.append(
                session,
                [
                    LedgerEvent(step="capture", actor="test", outcome="captured", report_id=f"RI-{batch}-{n}")
                    for n in range(5)
                ],
            )
        ledger.checkpoint()
    assert verify_ledger(ledger, ledger.signer.verifier_key()).ok
    return ledger


def problems(ledger: Ledger) -> tuple[list[str], int | None]:
    result = verify_ledger(ledger, ledger.signer.verifier_key())
    assert not result.ok
    return result.problems, result.first_bad_entry


def test_an_edited_entry_is_named(filled: Ledger) -> None:
    with attacker(filled) as connection:
        connection.execute(
            text("UPDATE ledger_entries SET entry = replace(entry, 'captured', 'rejected') WHERE seq = 7")
        )
    found, first = problems(filled)
    assert first == 7
    assert any("entry 7 was modified" in p for p in found)


def test_an_entry_edited_with_its_tree_node_still_breaks_the_signed_root(filled: Ledger) -> None:
    with attacker(filled) as connection:
        row = connection.execute(text("SELECT entry FROM ledger_entries WHERE seq = 3")).scalar_one()
        forged = row.replace("captured", "rejected")
        connection.execute(text("UPDATE ledger_entries SET entry = :e WHERE seq = 3"), {"e": forged})
        connection.execute(
            text("UPDATE ledger_nodes SET hash = :h WHERE level = 0 AND idx = 3"),
            {"h": leaf_hash(forged.encode())},
        )
    found, _ = problems(filled)
    assert any("does not match the checkpoint" in p for p in found)


def test_a_deleted_entry_is_named(filled: Ledger) -> None:
    with attacker(filled) as connection:
        connection.execute(text("DELETE FROM ledger_entries WHERE seq = 12"))
    found, first = problems(filled)
    assert first == 12
    assert any("entry 12 is missing" in p for p in found)


def test_the_last_entries_deleted_are_caught_by_the_checkpoint(filled: Ledger) -> None:
    with attacker(filled) as connection:
        connection.execute(text("DELETE FROM ledger_entries WHERE seq >= 18"))
    found, _ = problems(filled)
    assert any("only 18 are stored" in p for p in found)


def test_reordered_entries_are_named(filled: Ledger) -> None:
    with attacker(filled) as connection:
        five = connection.execute(text("SELECT entry FROM ledger_entries WHERE seq = 5")).scalar_one()
        six = connection.execute(text("SELECT entry FROM ledger_entries WHERE seq = 6")).scalar_one()
        connection.execute(text("UPDATE ledger_entries SET entry = :e WHERE seq = 5"), {"e": six})
        connection.execute(text("UPDATE ledger_entries SET entry = :e WHERE seq = 6"), {"e": five})
    found, first = problems(filled)
    assert first == 5
    assert any("reordered" in p for p in found)


def test_a_forged_checkpoint_signature_is_refused(filled: Ledger) -> None:
    forger = load_signer(filled.signer.name, generate_signing_key()[0])
    size = filled.size()
    with attacker(filled) as connection:
        from storage.ledger.checkpoint import Checkpoint

        note = sign_checkpoint(Checkpoint(filled.origin, size, b"\x00" * 32), forger)
        connection.execute(
            text("UPDATE ledger_checkpoints SET note = :n WHERE size = :s"), {"n": note, "s": size}
        )
    found, _ = problems(filled)
    assert any(f"checkpoint at size {size}" in p and "forged or altered" in p for p in found)


def test_a_rewritten_history_breaks_consistency(filled: Ledger) -> None:
    """Rebuild the whole ledger differently, re-signed with the real key: older checkpoints disagree."""
    with attacker(filled) as connection:
        connection.execute(text("UPDATE ledger_entries SET entry = replace(entry, 'captured', 'rejected')"))
        rows = connection.execute(text("SELECT seq, entry FROM ledger_entries ORDER BY seq")).fetchall()
        for seq, entry in rows:
            connection.execute(
                text("UPDATE ledger_nodes SET hash = :h WHERE level = 0 AND idx = :i"),
                {"h": leaf_hash(entry.encode()), "i": seq},
            )
    found, _ = problems(filled)
    assert any("does not match the checkpoint" in p for p in found)
