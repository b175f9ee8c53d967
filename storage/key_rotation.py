"""Rotation of the key-encryption key: re-wrap every data key, rewrite no blob.

Resumable: the new key is written first as ``kek.next``; data keys are re-wrapped in
batches (each recording which KEK wraps it); only then does ``kek.next`` become
``kek.key`` and the old key move to ``retired/<id>.key``. A crash at any point leaves
every data key unwrappable, and running the rotation again finishes it.

The folder's ``fingerprints.json`` (:mod:`storage.keys`) follows: the next key's id is
recorded as soon as it exists, and it becomes the current one (the old one retired) once
the files are renamed, so that at every point the key in use is one it names.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from pathlib import Path

from storage.errors import KeyStoreError
from storage.keys import (
    KEY_BYTES,
    NEXT_KEK_FILE,
    LocalKek,
    load_key_material,
    manifest_of,
    read_key_file,
    read_manifest,
    write_manifest,
    write_secret_file,
)
from storage.keystore import DataKeyStore
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger

__all__ = ["RotationResult", "rotate_kek"]


@dataclass(frozen=True)
class RotationResult:
    old_kek_id: str
    new_kek_id: str
    rewrapped: int
    retired_file: Path


def rotate_kek(key_dir: Path, keystore_url: str, ledger: Ledger, *, actor: str) -> RotationResult:
    """Replace ``key_dir/kek.key`` by a new KEK and re-wrap all data keys under it."""
    next_path = key_dir / NEXT_KEK_FILE
    if not (key_dir / "kek.key").exists() and next_path.exists():
        # A rotation stopped between its two renames: finish it, the data keys are re-wrapped.
        next_path.replace(key_dir / "kek.key")
    manifest = read_manifest(key_dir) or manifest_of(key_dir)  # a folder of an older version has none
    if not next_path.exists():
        write_secret_file(next_path, secrets.token_bytes(KEY_BYTES))
    new_kek = LocalKek(read_key_file(next_path))
    if manifest.next_kek != new_kek.kek_id:
        manifest = dataclasses.replace(manifest, next_kek=new_kek.kek_id)
        write_manifest(key_dir, manifest)
    keys = load_key_material(key_dir)  # now knows the next key too
    old_kek = keys.kek
    if old_kek.kek_id == new_kek.kek_id:
        raise KeyStoreError(f"{next_path} holds the current key; delete it and rotate again")
    keystore = DataKeyStore(keystore_url, keys)
    try:
        rewrapped = keystore.rewrap(new_kek)
        leftover = {k: n for k, n in keystore.usage().items() if k not in (None, new_kek.kek_id)}
    finally:
        keystore.dispose()
    if leftover:
        raise KeyStoreError(f"data keys still wrapped by {sorted(leftover)}; run the rotation again")
    retired = key_dir / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    retired_file = retired / f"{old_kek.kek_id}.key"
    (key_dir / "kek.key").replace(retired_file)
    next_path.replace(key_dir / "kek.key")
    write_manifest(
        key_dir,
        dataclasses.replace(
            manifest,
            kek=new_kek.kek_id,
            next_kek=None,
            retired_keks=tuple(dict.fromkeys([*manifest.retired_keks, old_kek.kek_id])),
        ),
    )
    ledger.record(
        LedgerEvent(
            step=LedgerStep.KEK_ROTATE,
            actor=actor,
            outcome="rotated",
            details={"old_kek": old_kek.kek_id, "new_kek": new_kek.kek_id, "rewrapped": rewrapped},
        )
    )
    return RotationResult(old_kek.kek_id, new_kek.kek_id, rewrapped, retired_file)
