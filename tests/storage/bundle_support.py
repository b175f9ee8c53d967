"""Helpers for the proof-bundle tests: a store on SQLite, packing and unpacking bundles,
and running a bundle's own ``verify.sh`` for real, with only the tools it may use."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path

from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.store import Ledger
from storage.report_store import ReportStore

VERIFY_SH_TOOLS = (
    "bash",
    "sha256sum",
    "base64",
    "od",
    "sed",
    "grep",
    "sort",
    "find",
    "openssl",
    # coreutils besides
    "cat",
    "cut",
    "tr",
    "head",
    "tail",
    "wc",
    "uniq",
    "comm",
    "basename",
)
"""What ``verify.sh`` may call: bash, coreutils, sed, grep, find and openssl (no python3,
jq or unzip); the tests run it with a PATH holding these only."""


def sqlite_store(root: Path, *, actor: str = "test") -> ReportStore:
    """A fresh installation's store on SQLite under ``root`` (for module-scoped fixtures)."""
    database = Database(f"sqlite:///{root / 'quitus.db'}")
    database.upgrade()
    create_key_files(root / "keys")
    keys = load_key_material(root / "keys")
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", keys)
    keystore.ensure_schema()
    ledger = Ledger(database, load_signer("quitus.test", read_key_file(root / "keys" / "ledger.key")))
    return ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger, actor=actor)


def unpack(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pack(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_sums_fixed(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``files`` with SHA256SUMS rewritten to match them (what a careful forger does)."""
    fixed = {name: content for name, content in files.items() if name != "SHA256SUMS"}
    fixed["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in sorted(fixed.items())
    ).encode()
    return fixed


def tools_only_path(directory: Path) -> str:
    """A PATH of one folder holding links to :data:`VERIFY_SH_TOOLS` only."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in VERIFY_SH_TOOLS:
        found = shutil.which(tool)
        assert found is not None, f"{tool} is needed to run verify.sh"
        link = directory / tool
        if not link.exists():
            link.symlink_to(found)
    return str(directory)


def run_verify_sh(
    files: Mapping[str, bytes], folder: Path, *args: str, script: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Unpack ``files`` into ``folder`` and run the bundle's ``verify.sh`` (or ``script``, when
    the tampering replaced or removed it: the auditor runs the genuine one) with bash."""
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    runner = folder.parent / f"{folder.name}-verify.sh"
    runner.write_bytes(script if script is not None else files["verify.sh"])
    bash = shutil.which("bash")
    assert bash is not None
    environment = {"PATH": tools_only_path(folder.parent / "tools"), "HOME": str(folder), "LANG": "C"}
    return subprocess.run(
        [bash, str(runner), *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


__all__ = [
    "VERIFY_SH_TOOLS",
    "pack",
    "run_verify_sh",
    "sqlite_store",
    "tools_only_path",
    "unpack",
    "with_sums_fixed",
]
