"""Encrypted blob store: raw submissions, photos, signatures, documents.

Every blob is encrypted with AES-256-GCM under its report's data key. The associated
data binds the ciphertext to its report, kind and id, so a blob copied onto another
report or relabelled fails to decrypt. Writes are atomic (temporary file, fsync,
rename); reads verify integrity.

Deleting a report's blobs is journaled (see :class:`DeletionJournal`): an erasure killed
after its commit but before its files are gone leaves a journal that the next erasure
replays, so no file of an erased report outlives it.

:class:`BlobBackend` is the storage contract (a local directory here; an
S3-compatible backend can implement it later). :class:`BlobStore` does the crypto.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import BlobError
from storage.keys import DataKey

__all__ = [
    "DELETION_JOURNALS",
    "BlobBackend",
    "BlobStore",
    "DeletionJournal",
    "LocalBlobBackend",
    "StoredBlob",
    "new_blob_id",
]

DELETION_JOURNALS = ".pending-deletes"
"""The folder of the blob store's root that holds :class:`DeletionJournal` files."""

_MAGIC = b"QB1\x00"
_NONCE_BYTES = 12
_TAG_BYTES = 16
"""AES-GCM's authentication tag, after the ciphertext."""


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
    MUST treat deleting something already deleted as success. A journal from
    :meth:`journal_deletions` MUST be durable when it is returned, and
    :meth:`interrupted_deletions` MUST NOT yield one that a live process still holds.
    """

    @abc.abstractmethod
    def put(self, report_id: str, blob_id: str, data: bytes | bytearray) -> None: ...

    @abc.abstractmethod
    def get(self, report_id: str, blob_id: str) -> bytes: ...

    @abc.abstractmethod
    def delete_report(self, report_id: str) -> None: ...

    def delete_reports(self, report_ids: Iterable[str]) -> None:
        """Delete these reports' blobs; done (durably) when it returns, or it raises."""
        for report_id in report_ids:
            self.delete_report(report_id)

    @abc.abstractmethod
    def journal_deletions(self, report_ids: Sequence[str]) -> DeletionJournal:
        """Record that these reports' blobs are about to be deleted, before the commit that erases them."""

    @abc.abstractmethod
    def interrupted_deletions(self) -> Iterator[DeletionJournal]:
        """The journals left behind by erasures that died or failed, each held while it is yielded."""


