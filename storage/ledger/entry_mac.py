"""Entry MACs: what lets quitus tell its own unsigned entries from forged ones.

Entries appended since the last signed checkpoint are vouched for by no signature yet. A
person with write access to the database alone could append well-formed entries there
(the append-only triggers refuse updates and deletes, not inserts) and the next
checkpoint would sign them. So every entry is stored with an HMAC-SHA256 of its bytes
under a key derived from the ledger's signing key (kept in the key folder, never in the
database): :meth:`~storage.ledger.store.Ledger.checkpoint` refuses to sign a tail whose
entries do not all carry a valid MAC, and ``quitus audit verify`` names such entries.
Once signed, an entry is vouched for by the checkpoint; its MAC proves nothing more.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from storage.ledger.checkpoint import NoteSigner

__all__ = ["entry_mac", "entry_mac_key", "mac_verifies"]

_CONTEXT = b"quitus ledger entry mac v1\n"


def entry_mac_key(signer: NoteSigner) -> bytes:
    """The MAC key of a ledger: derived from its signing key and name (one-way)."""
    private = signer.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return hashlib.sha256(_CONTEXT + signer.name.encode("utf-8") + b"\n" + private).digest()


def entry_mac(key: bytes, entry: bytes) -> str:
    """HMAC-SHA256 (hex) of an entry's canonical bytes."""
    return hmac.new(key, entry, hashlib.sha256).hexdigest()


def mac_verifies(key: bytes, entry: bytes, mac: str | None) -> bool:
    return mac is not None and hmac.compare_digest(
        entry_mac(key, entry).encode(), mac.encode("utf-8", "replace")
    )
