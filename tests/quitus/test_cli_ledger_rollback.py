"""A ledger that cannot be rolled back or quietly rewritten: tampering with sqlite3 on a real home.

The attacker administers the database (the triggers are no obstacle) but does not hold the
key folder — unless a test says it plays the company itself, key in hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.database import Database
from storage.keys import read_key_file
from storage.ledger.anchors import CheckpointLog
from storage.ledger.checkpoint import NoteSigner, generate_signing_key, load_signer, parse_checkpoint
from storage.ledger.entry_mac import entry_mac, entry_mac_key
from storage.ledger.events import LedgerEvent
from storage.ledger.merkle import MemoryNodeStore
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger
from tests.cli_runner import run_quitus

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow

quitus = run_quitus


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A home with four reports, one revealed and one exported; the exporter kept its checkpoint."""
    root = tmp_path_factory.mktemp("rollback")
    home = root / "home"
    assert quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    samples = generate_samples(TemplateCatalog.load(), 4, seed=5, invalid_share=0, photo_size=(96, 64))
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    ingested = quitus(home, "ingest", "--format", "jsonl", str(inbox))
    report_id = json.loads(ingested.stdout.splitlines()[0])["report_id"]
    assert quitus(home, "reports", "show", report_id, "--reveal").returncode == 0
    assert quitus(home, "proof", "export", report_id, "-o", str(root / "bundle.zip")).returncode == 0
    return root, report_id, samples[1].payload["client"]["email"]


@pytest.fixture
def home(pristine: tuple[Path, str, str], tmp_path: Path) -> Path:
    """A copy of the pristine home (and its key folder) to tamper with."""
    root, _, _ = pristine
    shutil.copytree(root / "home", tmp_path / "home")
    shutil.copytree(root / "home-keys", tmp_path / "home-keys")
    return tmp_path / "home"


def log_of(home: Path) -> Path:
    return home.parent / "home-keys" / "checkpoints.log"


@contextmanager
def attacker(home: Path) -> Iterator[sqlite3.Connection]:
    """sqlite3 on the database file, its append-only triggers dropped."""
    with closing(sqlite3.connect(home / "quitus.db")) as connection:
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f"DROP TRIGGER {name}")
        yield connection
        connection.commit()


def ledger_size(home: Path) -> int:
    with closing(sqlite3.connect(home / "quitus.db")) as connection:
        size: int = connection.execute("SELECT size FROM ledger_head").fetchone()[0]
        return size


def truncate(connection: sqlite3.Connection, keep: int, *, keep_checkpoints: bool = True) -> None:
    """Remove every entry from ``keep`` on, with its tree nodes and the checkpoints above ``keep``."""
    connection.execute("DELETE FROM ledger_entries WHERE seq >= ?", (keep,))
    connection.execute("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > ?", (keep,))
    connection.execute("DELETE FROM ledger_checkpoints WHERE size > ?", (keep if keep_checkpoints else -1,))
    connection.execute("UPDATE ledger_head SET size = ?", (keep,))


def home_signer(home: Path) -> NoteSigner:
    """The home's own ledger key: what quitus itself appends with."""
    name = (home / "ledger.vkey").read_text().split("+", 1)[0]
    return load_signer(name, read_key_file(home.parent / "home-keys" / "ledger.key"))


def forge_events(
    home: Path, count: int, *, of_reports: bool = True, signer: NoteSigner | None = None
) -> None:
    """Append well-formed events, tree nodes and all, as the real code does — but without the
    home's key (their entry MACs are under another key), unless ``signer`` is the home's.

    ``of_reports``: events of reports that do not exist (tampering on their own); otherwise
    installation events, as a command killed before its checkpoint would leave them."""
    database = Database(f"sqlite:///{home / 'quitus.db'}")
    forger = Ledger(database, signer or load_signer("forger", generate_signing_key()[0]))
    try:
        with database.session() as session:
            forger.append(
                session,
                [
                    LedgerEvent(
                        step=LedgerStep.RECEIVE, actor="job:intake", outcome="received", report_id=f"RI-F{n}"
                    )
                    if of_reports
                    else LedgerEvent(step=LedgerStep.POLICIES_CHANGE, actor="cli", outcome="loaded")
                    for n in range(count)
                ],
            )
    finally:
        database.dispose()


