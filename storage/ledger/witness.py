"""Witness cosignatures (C2SP tlog-cosignature) and the witness protocol (C2SP tlog-witness).

A witness is a separate party with its own Ed25519 key. It cosigns a checkpoint of a log
it follows only after checking the log's signature and that the checkpoint is consistent
with the last one it cosigned for that log (RFC 9162 §2.1.4.2). A ledger that shows one
history to the witness and another to an auditor, or that was rolled back after being
witnessed, can then no longer produce a checkpoint cosigned by it.

**Cosignature** (``cosignature/v1``, Ed25519): a signed-note signature line
``— <witness name> base64(key id ‖ 8-byte big-endian timestamp ‖ signature)`` whose
signature covers ``cosignature/v1\\ntime <unix seconds>\\n`` followed by the checkpoint's
note text. The key id is ``SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`` and the verifier
key ``<name>+<key id hex>+base64(0x04 ‖ public key)``: type 0x04 keeps a witness key apart
from a log key (0x01), so a ledger note verifier ignores cosignatures and the other way round.

**add-checkpoint request body**: ``old <size>\\n``, up to 63 base64 consistency-proof lines,
an empty line, then the signed checkpoint note. :func:`parse_add_checkpoint` is strict (a
request is refused whole, never half-read); :func:`check_submission` is the witness's
decision and raises a :class:`WitnessRefusedError` carrying the HTTP status the protocol names.

Errors::

    LedgerError                        (storage.ledger.errors)
    └── WitnessError                   a witness exchange or cosignature cannot be used
        ├── WitnessRefusedError             the witness refuses a submission (HTTP status, known size)
        │   └── BadRequestError        the request body breaks the protocol (400)
        ├── WitnessUnavailableError    the witness cannot be reached, or answers nonsense
        └── CosignatureError           a cosignature is malformed or does not verify
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.ledger.checkpoint import Checkpoint, NoteVerifier, open_note, parse_checkpoint
from storage.ledger.errors import (
    BadSignatureError,
    CheckpointError,
    KeyFormatError,
    LedgerError,
    MalformedNoteError,
    UnknownKeyError,
)
from storage.ledger.merkle import HASH_SIZE, verify_consistency

__all__ = [
    "COSIGNATURE_TYPE",
    "MAX_PROOF_LINES",
    "MAX_REQUEST_BYTES",
    "AddCheckpointRequest",
    "BadRequestError",
    "Cosignature",
    "CosignatureError",
    "Cosigner",
    "CosignerKey",
    "WitnessError",
    "WitnessRefusedError",
    "WitnessUnavailableError",
    "WitnessedCheckpoint",
    "check_submission",
    "cosigned_message",
    "cosigner_key_id",
    "cosigner_verifier_key",
    "note_text",
    "parse_add_checkpoint",
    "parse_cosigner_key",
    "parse_signature_lines",
    "verify_cosignatures",
    "with_cosignatures",
]

COSIGNATURE_TYPE = 0x04
"""Signature type byte of an Ed25519 ``cosignature/v1`` key (C2SP tlog-cosignature)."""

MAX_PROOF_LINES = 63
"""Consistency-proof lines a request may carry (the protocol's limit)."""

MAX_REQUEST_BYTES = 64 * 1024
"""Largest add-checkpoint body accepted: a checkpoint and 63 hashes take a few KiB."""

_HEADER = "cosignature/v1\n"
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_KEY_ID_SIZE = 4
_TIMESTAMP_SIZE = 8
_SIGNATURE_SIZE = 64
_PUBLIC_KEY_SIZE = 32
_MAX_TIMESTAMP = 2**63 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class WitnessError(LedgerError):
    """A witness exchange or a cosignature cannot be used."""


class WitnessRefusedError(WitnessError):
    """The witness refuses the submission; ``status`` is the HTTP status the protocol names."""

    def __init__(self, status: int, message: str, *, known_size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.known_size = known_size
        """On 409: the size of the latest checkpoint the witness cosigned for this log."""


class BadRequestError(WitnessRefusedError):
    """The request body breaks the tlog-witness protocol (400 Bad Request)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class WitnessUnavailableError(WitnessError):
    """The witness cannot be reached, times out, or answers outside the protocol."""


class CosignatureError(WitnessError):
    """A cosignature line is malformed, or one made under a trusted witness key does not verify."""


# -- keys ---------------------------------------------------------------------------------------


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """Ed25519 cosignature key id: ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_TYPE]) + public_key).digest()[
        :_KEY_ID_SIZE
    ]


