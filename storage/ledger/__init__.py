"""The audit ledger's cryptographic core: Merkle tree proofs and signed checkpoints.

Pure functions over bytes and text, no storage: :mod:`~storage.ledger.merkle` hashes
the tree and builds and checks RFC 9162 proofs from a :class:`NodeReader`;
:mod:`~storage.ledger.checkpoint` writes and reads C2SP checkpoints and Ed25519 signed
notes. Everything here is enough to verify an exported ledger offline.
"""

from storage.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    generate_signing_key,
    key_id,
    load_signer,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)
from storage.ledger.errors import (
    BadSignatureError,
    CheckpointError,
    KeyFormatError,
    LedgerError,
    MalformedNoteError,
    NoteError,
    ProofError,
    UnknownKeyError,
)
from storage.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    mth,
    node_hash,
    nodes_completed_by_append,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "BadSignatureError",
    "Checkpoint",
    "CheckpointError",
    "KeyFormatError",
    "LedgerError",
    "MalformedNoteError",
    "MemoryNodeStore",
    "NodeReader",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "ProofError",
    "UnknownKeyError",
    "consistency_proof",
    "generate_signing_key",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "load_signer",
    "mth",
    "node_hash",
    "nodes_completed_by_append",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_consistency",
    "verify_inclusion",
]