def rewrite_history(connection: sqlite3.Connection, seq: int, signer: NoteSigner) -> None:
    """Edit one entry, key in hand (its MAC too), and recompute every tree node, so the
    database agrees with itself."""
    old = connection.execute("SELECT entry FROM ledger_entries WHERE seq = ?", (seq,)).fetchone()[0]
    forged = old.replace('"actor":"', '"actor":"forged-', 1)
    mac = entry_mac(entry_mac_key(signer), forged.encode())
    connection.execute("UPDATE ledger_entries SET entry = ?, mac = ? WHERE seq = ?", (forged, mac, seq))
    entries = [row[0] for row in connection.execute("SELECT entry FROM ledger_entries ORDER BY seq")]
    tree = MemoryNodeStore()
    for entry in entries:
        tree.append(entry.encode())
    connection.execute("DELETE FROM ledger_nodes")
    connection.executemany(
        "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
        [
            (level, index, tree.perfect_node(level, index))
            for level, index in _perfect_positions(len(entries))
        ],
    )


def _perfect_positions(size: int) -> Iterator[tuple[int, int]]:
    level = 0
    while (1 << level) <= size:
        for index in range(size >> level):
            yield level, index
        level += 1


def verify(home: Path) -> tuple[int, str]:
    result = quitus(home, "audit", "verify", "--skip-blobs")
    return result.returncode, result.stdout + result.stderr


# -- a normal home is intact ------------------------------------------------------------------------


def test_every_command_that_records_ends_with_a_signed_checkpoint(
    pristine: tuple[Path, str, str], home: Path, tmp_path: Path
) -> None:
    _, report_id, _ = pristine
    commands: Sequence[tuple[str, ...]] = (
        ("reports", "show", report_id, "--reveal"),
        ("process",),
        ("reports", "pdf", report_id, "-o", str(tmp_path / "r.pdf")),
        ("proof", "export", report_id, "-o", str(tmp_path / "p.zip")),
        ("keys", "rotate"),
        ("holds", "place", "--report", report_id, "--reason", "contentieux"),
    )
    for command in commands:
        before = ledger_size(home)
        ran = quitus(home, *command)
        assert ran.returncode == 0, (command, ran.stderr)
        assert ledger_size(home) > before, command  # each records something
        code, output = verify(home)
        assert code == 0, (command, output)


def test_checkpoints_are_remembered_in_the_key_folder_under_the_key_name(home: Path) -> None:
    records, damaged = CheckpointLog(log_of(home)).records()
    assert not damaged
    assert not list(home.rglob("checkpoints.log"))
    with closing(sqlite3.connect(home / "quitus.db")) as connection:
        stored = dict(connection.execute("SELECT size, note FROM ledger_checkpoints").fetchall())
    assert [r.note for r in records] == [stored[size] for size in sorted(stored)]
    key_name = (home / "ledger.vkey").read_text().split("+", 1)[0]
    for record in records:
        text, _, signatures = record.note.partition("\n\n")
        assert parse_checkpoint(text + "\n").origin == key_name  # C2SP: the origin is the key name
        assert signatures.startswith(f"\u2014 {key_name} ")


# -- rollback and truncation ------------------------------------------------------------------------


def test_a_rollback_is_reported_naming_the_remembered_checkpoint(home: Path) -> None:
    size = ledger_size(home)
    with attacker(home) as connection:
        truncate(connection, size - 3)
    code, output = verify(home)
    assert code == 1
    assert (
        f"truncated: the ledger holds {size - 3} entries, but a checkpoint of {size} entries was signed"
        in output
    )


def test_every_checkpoint_deleted_is_seen(home: Path) -> None:
    with attacker(home) as connection:
        connection.execute("DELETE FROM ledger_checkpoints")
    code, output = verify(home)
    assert code == 1
    assert "missing from the database" in output and "checkpoints were deleted" in output
    log_of(home).unlink()  # and without the key folder's memory: nothing signs these entries
    code, output = verify(home)
    assert code == 1
    assert f"{ledger_size(home)} entries after the last signed checkpoint (none is signed)" in output


