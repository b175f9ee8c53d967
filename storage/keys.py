"""Key management: the key-encryption key (KEK), per-report data keys, the index key.

* The **KEK** (32 random bytes) wraps every report's data key with AES-256-GCM. It
  comes from the file ``$QUITUS_HOME/keys/kek.key`` (mode 0600) or, when set, from an
  environment variable holding it in base64 (see ``quitus.settings``).
* Each report has its own **data key** (AES-256-GCM), stored only wrapped, bound to
  the report id as associated data. Destroying it crypto-shreds the report.
* The **index key** keys the HMAC fingerprints used for idempotency and lookups, so
  a fingerprint reveals nothing to whoever reads the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import KeyStoreError, WrongKeyError

__all__ = ["DataKey", "KeyMaterial", "create_key_files", "load_key_material"]

KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAP_VERSION = b"\x01"


@dataclass(frozen=True)
class DataKey:
    """A report's plaintext data key, only ever held in memory."""

    report_id: str
    key: bytes


@dataclass(frozen=True)
class KeyMaterial:
    """The installation's long-lived secrets."""

    kek: bytes
    """Key-encryption key."""
    index_key: bytes
    """HMAC key for fingerprints and blind indexes."""

    @property
    def kek_id(self) -> str:
        """Public identifier of the KEK (safe to store and print)."""
        return hashlib.sha256(b"quitus-kek-id" + self.kek).hexdigest()[:16]

    def new_data_key(self, report_id: str) -> tuple[DataKey, bytes]:
        """A fresh data key for ``report_id`` and its wrapped form to store."""
        key = AESGCM.generate_key(bit_length=256)
        return DataKey(report_id, key), self.wrap(report_id, key)

    def wrap(self, report_id: str, key: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _WRAP_VERSION + nonce + AESGCM(self.kek).encrypt(nonce, key, _wrap_aad(report_id))

    def unwrap(self, report_id: str, wrapped: bytes, kek_id: str) -> DataKey:
        if kek_id != self.kek_id:
            raise WrongKeyError(
                f"report {report_id}'s data key was wrapped by key-encryption key {kek_id}, "
                f"but the key in use is {self.kek_id}; point QUITUS_HOME or QUITUS_KEK at the right key"
            )
        if wrapped[:1] != _WRAP_VERSION:
            raise KeyStoreError(f"report {report_id}: unknown wrapped-key format")
        nonce, body = wrapped[1 : 1 + _NONCE_BYTES], wrapped[1 + _NONCE_BYTES :]
        try:
            return DataKey(report_id, AESGCM(self.kek).decrypt(nonce, body, _wrap_aad(report_id)))
        except InvalidTag as exc:
            raise WrongKeyError(
                f"report {report_id}'s data key does not unwrap with key {self.kek_id}: "
                "the key file or the stored key was altered"
            ) from exc

    def fingerprint(self, data: bytes) -> str:
        """Keyed fingerprint of ``data`` (hex HMAC-SHA256)."""
        return hmac.new(self.index_key, data, hashlib.sha256).hexdigest()


def _wrap_aad(report_id: str) -> bytes:
    return f"quitus/data-key/v1|{report_id}".encode()


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyStoreError(f"key file {path} does not exist; run `quitus init` to create the keys") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"cannot read key file {path}: {exc}") from exc
    return decode_key(text, where=str(path))


def decode_key(text: str, *, where: str) -> bytes:
    """A base64 key of 32 bytes, or a :class:`KeyStoreError` naming ``where``."""
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise KeyStoreError(f"{where}: not base64; expected 32 random bytes in base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyStoreError(f"{where}: key is {len(key)} bytes, expected {KEY_BYTES}")
    return key


def load_key_material(key_dir: Path, *, kek_override: str | None = None) -> KeyMaterial:
    """Read the KEK (file, or ``kek_override`` in base64) and the index key."""
    kek = decode_key(kek_override, where="QUITUS_KEK") if kek_override else _read_key(key_dir / "kek.key")
    return KeyMaterial(kek=kek, index_key=_read_key(key_dir / "index.key"))


def create_key_files(key_dir: Path) -> list[Path]:
    """Create missing key files with mode 0600; never overwrite one. Returns the new files."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = []
    for name in ("kek.key", "index.key"):
        path = key_dir / name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
        created.append(path)
    return created