class DeletionJournal:
    """The ids of the reports (ids only) an erasure is about to delete the files of.

    Written (and fsynced) before the commit that makes them erased, removed by
    :meth:`discard` once their files are deleted. Its process holds an exclusive lock on
    it until then; the lock dies with the process, so a journal nobody holds was left by
    an erasure that died or failed, which the next one replays: it deletes the files of
    the reports the database says are erased (the commit happened) and drops the others.
    Used as a context manager, it is released on exit, discarded or not.
    """

    def __init__(self, path: Path, fd: int, report_ids: Sequence[str]) -> None:
        self.path = path
        self.report_ids = tuple(report_ids)
        self._fd: int | None = fd

    def discard(self) -> None:
        """Remove the journal: its deletions are done or were never due."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            self.close()

    def close(self) -> None:
        """Release it and keep it: an erasure run later replays it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DeletionJournal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class LocalBlobBackend(BlobBackend):
    """Blobs as files under ``root/<report id>/<blob id>``; deletion journals as files under
    ``root/.pending-deletes/`` (one per erasure batch, a report id a line), locked with ``flock``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, report_id: str, blob_id: str) -> Path:
        return self.root / report_id / blob_id

    def put(self, report_id: str, blob_id: str, data: bytes | bytearray) -> None:
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
        _fsync_directory(directory)

    def get(self, report_id: str, blob_id: str) -> bytes:
        try:
            return self._path(report_id, blob_id).read_bytes()
        except FileNotFoundError:
            raise BlobError(f"blob {blob_id} of report {report_id} is missing from {self.root}") from None

    def delete_report(self, report_id: str) -> None:
        self.delete_reports([report_id])

    def delete_reports(self, report_ids: Iterable[str]) -> None:
        for report_id in report_ids:
            with contextlib.suppress(FileNotFoundError):  # already deleted
                shutil.rmtree(self.root / report_id)
        if self.root.is_dir():
            _fsync_directory(self.root)

    def journal_deletions(self, report_ids: Sequence[str]) -> DeletionJournal:
        directory = self.root / DELETION_JOURNALS
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            _fsync_directory(self.root)
        while True:
            path = directory / secrets.token_hex(8)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            if _is_at(fd, path):
                break
            os.close(fd)  # a replay took it, empty, before the lock, and removed it: another name
        journal = DeletionJournal(path, fd, report_ids)
        try:
            data = "".join(f"{report_id}\n" for report_id in journal.report_ids).encode()
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
            _fsync_directory(directory)
        except BaseException:
            journal.discard()  # nothing was erased yet
            raise
        return journal

    def interrupted_deletions(self) -> Iterator[DeletionJournal]:
        directory = self.root / DELETION_JOURNALS
        try:
            paths = sorted(directory.iterdir())
        except FileNotFoundError:
            return
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # finished meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # a live erasure's
            if not _is_at(fd, path):
                os.close(fd)  # replayed and removed by another process meanwhile
                continue
            try:
                with os.fdopen(os.dup(fd), "rb") as handle:
                    lines = handle.read().decode("utf-8", "replace").splitlines()
            except BaseException:
                os.close(fd)
                raise
            # A line cut short by a kill while the journal was written names no report: its
            # erasure had not committed. A report id is a plain name, never a path.
            ids = [line for line in lines if line and "/" not in line and not line.startswith(".")]
            yield DeletionJournal(path, fd, ids)


class BlobStore:
    """Encrypts on the way in, verifies and decrypts on the way out."""

    def __init__(self, backend: BlobBackend) -> None:
        self.backend = backend

    def put(self, key: DataKey, kind: str, plaintext: bytes, blob_id: str | None = None) -> StoredBlob:
        blob_id = blob_id or new_blob_id()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        header = _MAGIC + nonce
        # Sealed in place after the header: a blob costs its size once, not three times
        # (ciphertext, then header + ciphertext) — a 60 MB upload stays within its budget.
        data = bytearray(len(header) + len(plaintext) + _TAG_BYTES)
        data[: len(header)] = header
        AESGCM(key.key).encrypt_into(
            nonce, plaintext, _aad(key.report_id, kind, blob_id), memoryview(data)[len(header) :]
        )
        self.backend.put(key.report_id, blob_id, data)
        return StoredBlob(blob_id, key.report_id, kind, hashlib.sha256(data).hexdigest(), len(data))

    def get(self, key: DataKey, kind: str, blob_id: str) -> bytes:
        data = self.backend.get(key.report_id, blob_id)
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _NONCE_BYTES + 16:
            raise BlobError(f"blob {blob_id} of report {key.report_id} is truncated or not a quitus blob")
        nonce = data[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
        try:
            return AESGCM(key.key).decrypt(
                nonce, memoryview(data)[len(_MAGIC) + _NONCE_BYTES :], _aad(key.report_id, kind, blob_id)
            )
        except InvalidTag as exc:
            raise BlobError(
                f"blob {blob_id} of report {key.report_id} failed its integrity check: "
                "it was modified, truncated or belongs to another report"
            ) from exc

    def delete_report(self, report_id: str) -> None:
        self.backend.delete_report(report_id)

    def delete_reports(self, report_ids: Iterable[str]) -> None:
        self.backend.delete_reports(report_ids)

    def journal_deletions(self, report_ids: Sequence[str]) -> DeletionJournal:
        return self.backend.journal_deletions(report_ids)

    def interrupted_deletions(self) -> Iterator[DeletionJournal]:
        return self.backend.interrupted_deletions()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one named ``path`` (not removed meanwhile)."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _aad(report_id: str, kind: str, blob_id: str) -> bytes:
    return f"quitus/blob/v1|{report_id}|{kind}|{blob_id}".encode()
