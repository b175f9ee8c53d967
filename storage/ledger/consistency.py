"""Consistency proofs an auditor checks offline against a checkpoint they kept.

An auditor who kept a signed checkpoint — ``checkpoint.txt`` of an earlier proof bundle,
the output of ``quitus audit checkpoint`` — asks for a proof that today's ledger still
begins with the entries that checkpoint signed. :func:`build_consistency_proof` writes
one (RFC 9162 §2.1.4.1) from that checkpoint to the latest signed one;
:func:`check_consistency_proof` checks it with the published key alone (§2.1.4.2). A
ledger that was truncated below the kept checkpoint cannot produce a proof; one that was
rewritten produces a proof that does not verify — even when its new checkpoint is
genuinely signed, by someone who holds the key and rewrote history.

The proof is a JSON object (``format``: ``quitus-consistency-proof/1``)::

    {"old_size": 12, "old_root": "<base64>", "new_size": 40, "new_root": "<base64>",
     "proof": ["<base64>", ...], "old_checkpoint": "<signed note>", "checkpoint": "<signed note>"}

or a folder an auditor checks with bash, coreutils and openssl alone
(:func:`consistency_folder`)::

    old-checkpoint.txt    the kept checkpoint (signed note)
    old-checkpoint.body   its text, what the ledger key signed
    old-checkpoint.sig    the raw 64-byte Ed25519 signature of the ledger's line
    checkpoint.txt        the ledger's latest checkpoint (may carry witness cosignatures)
    checkpoint.body, checkpoint.sig
    proof.txt             "<old size> <new size>", then the proof's hashes in hex, one per line
    proof.json            the JSON form, for `quitus audit check-consistency`
    ledger-public.pem     the ledger key — checked against the fingerprint the auditor pins
    verify-consistency.sh the check: bash verify-consistency.sh --fingerprint <hex> [--kept FILE]
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint, parse_verifier_key
from storage.ledger.errors import LedgerError, MalformedNoteError, RollbackError
from storage.ledger.merkle import EMPTY_ROOT, verify_consistency
from storage.ledger.store import Ledger, origin_for
from storage.ledger.witness import note_text, with_cosignatures

__all__ = [
    "CONSISTENCY_FORMAT",
    "ConsistencyCheck",
    "ConsistencyProof",
    "build_consistency_proof",
    "check_consistency_proof",
    "consistency_folder",
]

VERIFY_SCRIPT = "verify-consistency.sh"
"""The auditor's script in a consistency folder (bash, coreutils and openssl only)."""

CONSISTENCY_FORMAT = "quitus-consistency-proof/1"


@dataclass(frozen=True)
class ConsistencyProof:
    """A proof that the tree of ``old`` is a prefix of the tree of ``new``."""

    old_checkpoint: str
    """The kept checkpoint (signed note) the proof starts from."""
    checkpoint: str
    """The ledger's latest signed checkpoint (signed note) the proof leads to."""
    old: Checkpoint
    new: Checkpoint
    proof: tuple[bytes, ...]
    """RFC 9162 ``PROOF(old size, D[new size])``; empty for equal sizes or an empty old tree."""

    @property
    def verifies(self) -> bool:
        """Whether the proof holds (what the auditor's check will find)."""
        return _consistent(self.old, self.new, list(self.proof))

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "format": CONSISTENCY_FORMAT,
                    "old_size": self.old.size,
                    "old_root": _b64(self.old.root_hash),
                    "new_size": self.new.size,
                    "new_root": _b64(self.new.root_hash),
                    "proof": [_b64(h) for h in self.proof],
                    "old_checkpoint": self.old_checkpoint,
                    "checkpoint": self.checkpoint,
                },
                indent=2,
            )
            + "\n"
        )


def consistency_folder(proof: ConsistencyProof, verifier: NoteVerifier | str) -> dict[str, bytes]:
    """The files of the folder form of ``proof`` (see the module docstring), by name."""
    trusted = verifier if isinstance(verifier, NoteVerifier) else parse_verifier_key(verifier)
    pem = Ed25519PublicKey.from_public_bytes(trusted.public_key).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    hashes = "".join(h.hex() + "\n" for h in proof.proof)
    files = {
        "proof.txt": f"{proof.old.size} {proof.new.size}\n{hashes}".encode("ascii"),
        "proof.json": proof.to_json().encode("utf-8"),
        "ledger-public.pem": pem,
        VERIFY_SCRIPT: (Path(__file__).with_name("verify_consistency.sh")).read_bytes(),
    }
    for stem, note in (("old-checkpoint", proof.old_checkpoint), ("checkpoint", proof.checkpoint)):
        body, signature = _body_and_signature(note, trusted)
        files[f"{stem}.txt"] = note.encode("utf-8")
        files[f"{stem}.body"] = body.encode("utf-8")
        files[f"{stem}.sig"] = signature
    return files


def _body_and_signature(note: str, verifier: NoteVerifier) -> tuple[str, bytes]:
    """A note's text and the raw Ed25519 signature of ``verifier``'s line in it."""
    split = note.find("\n\n")
    for line in note[split + 2 :].splitlines():
        name, _, blob = line.removeprefix("\u2014 ").partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            continue
        if name == verifier.name and raw[:4] == verifier.key_id:
            return note[: split + 1], raw[4:]
    raise MalformedNoteError(f"the note carries no signature line by {verifier.name}")


