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
* ``fingerprints.json`` — the fingerprints of the keys above (never the keys): which KEK
  is current (and a rotation's next one, and the retired ones), which index and ledger
  keys belong with it. A well-formed key that is not the one recorded there — another
  installation's, a ``QUITUS_KEK`` of the wrong secret, a folder restored half from one
  backup and half from another — is refused when the keys are loaded, before anything is
  written with it (:class:`~storage.errors.ForeignKeysError`).

Every file here is created with mode 0600 by ``os.open`` (whatever the umask), and an
existing one is made 0600 again when it is read; the folder is 0700.

Because the keys live apart from the data, a backup of ``QUITUS_HOME`` alone cannot
reveal a report whose data key was destroyed (crypto-shredding).

:class:`KeyEncryptionKey` is the contract a KMS-backed implementation fulfils later.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import ForeignKeysError, KeysMissingError, KeyStoreError, WrongKeyError

__all__ = [
    "KEY_BYTES",
    "KEY_FILES",
    "KEY_MANIFEST_FILE",
    "RECOVERY_HINT",
    "DataKey",
    "KeyEncryptionKey",
    "KeyManifest",
    "KeyMaterial",
    "LocalKek",
    "create_key_files",
    "decode_key",
    "key_fingerprint",
    "load_key_material",
    "make_private",
    "manifest_of",
    "read_manifest",
    "write_manifest",
    "write_secret_file",
]

KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAP_VERSION = b"\x01"
NEXT_KEK_FILE = "kek.next"
"""A rotation in progress: the new KEK, not yet current (see :func:`storage.keystore.rotate_kek`)."""
KEY_FILES = ("kek.key", "index.key", "ledger.key")
"""The key files every installation has (``kek.key`` may come from ``QUITUS_KEK`` instead)."""
KEY_MANIFEST_FILE = "fingerprints.json"
_MANIFEST_FORMAT = "quitus-keys/1"
RECOVERY_HINT = "restore your keys backup (docs/operations.md, 'Keys: loss and recovery')"
"""What to do when the keys are missing or are not this home's."""


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
        raise KeysMissingError(
            f"key file {path} does not exist: {RECOVERY_HINT}; a new installation runs `quitus init` first"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"cannot read key file {path}: {exc}") from exc
    make_private(path)
    return decode_key(text, where=str(path))


def make_private(path: Path) -> None:
    """Mode 0600 for an existing secret file (one written by an older version, or copied back
    from a backup with another mode). A file of another user is left as it is."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except PermissionError:
        pass


def key_fingerprint(kind: str, secret: bytes) -> str:
    """A public identifier of a key (16 hex digits), safe to store beside what it keyed.

    For a KEK it is its :attr:`~LocalKek.kek_id`, as ``data_keys.kek_id`` records it.
    """
    if kind == "kek":
        return LocalKek(secret).kek_id
    return hashlib.sha256(f"quitus-{kind}-key-id".encode() + secret).hexdigest()[:16]


@dataclass(frozen=True)
class KeyManifest:
    """``fingerprints.json``: which keys belong to this key folder (fingerprints only)."""

    kek: str
    """The current KEK's id."""
    index: str
    """The index key's fingerprint."""
    ledger: str
    """The ledger signing key's fingerprint."""
    next_kek: str | None = None
    """A rotation in progress: the id of ``kek.next``, current once the rotation ends."""
    retired_keks: tuple[str, ...] = ()
    """KEKs rotated out (their files may be destroyed since)."""

    @property
    def kek_ids(self) -> frozenset[str]:
        """Every KEK this folder ever had: one of them may be in use."""
        return frozenset({self.kek, *self.retired_keks, *([self.next_kek] if self.next_kek else [])})


def read_manifest(key_dir: Path) -> KeyManifest | None:
    """The folder's ``fingerprints.json``; None for a folder of an older version, without one."""
    path = key_dir / KEY_MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"{path} cannot be read ({exc.__class__.__name__}): {RECOVERY_HINT}") from exc
    make_private(path)
    if not isinstance(data, dict) or data.get("format") != _MANIFEST_FORMAT:
        raise KeyStoreError(f"{path} is not a {_MANIFEST_FORMAT} file: {RECOVERY_HINT}")
    try:
        return KeyManifest(
            kek=str(data["kek"]),
            index=str(data["index"]),
            ledger=str(data["ledger"]),
            next_kek=str(data["next_kek"]) if data.get("next_kek") else None,
            retired_keks=tuple(str(k) for k in data.get("retired_keks", [])),
        )
    except KeyError as exc:
        raise KeyStoreError(f"{path} lacks {exc}: {RECOVERY_HINT}") from None