def test_a_kept_prefix_with_forged_events_is_never_intact_nor_signed(
    pristine: tuple[Path, str, str], home: Path
) -> None:
    _, report_id, _ = pristine
    with attacker(home) as connection:
        truncate(connection, 6, keep_checkpoints=False)
    forge_events(home, 5)
    code, output = verify(home)
    assert code == 1
    assert "truncated: the ledger holds 11 entries" in output
    # `quitus init` signed the company's identity (a checkpoint of 1 entry, remembered outside).
    assert "10 entries after the last signed checkpoint (size 1): run `quitus audit checkpoint`" in output
    assert "intact" not in output
    refused = quitus(home, "audit", "checkpoint")
    assert refused.returncode == 1
    assert "no checkpoint signed: the ledger does not verify" in refused.stderr
    # A routine command does not sign over it either: its read is recorded, then it says so and fails.
    routine = quitus(home, "reports", "show", report_id, "--reveal")
    assert routine.returncode == 2
    assert "the ledger was truncated or rolled back; nothing is signed over it" in " ".join(
        routine.stderr.split()
    )
    with closing(sqlite3.connect(home / "quitus.db")) as connection:
        assert connection.execute("SELECT count(*) FROM ledger_checkpoints").fetchone()[0] == 0


def test_forged_events_after_the_last_checkpoint_are_not_intact(home: Path) -> None:
    """Without checkpoints.log (a home from an older version) the unsigned tail still shows."""
    with attacker(home) as connection:
        first = connection.execute("SELECT min(size) FROM ledger_checkpoints").fetchone()[0]
        truncate(connection, first)
    log_of(home).unlink()
    forge_events(home, 5)
    code, output = verify(home)
    assert code == 1
    assert (
        f"NOT SIGNED: 5 entries after the last signed checkpoint (size {first}): "
        "run `quitus audit checkpoint`" in output
    )


def test_an_unsigned_tail_left_by_a_crash_is_signed_by_audit_checkpoint(home: Path) -> None:
    size = ledger_size(home)
    # As a command killed between its append and its checkpoint would leave it (quitus's own key).
    forge_events(home, 1, of_reports=False, signer=home_signer(home))
    code, output = verify(home)
    assert code == 1
    assert f"1 entry after the last signed checkpoint (size {size})" in output
    assert "TAMPERED" not in output
    signed = quitus(home, "audit", "checkpoint")
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.splitlines()[1] == str(size + 1)
    assert verify(home)[0] == 0


# -- the columns beside an entry ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("report_id", "RI-ANOTHER"), ("step", "capture"), ("recorded_at", "2031-01-01 00:00:00.000000")],
)
def test_an_edited_index_column_is_named(
    pristine: tuple[Path, str, str], home: Path, column: str, value: str
) -> None:
    _, report_id, _ = pristine
    with attacker(home) as connection:
        seq = connection.execute(
            "SELECT seq FROM ledger_entries WHERE report_id = ? AND step = 'receive'", (report_id,)
        ).fetchone()[0]
        connection.execute(f"UPDATE ledger_entries SET {column} = ? WHERE seq = ?", (value, seq))
    code, output = verify(home)
    assert code == 1
    assert f"entry {seq}: its {column} column says" in output
    assert f"first bad entry: {seq}" in output


# -- consistency proofs for auditors ---------------------------------------------------------------