def cosigner_verifier_key(name: str, public_key: bytes) -> str:
    """``<name>+<key id hex>+base64(0x04 || public key)``: what a verifier of this witness trusts."""
    _check_key_name(name)
    if len(public_key) != _PUBLIC_KEY_SIZE:
        raise KeyFormatError(f"an Ed25519 public key is {_PUBLIC_KEY_SIZE} bytes, got {len(public_key)}")
    material = base64.b64encode(bytes([COSIGNATURE_TYPE]) + public_key).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{material}"


@dataclass(frozen=True)
class CosignerKey:
    """A trusted witness key, as parsed from its verifier key string."""

    name: str
    """The witness's key name, which its signature lines carry."""
    key_id: bytes
    """4-byte key id (computed with type 0x04)."""
    public_key: bytes
    """Raw 32-byte Ed25519 public key."""

    def vkey(self) -> str:
        return cosigner_verifier_key(self.name, self.public_key)

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_cosigner_key(vkey: str) -> CosignerKey:
    """Parse a witness verifier key (type 0x04); its key id must match its name and key."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("a witness key must look like <name>+<8 hex digits>+<base64 key>")
    name, id_hex, material_b64 = parts
    _check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise KeyFormatError(f"witness key id must be 8 lowercase hex digits, got {id_hex!r}")
    try:
        material = _b64decode_strict(material_b64)
    except ValueError as exc:
        raise KeyFormatError(f"witness key material for {name!r} is not canonical standard base64") from exc
    if len(material) != 1 + _PUBLIC_KEY_SIZE or material[0] != COSIGNATURE_TYPE:
        raise KeyFormatError(
            f"{name!r} is not a cosignature/v1 witness key (type 0x04 followed by 32 bytes)"
            + (": this is a log key (type 0x01), not a witness key" if material[:1] == b"\x01" else "")
        )
    public_key = material[1:]
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise KeyFormatError(f"witness key for {name!r} is not a valid Ed25519 public key") from exc
    if cosigner_key_id(name, public_key).hex() != id_hex:
        raise KeyFormatError(f"witness key id {id_hex} does not match the name {name!r} and its key")
    return CosignerKey(name=name, key_id=bytes.fromhex(id_hex), public_key=public_key)


@dataclass(frozen=True, eq=False)
class Cosigner:
    """A witness's signing key under its name."""

    name: str
    """Key name, e.g. ``witness.example.fr/quitus``."""
    private_key: Ed25519PrivateKey = field(repr=False)
    """The witness's signing key; never printed."""

    def __post_init__(self) -> None:
        _check_key_name(self.name)

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key(self) -> CosignerKey:
        return CosignerKey(self.name, cosigner_key_id(self.name, self.public_key), self.public_key)

    def cosign(self, text: str, timestamp: int) -> str:
        """The ``— <name> …`` cosignature line of checkpoint note text ``text`` at ``timestamp``."""
        signature = self.private_key.sign(cosigned_message(text, timestamp))
        blob = self.key.key_id + struct.pack(">Q", timestamp) + signature
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: the header line, the time line, the checkpoint text."""
    if isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise CosignatureError(f"a cosignature timestamp is 0 to 2^63-1 seconds, got {timestamp}")
    return f"{_HEADER}time {timestamp}\n{text}".encode()


# -- cosigned notes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cosignature:
    """A cosignature that verified under a trusted witness key."""

    witness: str
    """The witness key name."""
    key_id: bytes
    timestamp: int
    """When the witness cosigned, in Unix seconds."""
    line: str
    """The signature line, newline included."""


def note_text(note: str) -> tuple[str, list[str]]:
    """A signed note's text (ending in a newline) and its signature lines (each with its newline)."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 >= len(note):
        raise MalformedNoteError("a note is text, an empty line, then signature lines ending in newlines")
    lines = [line + "\n" for line in note[split + 2 : -1].split("\n")]
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIGNATURE_PREFIX):
            raise MalformedNoteError(f"signature line {number} must start with an em dash and a space")
    return note[: split + 1], lines


