"""Checkpoints (C2SP tlog-checkpoint) and Ed25519 signed notes (C2SP signed-note).

A checkpoint is the text of a Merkle tree head::

    <origin>\\n
    <tree size in decimal>\\n
    <base64 root hash>\\n
    [<extension line>\\n ...]

A signed note is a text ending in a newline, a blank line, then one line per
signature: em dash (U+2014), space, key name, space, then
``base64(key id (4 bytes, big-endian) || Ed25519 signature (64 bytes))``. The key id
is ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``, ``0x01`` being the
Ed25519 signature type. A verifier key is shared as
``<name>+<key id in 8 hex digits>+<base64(0x01 || public key)>``.

Notes produced here open with Go's ``golang.org/x/mod/sumdb/note`` and the
transparency-dev tooling, and notes they produce open here.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from storage.ledger.errors import (
    BadSignatureError,
    CheckpointError,
    KeyFormatError,
    MalformedNoteError,
    UnknownKeyError,
)
from storage.ledger.merkle import HASH_SIZE

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteSigner",
    "NoteVerifier",
    "generate_signing_key",
    "key_id",
    "load_signer",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
]

ED25519_SIGNATURE_TYPE = 0x01
"""Signature type byte of Ed25519 in C2SP signed-note."""

MAX_SIGNATURES = 100
"""Signature lines accepted in one note (the spec requires at least 16)."""

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_KEY_ID_SIZE = 4
_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_MAX_TREE_SIZE = 2**63 - 1  # what Go's tlog parser accepts
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class Checkpoint:
    """A Merkle tree head as signed by the ledger."""

    origin: str
    """Identity of the log, e.g. ``quitus.example/audit``; also the name it signs under."""
    size: int
    """Number of entries in the tree."""
    root_hash: bytes
    """RFC 9162 root hash of those entries (32 bytes)."""
    extensions: tuple[str, ...] = ()
    """Opaque extra lines; the spec discourages them (monitors cannot audit them)."""

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError(f"tree size must be an int, got {type(self.size).__name__}")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise CheckpointError(f"tree size must be between 0 and {_MAX_TREE_SIZE}, got {self.size}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("extensions must be a tuple of lines")
        for number, line in enumerate(self.extensions, start=1):
            _check_line(line, f"extension line {number}")

    def body(self) -> str:
        """The checkpoint text, every line ending in a newline: the note text to sign."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint text (the note text, not the signed note). Strict: no leniency."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(
            f"checkpoint needs origin, tree size and root hash lines; got {len(lines)} line(s)"
        )
    for number, line in enumerate(lines, start=1):
        _check_line(line, f"line {number}")
    origin, size_text, root_text, *extensions = lines
    if not _TREE_SIZE.fullmatch(size_text):
        raise CheckpointError(
            f"line 2 (tree size) must be ASCII decimal without sign or leading zeros, got {size_text!r}"
        )
    size = int(size_text)
    if size > _MAX_TREE_SIZE:
        raise CheckpointError(f"line 2 (tree size) exceeds {_MAX_TREE_SIZE}")
    try:
        root = _b64decode_strict(root_text)
    except ValueError as exc:
        raise CheckpointError(f"line 3 (root hash) is not canonical standard base64: {root_text!r}") from exc
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"line 3 (root hash) decodes to {len(root)} bytes, expected {HASH_SIZE}")
    return Checkpoint(origin=origin, size=size, root_hash=root, extensions=tuple(extensions))


def key_id(name: str, public_key: bytes) -> bytes:
    """Ed25519 key id: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``."""
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


