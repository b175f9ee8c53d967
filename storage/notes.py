"""Free text that may name people — a hold's reason, a reviewer's comment — kept encrypted.

A note is encrypted (AES-256-GCM) with a data key of its own, wrapped by the
key-encryption key like a report's: the row holds only ciphertext, and destroying the
key erases the note. The ledger refers to a note by id and by the SHA-256 of its
ciphertext, never by its text (ARCHITECTURE invariant 3).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from storage.errors import KeyDestroyedError, ReportNotFoundError
from storage.keystore import DataKeyStore
from storage.models import NoteRecord, utcnow

__all__ = ["MAX_NOTE_CHARS", "NoteRef", "NoteStore"]

MAX_NOTE_CHARS = 2000
_NONCE = 12


@dataclass(frozen=True)
class NoteRef:
    """How the ledger names a note."""

    note_id: str
    ciphertext_sha256: str

    def details(self, prefix: str) -> dict[str, str]:
        """Ledger details for a note: ``{prefix}_note`` and ``{prefix}_sha256``."""
        return {f"{prefix}_note": self.note_id, f"{prefix}_sha256": self.ciphertext_sha256}


class NoteStore:
    """Write, read and erase encrypted notes."""

    def __init__(self, keystore: DataKeyStore) -> None:
        self.keystore = keystore

    def add(self, session: Session, text: str) -> NoteRef:
        """Encrypt ``text`` under a fresh key; the row is added to the caller's transaction."""
        text = text.strip()
        if not text:
            raise ValueError("a reason cannot be empty")
        if len(text) > MAX_NOTE_CHARS:
            raise ValueError(f"a reason is at most {MAX_NOTE_CHARS} characters (got {len(text)})")
        note_id = "note-" + secrets.token_hex(8)
        key = self.keystore.create(note_id)
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + AESGCM(key.key).encrypt(nonce, text.encode(), note_id.encode())
        digest = hashlib.sha256(sealed).hexdigest()
        session.add(NoteRecord(id=note_id, ciphertext=sealed, ciphertext_sha256=digest, created_at=utcnow()))
        return NoteRef(note_id, digest)

    def read(self, session: Session, note_id: str) -> str | None:
        """The text, or ``None`` once the note was erased (its key destroyed)."""
        row = session.get(NoteRecord, note_id)
        if row is None:
            raise ReportNotFoundError(f"no note {note_id}")
        try:
            key = self.keystore.get(note_id)
        except KeyDestroyedError:
            return None
        sealed = bytes(row.ciphertext)
        return AESGCM(key.key).decrypt(sealed[:_NONCE], sealed[_NONCE:], note_id.encode()).decode()

    def ref(self, session: Session, note_id: str) -> NoteRef | None:
        row = session.get(NoteRecord, note_id)
        return None if row is None else NoteRef(row.id, row.ciphertext_sha256)

    def erase(self, note_id: str) -> bool:
        """Destroy the note's key: its text is gone for good, its ledger references stay valid."""
        return self.keystore.destroy(note_id)