def parse_signature_lines(lines: Iterable[str]) -> list[tuple[str, bytes, bytes]]:
    """``(name, key id, rest of the signature)`` of each ``— <name> <base64>`` line."""
    parsed = []
    for number, line in enumerate(lines, start=1):
        body = line.removesuffix("\n")
        if not body.startswith(_SIGNATURE_PREFIX):
            raise MalformedNoteError(f"signature line {number} must start with an em dash and a space")
        name, space, blob = body[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not space or not name:
            raise MalformedNoteError(f"signature line {number} must be '— <key name> <base64 signature>'")
        try:
            raw = _b64decode_strict(blob)
        except ValueError as exc:
            raise MalformedNoteError(f"signature line {number} by {name!r} is not standard base64") from exc
        if len(raw) <= _KEY_ID_SIZE:
            raise MalformedNoteError(f"signature line {number} by {name!r} is too short to hold a key id")
        parsed.append((name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]))
    return parsed


def verify_cosignatures(note: str, witness_keys: Sequence[str | CosignerKey]) -> list[Cosignature]:
    """The cosignatures of ``note`` that verify under ``witness_keys``, in the note's order.

    Lines by other keys (the log's own signature, unknown witnesses) are ignored, as the
    spec requires; it does not check the log's signature (``open_checkpoint`` does). Raises
    :class:`CosignatureError` when a line made under a trusted witness's name and key id
    does not verify (a forged or altered cosignature), and :class:`MalformedNoteError` when
    the note is not a signed note.
    """
    trusted = {}
    for vkey in witness_keys:
        key = vkey if isinstance(vkey, CosignerKey) else parse_cosigner_key(vkey)
        trusted[key.name, key.key_id] = key
    text, lines = note_text(note)
    found = []
    for line, (name, key_id, rest) in zip(lines, parse_signature_lines(lines), strict=True):
        known = trusted.get((name, key_id))
        if known is None:
            continue
        if len(rest) != _TIMESTAMP_SIZE + _SIGNATURE_SIZE:
            raise CosignatureError(
                f"the cosignature by {name!r} is {len(rest)} bytes after its key id, "
                f"not {_TIMESTAMP_SIZE + _SIGNATURE_SIZE} (timestamp and Ed25519 signature)"
            )
        (timestamp,) = struct.unpack(">Q", rest[:_TIMESTAMP_SIZE])
        if timestamp > _MAX_TIMESTAMP or not known.verifies(
            cosigned_message(text, timestamp), rest[_TIMESTAMP_SIZE:]
        ):
            raise CosignatureError(
                f"the cosignature by {name!r} (key id {key_id.hex()}) does not verify: "
                "the checkpoint or the cosignature was altered"
            )
        found.append(Cosignature(name, key_id, timestamp, line))
    return found


def with_cosignatures(note: str, lines: Iterable[str]) -> str:
    """``note`` with the signature ``lines`` it does not carry yet appended after its own."""
    _, present = note_text(note)
    return note + "".join(line for line in lines if line not in present)


# -- the add-checkpoint exchange ----------------------------------------------------------------