def build_consistency_proof(ledger: Ledger, kept_note: str, verifier: NoteVerifier | str) -> ConsistencyProof:
    """The proof from ``kept_note`` to the ledger's latest signed checkpoint.

    Raises :class:`RollbackError` when the ledger is smaller than the kept checkpoint, and
    :class:`LedgerError` when the kept note or the latest checkpoint is not signed by ``verifier``.
    A rewritten ledger yields a proof whose :attr:`~ConsistencyProof.verifies` is false.
    """
    trusted = verifier if isinstance(verifier, NoteVerifier) else parse_verifier_key(verifier)
    old = _open(kept_note, trusted, "the kept checkpoint")
    latest = ledger.latest_checkpoint()
    if latest is None:
        raise RollbackError(
            f"the ledger has no signed checkpoint, but the kept one signs {old.size} entries: "
            "its checkpoints were deleted"
        )
    new = _open(latest[1], trusted, "the ledger's latest checkpoint")
    if old.size > new.size:
        raise RollbackError(
            f"truncated: the ledger's latest signed checkpoint holds {new.size} entries, fewer than the "
            f"{old.size} of the kept checkpoint: entries were removed (a rollback)"
        )
    proof = ledger.consistency_proof(old.size, new.size) if old.size else []
    return ConsistencyProof(
        kept_note, _with_remembered_cosignatures(ledger, latest[1]), old, new, tuple(proof)
    )


def _with_remembered_cosignatures(ledger: Ledger, note: str) -> str:
    """``note`` with the witness cosignatures ``checkpoints.log`` keeps for the same checkpoint."""
    if ledger.anchors is None:
        return note
    text, own = note_text(note)
    records, _ = ledger.anchors.records()
    for record in records:
        if record.note.startswith(text + "\n"):
            lines = note_text(record.note)[1]
            own_names = {line.split(" ", 2)[1] for line in own}
            note = with_cosignatures(note, [line for line in lines if line.split(" ", 2)[1] not in own_names])
    return note


@dataclass
class ConsistencyCheck:
    """What :func:`check_consistency_proof` found."""

    old_size: int | None = None
    new_size: int | None = None
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checked)


def check_consistency_proof(
    document: str | bytes, trusted_key: str, *, kept: str | None = None
) -> ConsistencyCheck:
    """Check a proof offline with the published key; ``kept``: the checkpoint the auditor kept,
    which the proof must start from (else it starts from the one it carries)."""
    result = ConsistencyCheck()
    try:
        verifier = parse_verifier_key(trusted_key.strip())
        fields, proof, old, new = _read_proof(document, verifier)
        kept_checkpoint = _open(kept, verifier, "the kept checkpoint") if kept is not None else None
    except LedgerError as exc:
        result.problems.append(str(exc))
        return result
    result.old_size, result.new_size = old.size, new.size
    result.checked.append(f"both checkpoints signed by {verifier.name}: {old.size} and {new.size} entries")
    if kept_checkpoint is not None and (kept_checkpoint.size, kept_checkpoint.root_hash) != (
        old.size,
        old.root_hash,
    ):
        result.problems.append(
            f"the proof starts from a checkpoint of {old.size} entries, not from the one kept "
            f"({kept_checkpoint.size} entries)"
        )
    elif fields != (old.size, old.root_hash, new.size, new.root_hash):
        result.problems.append("old_size, old_root, new_size or new_root differ from the signed checkpoints")
    elif _consistent(old, new, proof):
        if kept_checkpoint is not None:
            result.checked.append("the proof starts from the kept checkpoint")
        result.checked.append(
            f"consistent (RFC 9162 §2.1.4.2): the {new.size} entries begin with the {old.size} signed before"
        )
    else:
        result.problems.append(
            f"NOT consistent: the tree of {new.size} entries does not begin with the {old.size} entries "
            "signed before — the ledger was rewritten (forked), or truncated and grown again"
        )
    return result


def _read_proof(
    document: str | bytes, verifier: NoteVerifier
) -> tuple[tuple[object, bytes, object, bytes], list[bytes], Checkpoint, Checkpoint]:
    """The proof's stated sizes and roots, its hashes, and its two checkpoints once opened."""
    try:
        data = json.loads(document)
        if not isinstance(data, dict) or data.get("format") != CONSISTENCY_FORMAT:
            raise LedgerError(f"not a consistency proof: its format is not {CONSISTENCY_FORMAT}")
        proof = [_unb64(h) for h in data["proof"]]
        fields = (data["old_size"], _unb64(data["old_root"]), data["new_size"], _unb64(data["new_root"]))
        notes = (str(data["old_checkpoint"]), str(data["checkpoint"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise LedgerError(f"not a readable consistency proof: {exc}") from exc
    old = _open(notes[0], verifier, "the old checkpoint")
    new = _open(notes[1], verifier, "the new checkpoint")
    return fields, proof, old, new


def _consistent(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> bool:
    if old.size == 0:  # every tree extends the empty one; RFC 9162 has no proof for it
        return old.root_hash == EMPTY_ROOT and not proof
    return verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)


def _open(note: str, verifier: NoteVerifier, what: str) -> Checkpoint:
    try:
        checkpoint, _names = open_checkpoint(note, [verifier])
    except LedgerError as exc:
        raise type(exc)(f"{what}: {exc}") from exc
    # The key name, or the origin quitus wrote before the two were the same.
    origins = (verifier.name, origin_for(verifier))
    if checkpoint.origin not in origins:
        raise LedgerError(f"{what} is from log {checkpoint.origin!r}, not {verifier.name!r}")
    return checkpoint


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("a hash must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{value!r} is not base64") from exc
