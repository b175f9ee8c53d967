"""Encrypted blob store: raw submissions, photos, signatures, documents.

Every blob is encrypted with AES-256-GCM under its report's data key. The associated
data binds the ciphertext to its report, kind and id, so a blob copied onto another
report or relabelled fails to decrypt. Writes are atomic (temporary file, fsync,
rename); reads verify integrity.

:class:`BlobBackend` is the storage contract (a local directory here; an
S3-compatible backend can implement it later). :class:`BlobStore` does the crypto.
"""

from __future__ import annotations

import abc
import hashlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import BlobError
from storage.keys import DataKey

__all__ = ["BlobBackend", "BlobStore", "LocalBlobBackend", "StoredBlob", "new_blob_id"]

_MAGIC = b"QB1\x00"
_NONCE_BYTES = 12


def new_blob_id() -> str:
    return "b" + secrets.token_hex(12)


@dataclass(frozen=True)
class StoredBlob:
    """What the database records about a stored blob (no plaintext, no key)."""

    blob_id: str
    report_id: str
    kind: str
    ciphertext_sha256: str
    size: int


class BlobBackend(abc.ABC):
    """Where ciphertext lives.

    Implementations MUST make :meth:`put` atomic (a reader sees the whole object or
    nothing), MUST raise :class:`BlobError` from :meth:`get` for a missing object, and
    MUST treat deleting something already deleted as success.
    """

    @abc.abstractmethod
    def put(self, report_id: str, blob_id: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def get(self, report_id: str, blob_id: str) -> bytes: ...

    @abc.abstractmethod
    def delete_report(self, report_id: str) -> None: ...


class LocalBlobBackend(BlobBackend):
    """Blobs as files under ``root/<report id>/<blob id>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, report_id: str, blob_id: str) -> Path:
        return self.root / report_id / blob_id

    def put(self, report_id: str, blob_id: str, data: bytes) -> None:
        directory = self.root / report_id
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp_name).replace(self._path(report_id, blob_id))
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, report_id: str, blob_id: str) -> bytes:
        try:
            return self._path(report_id, blob_id).read_bytes()
        except FileNotFoundError:
            raise BlobError(f"blob {blob_id} of report {report_id} is missing from {self.root}") from None

    def delete_report(self, report_id: str) -> None:
        shutil.rmtree(self.root / report_id, ignore_errors=True)


class BlobStore:
    """Encrypts on the way in, verifies and decrypts on the way out."""

    def __init__(self, backend: BlobBackend) -> None:
        self.backend = backend

    def put(self, key: DataKey, kind: str, plaintext: bytes, blob_id: str | None = None) -> StoredBlob:
        blob_id = blob_id or new_blob_id()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(key.key).encrypt(nonce, plaintext, _aad(key.report_id, kind, blob_id))
        data = _MAGIC + nonce + sealed
        self.backend.put(key.report_id, blob_id, data)
        return StoredBlob(blob_id, key.report_id, kind, hashlib.sha256(data).hexdigest(), len(data))

    def get(self, key: DataKey, kind: str, blob_id: str) -> bytes:
        data = self.backend.get(key.report_id, blob_id)
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _NONCE_BYTES + 16:
            raise BlobError(f"blob {blob_id} of report {key.report_id} is truncated or not a quitus blob")
        nonce = data[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
        try:
            return AESGCM(key.key).decrypt(
                nonce, data[len(_MAGIC) + _NONCE_BYTES :], _aad(key.report_id, kind, blob_id)
            )
        except InvalidTag as exc:
            raise BlobError(
                f"blob {blob_id} of report {key.report_id} failed its integrity check: "
                "it was modified, truncated or belongs to another report"
            ) from exc

    def delete_report(self, report_id: str) -> None:
        self.backend.delete_report(report_id)


def _aad(report_id: str, kind: str, blob_id: str) -> bytes:
    return f"quitus/blob/v1|{report_id}|{kind}|{blob_id}".encode()