@dataclass(frozen=True)
class AddCheckpointRequest:
    """The body of ``POST <prefix>/add-checkpoint``."""

    old_size: int
    """Size of the checkpoint the witness last cosigned for this log, as the client believes."""
    proof: tuple[bytes, ...]
    """RFC 9162 consistency proof from ``old_size`` to the checkpoint's size (empty from 0)."""
    note: str
    """The signed checkpoint note."""

    def body(self) -> bytes:
        proof = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in self.proof)
        return f"old {self.old_size}\n{proof}\n{self.note}".encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Parse a request body strictly; :class:`BadRequestError` (400) names what is wrong."""
    if len(body) > MAX_REQUEST_BYTES:
        raise BadRequestError(f"the body is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"the body is not UTF-8 (byte {exc.start})") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise BadRequestError("the body needs an old size line, proof lines, an empty line, a checkpoint")
    lines = head.split("\n")
    size_line, proof_lines = lines[0], lines[1:]
    if not size_line.startswith("old ") or not _DECIMAL.fullmatch(size_line[4:]):
        raise BadRequestError("the first line must be 'old <size>' in decimal without leading zeros")
    old_size = int(size_line[4:])
    if len(proof_lines) > MAX_PROOF_LINES:
        raise BadRequestError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(proof_lines, start=2):
        try:
            digest = _b64decode_strict(line)
        except ValueError:
            raise BadRequestError(f"line {number} is not a base64 hash") from None
        if len(digest) != HASH_SIZE:
            raise BadRequestError(f"line {number} is {len(digest)} bytes, not a {HASH_SIZE}-byte hash")
        proof.append(digest)
    if not note:
        raise BadRequestError("no checkpoint after the empty line")
    return AddCheckpointRequest(old_size, tuple(proof), note)


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """What a witness keeps per log: the latest checkpoint it cosigned."""

    size: int
    root_hash: bytes
    timestamp: int
    """When it cosigned it (Unix seconds)."""


def check_submission(
    request: AddCheckpointRequest,
    log_keys: Mapping[str, NoteVerifier],
    latest: Callable[[str], WitnessedCheckpoint | None],
) -> tuple[Checkpoint, str]:
    """The witness's decision on ``request``: the checkpoint and its note text to cosign.

    ``log_keys``: the logs it follows, by origin; ``latest(origin)``: the last checkpoint it
    cosigned for that log, or ``None``. Raises :class:`WitnessRefusedError` with the status of
    C2SP tlog-witness: 404 unknown log, 403 no valid signature, 400 malformed, 409 the old
    size is not the one cosigned (``known_size`` says which) or the same size with another
    root, 422 the consistency proof does not verify.
    """
    checkpoint, text = _open_submitted(request, log_keys)
    if request.old_size > checkpoint.size:
        raise BadRequestError("the old size is larger than the checkpoint's size")
    known = latest(checkpoint.origin)
    known_size = 0 if known is None else known.size
    if request.old_size != known_size:
        raise WitnessRefusedError(
            409, f"the latest checkpoint cosigned holds {known_size} entries", known_size=known_size
        )
    if request.old_size == 0:
        if request.proof:
            raise WitnessRefusedError(422, "a proof from the empty tree must be empty")
        return checkpoint, text
    assert known is not None  # known_size > 0
    if checkpoint.size == known.size:
        if checkpoint.root_hash != known.root_hash:
            raise WitnessRefusedError(
                409, "another root at the size already cosigned: a fork", known_size=known_size
            )
        if request.proof:
            raise WitnessRefusedError(422, "a proof between equal sizes must be empty")
        return checkpoint, text
    if not verify_consistency(
        known.size, checkpoint.size, known.root_hash, checkpoint.root_hash, list(request.proof)
    ):
        raise WitnessRefusedError(
            422, f"the consistency proof from {known.size} to {checkpoint.size} entries does not verify"
        )
    return checkpoint, text


def _open_submitted(
    request: AddCheckpointRequest, log_keys: Mapping[str, NoteVerifier]
) -> tuple[Checkpoint, str]:
    """The submitted checkpoint, once its origin is known and its log's signature verified."""
    try:
        text, _ = note_text(request.note)
        origin = text.split("\n", 1)[0]
    except MalformedNoteError as exc:
        raise BadRequestError(f"the checkpoint is not a signed note: {exc}") from None
    verifier = log_keys.get(origin)
    if verifier is None:
        raise WitnessRefusedError(404, "this witness does not follow a log of that origin")
    try:
        open_note(request.note, [verifier])
    except (UnknownKeyError, BadSignatureError):
        raise WitnessRefusedError(
            403, "no signature on the checkpoint verifies under the log's key"
        ) from None
    except MalformedNoteError as exc:
        raise BadRequestError(f"the checkpoint is not a signed note: {exc}") from None
    try:
        checkpoint = parse_checkpoint(text)
    except CheckpointError as exc:
        raise BadRequestError(f"not a checkpoint: {exc}") from None
    return checkpoint, text


def _check_key_name(name: str) -> None:
    if not name or any(ch.isspace() or ch == "+" or ch < " " for ch in name):
        raise KeyFormatError(
            f"key name {name!r} must be non-empty, without spaces, control characters or '+'"
        )


def _b64decode_strict(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ValueError("not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise ValueError("not canonical base64")
    return raw
