"""Checkpoints remembered outside the database reveal a rollback; the index columns are checked;
consistency proofs check offline — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.ledger.anchors import CheckpointLog
from storage.ledger.checkpoint import Checkpoint, generate_signing_key, load_signer, sign_checkpoint
from storage.ledger.consistency import build_consistency_proof, check_consistency_proof
from storage.ledger.errors import RollbackError
from storage.ledger.events import LedgerEvent
from storage.ledger.store import Ledger, origin_for
from storage.ledger.verify import verify_ledger
from storage.models import LedgerCheckpointRecord
from tests.storage.test_ledger_tamper import attacker


@pytest.fixture
def anchored(ledger: Ledger, tmp_path: Path) -> Ledger:
    return Ledger(
        ledger.database, ledger.signer, anchors=CheckpointLog(tmp_path / "keys" / "checkpoints.log")
    )


def fill(ledger: Ledger, count: int, report: str = "RI-1") -> None:
    with ledger.database.session() as session:
        ledger.append(
            session,
            [LedgerEvent(step="capture", actor="test", outcome="ok", report_id=report) for _ in range(count)],
        )


def verified(ledger: Ledger) -> list[str]:
    return verify_ledger(ledger, ledger.signer.verifier_key()).problems


def truncate(ledger: Ledger, keep: int) -> None:
    with attacker(ledger) as connection:
        connection.execute(text("DELETE FROM ledger_entries WHERE seq >= :k"), {"k": keep})
        connection.execute(
            text("DELETE FROM ledger_nodes WHERE (idx + 1) * power(2, level) > :k"), {"k": keep}
        )
        connection.execute(text("DELETE FROM ledger_checkpoints WHERE size > :k"), {"k": keep})
        connection.execute(text("UPDATE ledger_head SET size = :k"), {"k": keep})


def test_each_signed_checkpoint_is_appended_once_to_the_log(anchored: Ledger) -> None:
    assert anchored.anchors is not None
    fill(anchored, 3)
    anchored.checkpoint()
    anchored.checkpoint()  # reused: not remembered twice
    fill(anchored, 2)
    anchored.checkpoint()
    records, damaged = anchored.anchors.records()
    assert not damaged
    assert [r.note for r in records] == [note for _, note in anchored.checkpoints()]
    assert anchored.anchors.path.stat().st_mode & 0o077 == 0
    assert not verified(anchored)


def test_a_truncated_ledger_is_reported_and_never_signed_again(anchored: Ledger) -> None:
    fill(anchored, 9)
    anchored.checkpoint()
    fill(anchored, 4)
    anchored.checkpoint()
    truncate(anchored, 9)
    assert any(
        p.startswith("truncated: the ledger holds 9 entries, but a checkpoint of 13 entries was signed")
        for p in verified(anchored)
    )
    fill(anchored, 6)  # grown past the remembered size again: now a fork at 13
    with pytest.raises(RollbackError, match="not the ones signed at that size"):
        anchored.checkpoint()
    assert any(
        p.startswith("forked: the first 13 entries are not the ones signed") for p in verified(anchored)
    )


def test_a_ledger_smaller_than_the_last_remembered_checkpoint_is_not_signed(anchored: Ledger) -> None:
    fill(anchored, 5)
    anchored.checkpoint()
    truncate(anchored, 2)
    with pytest.raises(RollbackError, match="holds 2 entries, but a checkpoint of 5 entries was signed"):
        anchored.checkpoint()
    assert [size for size, _ in anchored.checkpoints()] == []


def test_deleted_checkpoints_are_missed(anchored: Ledger) -> None:
    fill(anchored, 4)
    anchored.checkpoint()
    with attacker(anchored) as connection:
        connection.execute(text("DELETE FROM ledger_checkpoints"))
    assert any("missing from the database" in p for p in verified(anchored))


def test_an_unsigned_tail_is_not_intact_but_not_tampering(ledger: Ledger) -> None:
    fill(ledger, 3)
    ledger.checkpoint()
    fill(ledger, 2)
    result = verify_ledger(ledger, ledger.signer.verifier_key())
    assert result.problems == [
        "2 entries after the last signed checkpoint (size 3): run `quitus audit checkpoint`"
    ]
    assert not result.ok and not result.tampered
    ledger.checkpoint()
    assert verified(ledger) == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("report_id", "RI-2"),
        ("step", "validate"),
        ("recorded_at", dt.datetime(2031, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_an_edited_index_column_is_named(ledger: Ledger, column: str, value: object) -> None:
    fill(ledger, 3)
    fill(ledger, 1, report="RI-2")
    ledger.checkpoint()
    with attacker(ledger) as connection:
        connection.execute(text(f"UPDATE ledger_entries SET {column} = :v WHERE seq = 1"), {"v": value})
    result = verify_ledger(ledger, ledger.signer.verifier_key())
    assert result.first_bad_entry == 1
    assert any(p.startswith(f"entry 1: its {column} column says") for p in result.problems)


def test_the_origin_is_the_key_name_and_older_checkpoints_still_verify(ledger: Ledger) -> None:
    assert ledger.origin == ledger.signer.name
    fill(ledger, 3)
    legacy_origin = origin_for(ledger.signer)
    with ledger.database.session() as session:
        root = ledger.root(3)
        note = sign_checkpoint(Checkpoint(legacy_origin, 3, root), ledger.signer)
        session.add(LedgerCheckpointRecord(size=3, note=note, created_at=dt.datetime.now(dt.UTC)))
    fill(ledger, 2)
    _, latest = ledger.checkpoint()
    assert latest.startswith(f"{ledger.signer.name}\n5\n")
    assert verified(ledger) == []
    proof = build_consistency_proof(ledger, note, ledger.signer.verifier_key())
    assert check_consistency_proof(proof.to_json(), ledger.signer.verifier_key()).ok


def test_another_logs_checkpoint_is_refused(ledger: Ledger) -> None:
    fill(ledger, 3)
    ledger.checkpoint()
    stranger = load_signer("someone.else", generate_signing_key()[0])
    _, note = Ledger(ledger.database, stranger).checkpoint()
    checked = check_consistency_proof(
        build_consistency_proof(
            ledger, ledger.latest_checkpoint()[1], ledger.signer.verifier_key()
        ).to_json(),  # type: ignore[index]
        stranger.verifier_key(),
    )
    assert not checked.ok
    with pytest.raises(RollbackError.__mro__[1], match="the kept checkpoint"):
        build_consistency_proof(ledger, note + "x", ledger.signer.verifier_key())


@pytest.mark.parametrize(("old", "new"), [(1, 1), (1, 9), (4, 9), (8, 8), (7, 33)])
def test_consistency_proofs_check_offline(ledger: Ledger, old: int, new: int) -> None:
    fill(ledger, old)
    _, kept = ledger.checkpoint()
    fill(ledger, new - old)
    ledger.checkpoint()
    proof = build_consistency_proof(ledger, kept, ledger.signer.verifier_key())
    assert proof.verifies
    checked = check_consistency_proof(proof.to_json(), ledger.signer.verifier_key(), kept=kept)
    assert checked.ok, checked.problems
    tampered = proof.to_json().replace(proof.to_json().split('"new_root": "')[1][:8], "AAAAAAAA", 1)
    assert not check_consistency_proof(tampered, ledger.signer.verifier_key()).ok
