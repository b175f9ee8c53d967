"""Cosignatures (C2SP tlog-cosignature), the add-checkpoint body and the witness's decision
(C2SP tlog-witness), and a witness folder under concurrent submissions."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storage.ledger.anchors import CheckpointLog
from storage.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    generate_signing_key,
    load_signer,
    parse_verifier_key,
    sign_checkpoint,
)
from storage.ledger.errors import KeyFormatError
from storage.ledger.merkle import MemoryNodeStore, consistency_proof, root_hash
from storage.ledger.witness import (
    AddCheckpointRequest,
    BadRequestError,
    CosignatureError,
    Cosigner,
    WitnessedCheckpoint,
    WitnessError,
    WitnessRefusedError,
    check_submission,
    parse_add_checkpoint,
    parse_cosigner_key,
    verify_cosignatures,
    with_cosignatures,
)
from storage.ledger.witness_home import WitnessHome

LOG = load_signer("example.test/log", bytes(range(32)))  # fixed: its key names a test id


def witness(name: str = "witness.test/w1") -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.generate())


def tree(count: int, salt: str = "") -> MemoryNodeStore:
    store = MemoryNodeStore()
    for n in range(count):
        store.append(f"entry {n}{salt}".encode())
    return store


def note_of(store: MemoryNodeStore, size: int, signer: NoteSigner = LOG) -> str:
    return sign_checkpoint(Checkpoint(LOG.name, size, root_hash(size, store)), signer)


# -- cosignatures -------------------------------------------------------------------------------


def test_a_cosignature_is_what_the_spec_says_byte_for_byte() -> None:
    cosigner = witness()
    note = note_of(tree(5), 5)
    text = note.split("\n\n")[0] + "\n"
    line = cosigner.cosign(text, 1_700_000_000)
    name, blob = line.removeprefix("\u2014 ").removesuffix("\n").split(" ")
    raw = base64.b64decode(blob)
    public = cosigner.public_key
    # Independently: key id with type 0x04, then an 8-byte big-endian timestamp, then the signature.
    assert name == "witness.test/w1"
    assert raw[:4] == hashlib.sha256(b"witness.test/w1\n\x04" + public).digest()[:4]
    assert struct.unpack(">Q", raw[4:12]) == (1_700_000_000,)
    message = b"cosignature/v1\ntime 1700000000\n" + text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)  # raises if not
    vkey = cosigner.key.vkey()
    assert vkey.split("+", 2)[2] == base64.b64encode(b"\x04" + public).decode()
    found = verify_cosignatures(note + line, [vkey])
    assert [(c.witness, c.timestamp) for c in found] == [("witness.test/w1", 1_700_000_000)]


def test_cosignatures_of_unknown_witnesses_are_ignored_and_forged_ones_refused() -> None:
    ours, other = witness(), witness("witness.test/other")
    note = note_of(tree(3), 3)
    text = note.split("\n\n")[0] + "\n"
    cosigned = with_cosignatures(note, [other.cosign(text, 10), ours.cosign(text, 11)])
    assert [c.timestamp for c in verify_cosignatures(cosigned, [ours.key.vkey()])] == [11]
    assert verify_cosignatures(note, [ours.key.vkey()]) == []  # the log's own line is not one
    altered = cosigned.replace("\n3\n", "\n4\n", 1)
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignatures(altered, [ours.key.vkey()])
    # A cosignature re-timed without re-signing does not verify either.
    name, blob = ours.cosign(text, 11).removeprefix("\u2014 ").split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[4:12] = struct.pack(">Q", 12)
    retimed = note + f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(CosignatureError):
        verify_cosignatures(retimed, [ours.key.vkey()])


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        (LOG.verifier_key(), "this is a log key"),
        ("witness.test/w1+00000000+" + base64.b64encode(b"\x04" + b"\x01" * 32).decode(), "does not match"),
        ("no-plus-signs", "must look like"),
        ("bad name+00000000+AAAA", "must be non-empty"),
    ],
)
def test_malformed_witness_keys_are_refused(vkey: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        parse_cosigner_key(vkey)


# -- the request body ---------------------------------------------------------------------------

HASH = base64.b64encode(b"\x07" * 32).decode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"old 3\n\n", "no checkpoint"),
        (b"old 03\n\nx\n", "leading zeros"),
        (b"old -1\n\nx\n", "old <size>"),
        (b"new 3\n\nx\n", "old <size>"),
        (b"old 3\nx\n", "empty line"),
        (f"old 3\n{HASH[:-4]}\n\nx\n".encode(), "not a 32-byte hash"),
        (b"old 3\nnot base64!\n\nx\n", "not a base64 hash"),
        (b"old 3\n" + (HASH + "\n").encode() * 64 + b"\nx\n", "more than 63"),
        (b"old 3\n\n\xff\n", "not UTF-8"),
        (b"old 3\n\n" + b"x" * 70_000, "larger than"),
    ],
)
def test_bad_bodies_are_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(BadRequestError, match=message) as refused:
        parse_add_checkpoint(body)
    assert refused.value.status == 400


def test_a_body_round_trips() -> None:
    note = note_of(tree(4), 4)
    request = AddCheckpointRequest(2, (b"\x01" * 32, b"\x02" * 32), note)
    assert parse_add_checkpoint(request.body()) == request
    assert request.body().startswith(b"old 2\n" + base64.b64encode(b"\x01" * 32) + b"\n")


# -- the witness's decision ---------------------------------------------------------------------


def decide(request: AddCheckpointRequest, latest: WitnessedCheckpoint | None) -> int:
    try:
        check_submission(request, {LOG.name: parse_verifier_key(LOG.verifier_key())}, lambda origin: latest)
    except WitnessRefusedError as refusal:
        return refusal.status
    return 200


def test_the_witness_decides_as_tlog_witness_says() -> None:
    grown, forked = tree(9), tree(9, salt="forked")
    seen = WitnessedCheckpoint(5, root_hash(5, grown), 0)
    proof = tuple(consistency_proof(5, 9, grown))
    note9 = note_of(grown, 9)
    assert decide(AddCheckpointRequest(0, (), note_of(grown, 5)), None) == 200  # first contact
    assert decide(AddCheckpointRequest(5, proof, note9), seen) == 200  # consistent growth
    assert decide(AddCheckpointRequest(5, (), note_of(grown, 5)), seen) == 200  # same again
    assert decide(AddCheckpointRequest(0, (), note9), seen) == 409  # stale old size
    assert decide(AddCheckpointRequest(4, (), note9), seen) == 409
    assert decide(AddCheckpointRequest(5, (), note_of(forked, 5)), seen) == 409  # same size, another root
    forked_proof = tuple(consistency_proof(5, 9, forked))
    assert decide(AddCheckpointRequest(5, forked_proof, note_of(forked, 9)), seen) == 422  # a fork
    assert decide(AddCheckpointRequest(5, proof[:-1], note9), seen) == 422  # a proof cut short
    assert decide(AddCheckpointRequest(0, proof, note9), None) == 422  # a proof from nothing
    assert decide(AddCheckpointRequest(10, (), note9), seen) == 400  # old above the checkpoint
    impostor = load_signer(LOG.name, generate_signing_key()[0])
    assert decide(AddCheckpointRequest(5, proof, note_of(grown, 9, impostor)), seen) == 403
    assert decide(AddCheckpointRequest(5, proof, note9.replace("\n9\n", "\n8\n")), seen) == 403
    stranger = load_signer("someone.else/log", generate_signing_key()[0])
    unknown = sign_checkpoint(Checkpoint(stranger.name, 9, root_hash(9, grown)), stranger)
    assert decide(AddCheckpointRequest(0, (), unknown), None) == 404
    assert decide(AddCheckpointRequest(0, (), "not a note"), None) == 400


# -- a witness folder ---------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> WitnessHome:
    created = WitnessHome.create(tmp_path / "witness", "witness.test/w1")
    created.add_log(LOG.verifier_key())
    return created


def test_concurrent_submissions_from_one_old_size_cosign_exactly_one(home: WitnessHome) -> None:
    """The check against the old size and the write of the new one are one step: of 12 requests
    racing from the same old size, one wins; the others are told the size it set."""
    grown = tree(40)
    home.add_checkpoint(AddCheckpointRequest(0, (), note_of(grown, 10)).body())
    bodies = [
        AddCheckpointRequest(10, tuple(consistency_proof(10, size, grown)), note_of(grown, size)).body()
        for size in range(11, 23)
    ]
    outcomes: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def submit(body: bytes) -> None:
        barrier.wait()
        try:
            home.add_checkpoint(body)
            outcomes.append(200)
        except WitnessRefusedError as refusal:
            outcomes.append(refusal.status)

    threads = [threading.Thread(target=submit, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [409] * 11
    assert home.latest()[LOG.name].size > 10


def test_a_damaged_state_is_never_taken_for_a_fresh_one(home: WitnessHome) -> None:
    home.add_checkpoint(AddCheckpointRequest(0, (), note_of(tree(3), 3)).body())
    state = home.directory / "state.json"
    assert json.loads(state.read_text())["logs"][LOG.name]["size"] == 3
    state.write_text('{"format": "quitus-witness-state/1", "logs": {')
    with pytest.raises(WitnessError, match="damaged"):
        home.add_checkpoint(AddCheckpointRequest(0, (), note_of(tree(3), 3)).body())
    state.unlink()
    with pytest.raises(WitnessError, match="missing"):
        home.latest()


def test_a_witness_key_is_never_replaced(home: WitnessHome) -> None:
    with pytest.raises(WitnessError, match="already holds a witness key"):
        WitnessHome.create(home.directory, "witness.test/w2")
    other = load_signer(LOG.name, generate_signing_key()[0])
    with pytest.raises(WitnessError, match="under another key"):
        home.add_log(other.verifier_key())
    assert home.add_log(LOG.verifier_key())[1] is False


def test_checkpoints_log_keeps_a_cosigned_note_once(tmp_path: Path) -> None:
    log = CheckpointLog(tmp_path / "checkpoints.log")
    note = note_of(tree(3), 3)
    cosigned = note + witness().cosign(note.split("\n\n")[0] + "\n", 5)
    with log.locked() as locked:
        locked.append(note)
        locked.append(cosigned)
        locked.append(note)  # what Ledger.checkpoint does when nothing was appended since
        locked.append(cosigned)
    assert [r.note for r in log.records()[0]] == [note, cosigned]
