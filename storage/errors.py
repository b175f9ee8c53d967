"""Errors raised by the storage layer.

Hierarchy::

    StorageError                  base of every error raised by ``storage``
    ├── DatabaseError             the database cannot be reached or migrated
    ├── KeyStoreError             a key file is missing, unreadable or wrong
    │   ├── WrongKeyError         the key-encryption key does not unwrap a data key
    │   ├── KeysMissingError      a key file or the key store is missing (restore the keys backup)
    │   └── ForeignKeysError      the keys are not the ones that wrote this home
    ├── KeyDestroyedError         the report's data key was shredded: its data is gone
    ├── BlobError                 a blob is missing or fails its integrity check
    ├── CompanyIdentityError      the company identity given is invalid (SIRET, logo…) or its logo is gone
    ├── ReportNotFoundError       no report with that id
    │   └── DataKeyMissingError   the report has no data key in the key store
    ├── InvalidTransitionError    a state change the report's state machine forbids
    └── SubjectIndexOutdatedError the blind index follows an older normalization: re-index first
"""

from __future__ import annotations

__all__ = [
    "BlobError",
    "CompanyIdentityError",
    "DataKeyMissingError",
    "DatabaseError",
    "ForeignKeysError",
    "InvalidTransitionError",
    "KeyDestroyedError",
    "KeyStoreError",
    "KeysMissingError",
    "ReportNotFoundError",
    "StorageError",
    "SubjectIndexOutdatedError",
    "WrongKeyError",
]


class StorageError(Exception):
    """Base class of the errors raised by the ``storage`` package."""


class DatabaseError(StorageError):
    """The database cannot be reached, opened or migrated."""


class KeyStoreError(StorageError):
    """A key file is missing, unreadable or malformed."""


class WrongKeyError(KeyStoreError):
    """The key-encryption key in use is not the one that wrapped this data key."""


class KeysMissingError(KeyStoreError):
    """A key file, the key folder or the data-key store is missing."""


class ForeignKeysError(KeyStoreError):
    """A key is well-formed but is not the one that wrote this home (another installation's)."""


class KeyDestroyedError(StorageError):
    """The report's data key was destroyed (crypto-shredded)."""


class BlobError(StorageError):
    """A blob is missing, truncated or was modified."""


class ReportNotFoundError(StorageError):
    """No report has this id."""


class DataKeyMissingError(ReportNotFoundError):
    """The key store holds no data key for the report (a key store that is not this home's)."""


class InvalidTransitionError(StorageError):
    """The report's state machine does not allow this change."""


class SubjectIndexOutdatedError(StorageError):
    """The blind index holds digests of an older normalization: a lookup would miss reports."""


class CompanyIdentityError(StorageError):
    """The company identity given is invalid (a SIRET, a logo…), or its stored logo is missing."""
