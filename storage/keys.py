"""Key material: key-encryption keys (KEK), the index key, the ledger signing key.

The key folder (``QUITUS_KEY_DIR``, by default *beside* ``QUITUS_HOME``, never inside
it) holds:

* ``kek.key`` — the current **key-encryption key** (32 random bytes, base64, mode 0600).
  It wraps every report's data key (see :mod:`storage.keystore`). ``QUITUS_KEK`` can
  supply it instead (base64). Rotation keeps the previous ones in ``retired/<id>.key``
  until the operator destroys them.
* ``index.key`` — keys the HMAC fingerprints and the blind index, so a digest in the
  database reveals nothing without it.
* ``ledger.key`` — the Ed25519 key that signs audit-ledger checkpoints.
* ``datakeys.db`` — the wrapped data keys (unless ``QUITUS_KEYSTORE_URL`` says otherwise).

Because the keys live apart from the data, a backup of ``QUITUS_HOME`` alone cannot
reveal a report whose data key was destroyed (crypto-shredding).

:class:`KeyEncryptionKey` is the contract a KMS-backed implementation fulfils later.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import KeyStoreError, WrongKeyError

__all__ = [
    "KEY_BYTES",
    "DataKey",
    "KeyEncryptionKey",
    "KeyMaterial",
    "LocalKek",
    "create_key_files",
    "decode_key",
    "load_key_material",
    "write_secret_file",
]

KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAP_VERSION = b"\x01"
NEXT_KEK_FILE = "kek.next"
"""A rotation in progress: the new KEK, not yet current (see :func:`storage.keystore.rotate_kek`)."""


@dataclass(frozen=True)
class DataKey:
    """A report's plaintext data key, only ever held in memory."""

    report_id: str
    key: bytes = field(repr=False)


class KeyEncryptionKey(abc.ABC):
    """Wraps and unwraps data keys.

    Implementations MUST bind the wrapped key to ``report_id`` (a wrapped key moved to
    another report must not unwrap) and MUST raise :class:`WrongKeyError` when a
    wrapped key does not unwrap.
    """

    @property
    @abc.abstractmethod
    def kek_id(self) -> str:
        """Public identifier, safe to store next to what it wrapped."""

    @abc.abstractmethod
    def wrap(self, report_id: str, key: bytes) -> bytes: ...

    @abc.abstractmethod
    def unwrap(self, report_id: str, wrapped: bytes) -> bytes: ...


class LocalKek(KeyEncryptionKey):
    """A KEK held in a local file or environment variable (AES-256-GCM key wrap)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise KeyStoreError(f"a key-encryption key must be {KEY_BYTES} bytes, got {len(secret)}")
        self._aead = AESGCM(secret)
        self._id = hashlib.sha256(b"quitus-kek-id" + secret).hexdigest()[:16]

    @property
    def kek_id(self) -> str:
        return self._id

    def wrap(self, report_id: str, key: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _WRAP_VERSION + nonce + self._aead.encrypt(nonce, key, _wrap_aad(report_id))

    def unwrap(self, report_id: str, wrapped: bytes) -> bytes:
        if wrapped[:1] != _WRAP_VERSION:
            raise KeyStoreError(f"report {report_id}: unknown wrapped-key format")
        nonce, body = wrapped[1 : 1 + _NONCE_BYTES], wrapped[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _wrap_aad(report_id))
        except InvalidTag as exc:
            raise WrongKeyError(
                f"report {report_id}'s data key does not unwrap with key-encryption key {self.kek_id}: "
                "the key file or the stored key was altered"
            ) from exc


@dataclass(frozen=True)
class KeyMaterial:
    """The installation's long-lived secrets."""

    kek: KeyEncryptionKey
    """The current key-encryption key: wraps every new data key."""
    index_key: bytes = field(repr=False)
    """HMAC key for fingerprints and the blind index."""
    other_keks: tuple[KeyEncryptionKey, ...] = ()
    """Retired KEKs (and a rotation's next one), still able to unwrap."""

    @property
    def kek_id(self) -> str:
        return self.kek.kek_id

    def kek_for(self, kek_id: str) -> KeyEncryptionKey:
        for kek in (self.kek, *self.other_keks):
            if kek.kek_id == kek_id:
                return kek
        raise WrongKeyError(
            f"a data key was wrapped by key-encryption key {kek_id}, which is not available (current: "
            f"{self.kek_id}); point QUITUS_KEY_DIR or QUITUS_KEK at the right key, or restore "
            f"retired/{kek_id}.key"
        )

    def fingerprint(self, data: bytes) -> str:
        """Keyed fingerprint of ``data`` (hex HMAC-SHA256)."""
        return hmac.new(self.index_key, data, hashlib.sha256).hexdigest()


def _wrap_aad(report_id: str) -> bytes:
    return f"quitus/data-key/v1|{report_id}".encode()


def decode_key(text: str, *, where: str) -> bytes:
    """A base64 key of 32 bytes, or a :class:`KeyStoreError` naming ``where``."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise KeyStoreError(f"{where}: not base64; expected 32 random bytes in base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyStoreError(f"{where}: key is {len(key)} bytes, expected {KEY_BYTES}")
    return key


def read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyStoreError(f"key file {path} does not exist; run `quitus init` to create the keys") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"cannot read key file {path}: {exc}") from exc
    return decode_key(text, where=str(path))


def load_key_material(key_dir: Path, *, kek_override: str | None = None) -> KeyMaterial:
    """The current KEK (file, or ``kek_override`` in base64), retired KEKs and the index key."""
    if kek_override:
        current = LocalKek(decode_key(kek_override, where="QUITUS_KEK"))
    else:
        current = LocalKek(read_key_file(key_dir / "kek.key"))
    others = [LocalKek(read_key_file(p)) for p in sorted((key_dir / "retired").glob("*.key"))]
    if (key_dir / NEXT_KEK_FILE).exists():
        others.append(LocalKek(read_key_file(key_dir / NEXT_KEK_FILE)))
    return KeyMaterial(kek=current, index_key=read_key_file(key_dir / "index.key"), other_keks=tuple(others))


def write_secret_file(path: Path, secret: bytes) -> None:
    """Write ``secret`` in base64 to a new file with mode 0600 (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(secret).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def create_key_files(key_dir: Path) -> list[Path]:
    """Create missing key files with mode 0600; never overwrite one. Returns the new files."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = []
    for name in ("kek.key", "index.key", "ledger.key"):
        path = key_dir / name
        if not path.exists():
            write_secret_file(path, secrets.token_bytes(KEY_BYTES))
            created.append(path)
    return created