def rfc9162_consistent(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """An independent verifier: RFC 9162 §2.1.4.1's SUBPROOF recursion run backwards.

    PROOF(m, D[n]) = SUBPROOF(m, D[n], true); for m < n and k the largest power of two below n,
    SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m <= k, else
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]); SUBPROOF(m, D[m], true) = {} and
    SUBPROOF(m, D[m], false) = {MTH(D[m])}. Popping the hashes from the end rebuilds both roots.
    """

    def node(left: bytes, right: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + left + right).digest()

    path = list(proof)

    def subtree(m: int, n: int, known: bool) -> tuple[bytes, bytes]:
        if m == n:
            if known:
                return old_root, old_root
            whole = path.pop()
            return whole, whole
        k = 1 << ((n - 1).bit_length() - 1)
        sibling = path.pop()
        if m <= k:
            old, new = subtree(m, k, known)
            return old, node(new, sibling)
        old, new = subtree(m - k, n - k, False)
        return node(sibling, old), node(sibling, new)

    if not 0 < old_size <= new_size:
        return False
    try:
        old, new = subtree(old_size, new_size, True)
    except IndexError:
        return False
    return not path and old == old_root and new == new_root


def independently_checked(proof_file: Path) -> bool:
    data = json.loads(proof_file.read_text())
    unb64 = base64.b64decode
    return rfc9162_consistent(
        data["old_size"],
        data["new_size"],
        unb64(data["old_root"]),
        unb64(data["new_root"]),
        [unb64(h) for h in data["proof"]],
    )


@pytest.fixture
def kept(pristine: tuple[Path, str, str], tmp_path: Path) -> Path:
    """The checkpoint an auditor kept from the earlier bundle."""
    root, _, _ = pristine
    path = tmp_path / "kept-checkpoint.txt"
    path.write_bytes(zipfile.ZipFile(root / "bundle.zip").read("checkpoint.txt"))
    return path


def test_an_auditor_checks_consistency_from_a_kept_checkpoint(home: Path, kept: Path, tmp_path: Path) -> None:
    assert quitus(home, "reports", "list").returncode == 0
    forge_events(home, 3, signer=home_signer(home))  # the ledger grew since: the company's own events
    assert quitus(home, "audit", "checkpoint").returncode == 0
    proof = tmp_path / "proof.json"
    made = quitus(home, "audit", "consistency", "--from", str(kept), "-o", str(proof))
    assert made.returncode == 0, made.stderr
    data = json.loads(proof.read_text())
    assert data["new_size"] == ledger_size(home) > data["old_size"]
    key = (home / "ledger.vkey").read_text().strip()
    offline = tmp_path / "no-installation-here"
    checked = quitus(offline, "audit", "check-consistency", str(proof), "--key", key, "--kept", str(kept))
    assert checked.returncode == 0, checked.stderr
    assert "consistency proof verified" in checked.stdout
    assert independently_checked(proof)
    # The proof must start from what the auditor kept, not from any checkpoint it carries.
    other = tmp_path / "other.txt"
    other.write_text(data["checkpoint"])
    assert (
        quitus(
            offline, "audit", "check-consistency", str(proof), "--key", key, "--kept", str(other)
        ).returncode
        == 1
    )


def test_a_truncated_ledger_cannot_prove_a_kept_checkpoint(home: Path, kept: Path) -> None:
    with attacker(home) as connection:
        first = connection.execute("SELECT min(size) FROM ledger_checkpoints").fetchone()[0]
        truncate(connection, first)
    refused = quitus(home, "audit", "consistency", "--from", str(kept))
    assert refused.returncode == 1
    assert (
        f"truncated: the ledger's latest signed checkpoint holds {first} entries, fewer than"
        in refused.stderr
    )


def test_a_history_rewritten_with_the_key_fails_the_auditors_check(
    home: Path, kept: Path, tmp_path: Path
) -> None:
    """The company itself rewrites entry 1, recomputes the tree, erases its checkpoints and its
    checkpoints.log and signs anew: every check it runs passes — not the auditor's."""
    with attacker(home) as connection:
        rewrite_history(connection, 1, home_signer(home))
        connection.execute("DELETE FROM ledger_checkpoints")
    log_of(home).unlink()
    assert quitus(home, "audit", "checkpoint").returncode == 0
    assert verify(home)[0] == 0
    proof = tmp_path / "proof.json"
    made = quitus(home, "audit", "consistency", "--from", str(kept), "-o", str(proof))
    assert made.returncode == 1
    assert "it was rewritten" in made.stderr
    key = (home / "ledger.vkey").read_text().strip()
    checked = quitus(tmp_path / "elsewhere", "audit", "check-consistency", str(proof), "--key", key)
    assert checked.returncode == 1
    assert "NOT consistent" in checked.stderr
    assert not independently_checked(proof)


def test_a_tail_forged_with_the_database_alone_is_never_signed(
    home: Path, pristine: tuple[Path, str, str]
) -> None:
    """Inserts are not refused by the append-only triggers: a forged, well-formed entry after the
    last checkpoint must be named, and neither `audit checkpoint` nor the next command signs it."""
    size = ledger_size(home)
    forge_events(home, 1, of_reports=False)  # a plausible installation event, without the key
    code, output = verify(home)
    assert code == 1
    assert f"1 entry after the last signed checkpoint ({size}) not written by quitus" in output
    refused = quitus(home, "audit", "checkpoint")
    assert refused.returncode == 1
    assert "TAMPERED" in refused.stderr
    # An ordinary command that writes the ledger does not bless the forged tail either.
    _, report_id, _ = pristine
    revealed = quitus(home, "reports", "show", report_id, "--reveal")
    assert "not written by quitus" in revealed.stderr
    code, output = verify(home)
    assert code == 1 and "not written by quitus" in output
    with closing(sqlite3.connect(home / "quitus.db")) as connection:
        signed = connection.execute("SELECT max(size) FROM ledger_checkpoints").fetchone()[0]
    assert signed == size