@dataclass(frozen=True, eq=False)
class NoteSigner:
    """Signs notes under a key name with an Ed25519 private key."""

    name: str
    """Key name; for a checkpoint it should equal the checkpoint's origin."""
    private_key: Ed25519PrivateKey = field(repr=False)
    """The signing key; never printed."""

    def __post_init__(self) -> None:
        _check_key_name(self.name)

    @property
    def public_key(self) -> bytes:
        """Raw 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        """4-byte key id of this name and key."""
        return key_id(self.name, self.public_key)

    def verifier_key(self) -> str:
        """The verifier key string to hand to whoever checks this signer's notes."""
        return verifier_key(self.name, self.public_key)

    def signature_line(self, text: str) -> str:
        """The ``— <name> <base64>`` line signing ``text`` (already validated note text)."""
        signature = self.private_key.sign(text.encode("utf-8"))
        blob = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{_SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 key, as parsed from a verifier key string."""

    name: str
    """Key name the signature lines must carry."""
    key_id: bytes
    """4-byte key id the signatures must start with."""
    public_key: bytes
    """Raw 32-byte Ed25519 public key."""

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without key id) is this key's signature of ``text``."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


def verifier_key(name: str, public_key: bytes | Ed25519PublicKey) -> str:
    """Verifier key string ``<name>+<key id hex>+<base64(0x01 || public key)>``."""
    _check_key_name(name)
    raw = (
        public_key
        if isinstance(public_key, bytes)
        else public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    if len(raw) != _PUBLIC_KEY_SIZE:
        raise KeyFormatError(f"an Ed25519 public key is {_PUBLIC_KEY_SIZE} bytes, got {len(raw)}")
    material = base64.b64encode(bytes([ED25519_SIGNATURE_TYPE]) + raw).decode("ascii")
    return f"{name}+{key_id(name, raw).hex()}+{material}"


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Parse a verifier key string; its key id must match its name and key."""
    # Split twice only: the base64 part may itself contain '+'.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("verifier key must look like <name>+<8 hex digits>+<base64 key>")
    name, id_hex, material_b64 = parts
    _check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise KeyFormatError(f"verifier key id must be 8 lowercase hex digits, got {id_hex!r}")
    try:
        material = _b64decode_strict(material_b64)
    except ValueError as exc:
        raise KeyFormatError(f"verifier key material for {name!r} is not canonical standard base64") from exc
    if len(material) != 1 + _PUBLIC_KEY_SIZE or material[0] != ED25519_SIGNATURE_TYPE:
        raise KeyFormatError(
            f"verifier key for {name!r} is not an Ed25519 key (type 0x01 followed by 32 bytes)"
        )
    public_key = material[1:]
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise KeyFormatError(f"verifier key for {name!r} is not a valid Ed25519 public key") from exc
    if key_id(name, public_key).hex() != id_hex:
        raise KeyFormatError(f"verifier key id {id_hex} does not match the name {name!r} and its key")
    return NoteVerifier(name=name, key_id=bytes.fromhex(id_hex), public_key=public_key)


def sign_note(text: str, signer: NoteSigner, *more_signers: NoteSigner) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    _check_note_characters(text, "note text")
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    return text + "\n" + "".join(s.signature_line(text) for s in (signer, *more_signers))


def open_note(note: str | bytes, verifier_keys: Iterable[NoteVerifier | str]) -> tuple[str, list[str]]:
    """Check a signed note against trusted keys; returns its text and the names that verified.

    Signatures from keys not in ``verifier_keys`` are ignored, as the spec requires.
    Raises :class:`MalformedNoteError` if the note is not well formed,
    :class:`BadSignatureError` if any signature from a trusted key fails, and
    :class:`UnknownKeyError` if no signature from a trusted key is present.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError(f"note is not valid UTF-8 (byte {exc.start})") from exc
    _check_note_characters(note, "note")
    trusted: dict[tuple[str, bytes], NoteVerifier] = {}
    for vkey in verifier_keys:
        verifier = vkey if isinstance(vkey, NoteVerifier) else parse_verifier_key(vkey)
        trusted[verifier.name, verifier.key_id] = verifier
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise MalformedNoteError("note must be text, a blank line, then signature lines ending in newlines")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block:
        raise MalformedNoteError("note has no signature lines after its last blank line")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(
            f"note carries {len(lines)} signatures, more than the {MAX_SIGNATURES} accepted"
        )
    text_bytes = text.encode("utf-8")
    verified: list[str] = []
    seen: list[str] = []
    for number, line in enumerate(lines, start=1):
        name, key, signature = _parse_signature_line(line, number)
        seen.append(f"{name} ({key.hex()})")
        known = trusted.get((name, key))
        if known is None:
            continue
        if not known.verifies(text_bytes, signature):
            raise BadSignatureError(
                f"signature line {number} by {name!r} (key id {key.hex()}) does not verify: "
                "the note text or the signature was altered"
            )
        if name not in verified:
            verified.append(name)
    if not verified:
        trusted_names = ", ".join(f"{n} ({k.hex()})" for n, k in trusted) or "none"
        raise UnknownKeyError(
            f"no signature from a trusted key: signed by {', '.join(seen)}; trusted keys: {trusted_names}"
        )
    return text, verified


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner, *more_signers: NoteSigner) -> str:
    """The signed note of ``checkpoint``."""
    return sign_note(checkpoint.body(), signer, *more_signers)


def open_checkpoint(
    note: str | bytes, verifier_keys: Iterable[NoteVerifier | str], *, origin: str | None = None
) -> tuple[Checkpoint, list[str]]:
    """Open a signed checkpoint (see :func:`open_note`) and parse its text.

    With ``origin``, the checkpoint must come from that log, else :class:`CheckpointError`.
    """
    text, names = open_note(note, verifier_keys)
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is from log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, names


def generate_signing_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: ``(private 32 bytes, public 32 bytes)``."""
    private_key = Ed25519PrivateKey.generate()
    private_raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public_raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private_raw, public_raw


def load_signer(name: str, private_raw: bytes) -> NoteSigner:
    """A :class:`NoteSigner` from a key name and a raw 32-byte Ed25519 private key."""
    if len(private_raw) != 32:
        raise KeyFormatError(f"an Ed25519 private key is 32 raw bytes, got {len(private_raw)}")
    try:
        private_key = Ed25519PrivateKey.from_private_bytes(private_raw)
    except ValueError as exc:
        raise KeyFormatError("the private key bytes are not an Ed25519 private key") from exc
    return NoteSigner(name=name, private_key=private_key)


def _parse_signature_line(line: str, number: int) -> tuple[str, bytes, bytes]:
    """``(name, key id, signature)`` of one signature line."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedNoteError(f"signature line {number} must start with an em dash (U+2014) and a space")
    name, space, blob = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise MalformedNoteError(f"signature line {number} must be '— <key name> <base64 signature>'")
    try:
        _check_key_name(name)
    except KeyFormatError as exc:
        raise MalformedNoteError(f"signature line {number}: {exc}") from exc
    try:
        raw = _b64decode_strict(blob)
    except ValueError as exc:
        raise MalformedNoteError(
            f"signature line {number} by {name!r}: signature is not standard base64"
        ) from exc
    if len(raw) <= _KEY_ID_SIZE:
        raise MalformedNoteError(f"signature line {number} by {name!r}: signature too short to hold a key id")
    return name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]


def _check_key_name(name: str) -> None:
    if not name:
        raise KeyFormatError("key name must not be empty")
    if any(ch.isspace() or ch == "+" or ch < " " for ch in name):
        raise KeyFormatError(f"key name {name!r} must not contain spaces, control characters or '+'")


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise CheckpointError(f"{what} must be a non-empty string")
    if any(ch < " " for ch in line):
        raise CheckpointError(f"{what} must not contain newlines or other control characters: {line!r}")


def _check_note_characters(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedNoteError(f"{what} is not valid UTF-8 (character {exc.start})") from exc
    for position, ch in enumerate(value):
        if ch < " " and ch != "\n":
            raise MalformedNoteError(f"{what} contains control character {ch!r} at position {position}")


def _b64decode_strict(value: str) -> bytes:
    """Standard base64 with padding, rejecting any other alphabet or non-canonical form."""
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:  # binascii.Error, or a non-ASCII character
        raise ValueError("not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise ValueError("not canonical base64")
    return raw