def write_manifest(key_dir: Path, manifest: KeyManifest) -> None:
    """Replace ``fingerprints.json`` atomically (mode 0600)."""
    body = {
        "format": _MANIFEST_FORMAT,
        "kek": manifest.kek,
        "next_kek": manifest.next_kek,
        "retired_keks": list(manifest.retired_keks),
        "index": manifest.index,
        "ledger": manifest.ledger,
    }
    temporary = key_dir / f".{KEY_MANIFEST_FILE}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(body, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(key_dir / KEY_MANIFEST_FILE)


def _foreign(what: str) -> ForeignKeysError:
    return ForeignKeysError(f"{what} is not the key that wrote this home: {RECOVERY_HINT}")


def load_key_material(key_dir: Path, *, kek_override: str | None = None) -> KeyMaterial:
    """The current KEK (file, or ``kek_override`` in base64), retired KEKs and the index key.

    Each is checked against the folder's ``fingerprints.json``: a key that is not the one
    recorded there raises :class:`~storage.errors.ForeignKeysError`.
    """
    if not key_dir.is_dir():
        raise KeysMissingError(
            f"the key folder {key_dir} does not exist: {RECOVERY_HINT}; "
            "a new installation runs `quitus init` first"
        )
    manifest = read_manifest(key_dir)
    if kek_override:
        current = LocalKek(decode_key(kek_override, where="QUITUS_KEK"))
        source = "QUITUS_KEK"
    else:
        current = LocalKek(read_key_file(key_dir / "kek.key"))
        source = f"the key-encryption key {key_dir / 'kek.key'}"
    others = [LocalKek(read_key_file(p)) for p in sorted((key_dir / "retired").glob("*.key"))]
    if (key_dir / NEXT_KEK_FILE).exists():
        others.append(LocalKek(read_key_file(key_dir / NEXT_KEK_FILE)))
    index_key = read_key_file(key_dir / "index.key")
    if manifest is not None:
        if current.kek_id not in manifest.kek_ids:
            raise _foreign(f"{source} (id {current.kek_id})")
        if key_fingerprint("index", index_key) != manifest.index:
            raise _foreign(f"the index key {key_dir / 'index.key'}")
        ledger_file = key_dir / "ledger.key"
        if ledger_file.exists() and key_fingerprint("ledger", read_key_file(ledger_file)) != manifest.ledger:
            raise _foreign(f"the ledger key {ledger_file}")
    return KeyMaterial(kek=current, index_key=index_key, other_keks=tuple(others))


def manifest_of(key_dir: Path) -> KeyManifest:
    """The manifest of the keys now in ``key_dir`` (for a folder that has none yet)."""
    current = LocalKek(read_key_file(key_dir / "kek.key"))
    retired = tuple(LocalKek(read_key_file(p)).kek_id for p in sorted((key_dir / "retired").glob("*.key")))
    next_path = key_dir / NEXT_KEK_FILE
    return KeyManifest(
        kek=current.kek_id,
        index=key_fingerprint("index", read_key_file(key_dir / "index.key")),
        ledger=key_fingerprint("ledger", read_key_file(key_dir / "ledger.key")),
        next_kek=LocalKek(read_key_file(next_path)).kek_id if next_path.exists() else None,
        retired_keks=retired,
    )


def write_secret_file(path: Path, secret: bytes) -> None:
    """Write ``secret`` in base64 to a new file with mode 0600 (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(secret).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def create_key_files(key_dir: Path) -> list[Path]:
    """Create missing key files with mode 0600 and record their fingerprints; never overwrite
    a key. Returns the new files.

    Whether new keys may be made at all is the caller's decision: ``quitus init`` refuses
    to for a home that holds data (:func:`storage.key_safety.refuse_new_keys_for_data`).
    """
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_dir.chmod(0o700)
    created = []
    for name in KEY_FILES:
        path = key_dir / name
        if not path.exists():
            write_secret_file(path, secrets.token_bytes(KEY_BYTES))
            created.append(path)
    if not (key_dir / KEY_MANIFEST_FILE).exists():
        write_manifest(key_dir, manifest_of(key_dir))
        created.append(key_dir / KEY_MANIFEST_FILE)
    return created
