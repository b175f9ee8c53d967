"""Errors raised by the audit ledger's cryptographic core.

Hierarchy::

    LedgerError                   base of every error raised by ``storage.ledger``
    ├── ProofError                a proof cannot be built: position outside the tree, node missing
    ├── CheckpointError           a checkpoint's fields or text break C2SP tlog-checkpoint
    ├── RollbackError             the ledger is smaller than, or differs from, a checkpoint it signed
    ├── ForgedEntryError          an unsigned entry does not carry quitus's entry MAC: never signed
    └── NoteError                 a signed note, key name or key cannot be used
        ├── KeyFormatError        a key name, verifier key or private key is malformed
        ├── MalformedNoteError    the note text or a signature line breaks C2SP signed-note
        ├── UnknownKeyError       no signature in the note comes from a trusted key
        └── BadSignatureError     a signature from a trusted key does not verify

Verification functions of :mod:`storage.ledger.merkle` return ``False`` rather than
raise: a proof that does not verify is an answer, not an error.
"""

from __future__ import annotations

__all__ = [
    "BadSignatureError",
    "CheckpointError",
    "ForgedEntryError",
    "KeyFormatError",
    "LedgerError",
    "MalformedNoteError",
    "NoteError",
    "ProofError",
    "RollbackError",
    "UnknownKeyError",
]


class LedgerError(Exception):
    """Base class of the errors raised by the ``storage.ledger`` package."""


class ProofError(LedgerError):
    """A Merkle proof or root cannot be computed for the requested positions."""


class CheckpointError(LedgerError):
    """A checkpoint has invalid fields or its text is not a C2SP tlog-checkpoint."""


class RollbackError(LedgerError):
    """The ledger was truncated or rewritten since a checkpoint remembered outside the database."""


class ForgedEntryError(LedgerError):
    """An entry after the last signed checkpoint was not written by quitus (no valid entry MAC)."""


class NoteError(LedgerError):
    """A signed note cannot be produced or opened."""


class KeyFormatError(NoteError):
    """A key name, verifier key string or raw private key is malformed."""


class MalformedNoteError(NoteError):
    """The note is not a well-formed C2SP signed note."""


class UnknownKeyError(NoteError):
    """None of the note's signatures comes from a trusted verifier key."""


class BadSignatureError(NoteError):
    """A signature made under a trusted key's name and id does not verify: the note was altered."""
