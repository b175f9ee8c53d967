"""Proof bundles, format ``quitus-proof-bundle/2``: building one (``docs/proof-bundle-format.md``).

A bundle is a zip file proving what happened to one report: every entry of its history
up to the export (and the ``hold.place`` / ``hold.release`` entries of the legal holds
that covered it), each with an inclusion proof, under a checkpoint signed by the ledger
key, which the auditor pins by its fingerprint. The export entry (``proof.export``, the
last one) commits to the history (``history_count``, ``history_sha256``) and to every
other file (``files``): nothing can be dropped, added or replaced.

This module holds the format's names and the pure building blocks;
:func:`storage.proofs.export_report_proof` records the export and assembles the bundle,
:mod:`storage.ledger.bundle_verify` checks one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files as files_of

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.ledger.checkpoint import parse_verifier_key
from storage.ledger.errors import KeyFormatError
from storage.ledger.merkle import leaf_hash
from storage.ledger.store import StoredEntry

__all__ = [
    "BUNDLE_FORMAT",
    "DOCUMENT_NAMES",
    "build_bundle",
    "entry_file",
    "export_details",
    "history_sha256",
    "key_fingerprint",
    "listed_files",
    "parse_fingerprint",
]

BUNDLE_FORMAT = "quitus-proof-bundle/2"
"""The ``format`` detail of the export entry."""

DOCUMENT_NAMES = (
    "rapport-scelle.pdf",
    "rapport-anonymise.pdf",
    "disposition.json",
    "certificat-disposition.pdf",
)
"""The only files ``documents/`` may hold, each matched to the entry that recorded it."""

SIGNED_FILES = ("proofs.txt", "checkpoint.txt", "checkpoint.body", "checkpoint.sig", "ledger.vkey")
KEY_PEM = "ledger-public.pem"
SUMS = "SHA256SUMS"
VERIFY_SCRIPT = "verify.sh"
VERIFY_TEXT = "VERIFY.md"
POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
"""A policy file's name inside ``policies/``."""

_SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")
"""DER SubjectPublicKeyInfo of an Ed25519 key, before the 32 key bytes (RFC 8410)."""


def entry_file(seq: int) -> str:
    """``entries/<seq in 12 digits>.json``."""
    return f"entries/{seq:012d}.json"


def key_fingerprint(vkey: str) -> str:
    """SHA-256 (hex) of the key's DER SubjectPublicKeyInfo, as
    ``openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum`` prints it."""
    public = parse_verifier_key(vkey).public_key
    return hashlib.sha256(_SPKI_ED25519_PREFIX + public).hexdigest()


def parse_fingerprint(text: str) -> str:
    """A fingerprint as typed or pasted: hex, upper or lower case, with or without colons,
    or the line ``sha256sum`` prints (``<hex>  -``). Raises :class:`KeyFormatError`."""
    value = text.strip()
    if value.endswith(" -"):
        value = value[:-2].strip()
    value = value.replace(":", "").lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise KeyFormatError(
            "a key fingerprint is 64 hex digits, the SHA-256 of the key's DER SubjectPublicKeyInfo "
            "(openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum)"
        )
    return value


def listed_files(
    report_id: str,
    documents: Mapping[str, bytes] | None = None,
    policies: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """The files the export entry lists: documents, policies, ``verify.sh``, ``VERIFY.md``."""
    files: dict[str, bytes] = {}
    for name, content in (documents or {}).items():
        if name not in DOCUMENT_NAMES:
            raise ValueError(f"a bundle's documents are {', '.join(DOCUMENT_NAMES)}; not {name}")
        files[f"documents/{name}"] = content
    for name, text in (policies or {}).items():
        if not POLICY_NAME.fullmatch(name):
            raise ValueError(f"policy file name {name!r}: letters, digits, '.', '_', '-'")
        files[f"policies/{name}"] = text.encode("utf-8")
    files[VERIFY_SCRIPT] = (files_of("storage.ledger") / "verify_bundle.sh").read_bytes()
    files[VERIFY_TEXT] = _verify_md(report_id).encode("utf-8")
    return files


def history_sha256(history: Iterable[StoredEntry]) -> str:
    """SHA-256 of one line ``<leaf hash hex>\\n`` per entry, in ascending ``seq`` order."""
    lines = "".join(f"{leaf_hash(e.entry).hex()}\n" for e in sorted(history, key=lambda e: e.seq))
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def export_details(
    history: Sequence[StoredEntry], files: Mapping[str, bytes]
) -> dict[str, str | int | list[str]]:
    """The details of the ``proof.export`` entry that commits to ``history`` and ``files``."""
    return {
        "format": BUNDLE_FORMAT,
        "history_count": len(history),
        "history_sha256": history_sha256(history),
        "files": [f"{name}:{hashlib.sha256(content).hexdigest()}" for name, content in sorted(files.items())],
    }


def build_bundle(
    entries: Sequence[StoredEntry],
    *,
    checkpoint: tuple[int, str],
    verifier_key: str,
    listed: Mapping[str, bytes],
    inclusion_proof: Callable[[int, int], list[bytes]],
) -> bytes:
    """The zip bytes of a bundle: ``entries`` (the history, then the export entry that lists
    ``listed``), each proven against ``checkpoint`` with ``inclusion_proof(seq, size)``."""
    size, note = checkpoint
    verifier = parse_verifier_key(verifier_key)
    files: dict[str, bytes] = {}
    lines = []
    for item in sorted(entries, key=lambda e: e.seq):
        name = entry_file(item.seq)
        files[name] = item.entry
        path = " ".join(h.hex() for h in inclusion_proof(item.seq, size))
        lines.append(f"{name} {item.seq} {size}" + (f" {path}" if path else "") + "\n")
    body, signature = _split_note(note, verifier.name)
    files["proofs.txt"] = "".join(lines).encode("ascii")
    files["checkpoint.txt"] = note.encode("utf-8")
    files["checkpoint.body"] = body
    files["checkpoint.sig"] = signature
    files["ledger.vkey"] = (verifier_key + "\n").encode("ascii")
    files[KEY_PEM] = Ed25519PublicKey.from_public_bytes(verifier.public_key).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    files.update(listed)
    sums = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in sorted(files.items())
    )
    files[SUMS] = sums.encode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


def _split_note(note: str, key_name: str) -> tuple[bytes, bytes]:
    """The checkpoint's text and the raw 64-byte signature of the ledger's line (for openssl)."""
    text, _, signatures = note.rpartition("\n\n")
    for line in signatures.splitlines():
        name, _, blob = line.removeprefix("\u2014 ").partition(" ")
        if name == key_name:
            return (text + "\n").encode("utf-8"), base64.b64decode(blob)[4:]
    raise ValueError(f"the checkpoint carries no signature of {key_name}")


def _verify_md(report_id: str) -> str:
    return f"""# Proof of handling — report {report_id}

This bundle (format `{BUNDLE_FORMAT}`) proves, without access to the company's systems,
what happened to report {report_id}: every event of its life up to this export, and the
legal holds that covered it, each part of the company's tamper-evident audit ledger
(RFC 9162 Merkle tree) under the checkpoint the ledger key signed (`checkpoint.txt`).
Entries hold ids, steps, times, outcomes and hashes — no personal data. The last entry,
`proof.export`, counts and hashes the others and lists every other file with its
SHA-256: a dropped, added or replaced entry or file is seen.

## 1. Pin the key first

Never trust the key that comes in the bundle. Get the ledger key's **fingerprint** from
the company, through another channel (contract annex, DPO register; they print it with
`quitus audit key`), and compare it with the bundle's:

    openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum

## 2. Quick check

    unzip bundle.zip -d bundle && cd bundle    # into a new, empty folder; any zip tool will do
    bash verify.sh <fingerprint>

`verify.sh` needs bash, coreutils and openssl only. With quitus installed:
`quitus proof verify bundle.zip --fingerprint <fingerprint>`.

## 3. By hand

1. **The key is the pinned one.** The fingerprint above matches; `ledger.vkey`
   (`<name>+<key id>+<base64(0x01 ‖ key)>`) holds the same 32 key bytes as
   `ledger-public.pem`; line 1 of `checkpoint.body` (the origin) is the key's name.
2. **Every file is accounted for.** `sha256sum --check --strict SHA256SUMS`; and no file
   exists that `SHA256SUMS` does not list (`find . -type f`).
3. **The checkpoint is signed.** `checkpoint.body` is `checkpoint.txt` up to its blank
   line; `checkpoint.sig` is the signature in the line `— <key name> <base64>` of
   `checkpoint.txt`, without its first 4 bytes (the key id). Then:

       openssl pkeyutl -verify -pubin -inkey ledger-public.pem -rawin \\
           -in checkpoint.body -sigfile checkpoint.sig

   Other signature lines (witnesses' cosignatures) may follow; they are not needed here.
4. **Each entry is in the signed tree** (RFC 9162 §2.1.3.2). Each line of `proofs.txt`
   is `<file> <leaf index> <tree size> <sibling hashes…>`. Start from the leaf hash
   `{{ printf '\\x00'; cat entries/000000000012.json; }} | sha256sum` and combine it with
   each sibling, `SHA-256(0x01 ‖ left ‖ right)`, as the RFC's algorithm says; the result
   must be the root, line 3 of `checkpoint.body` (base64). Line 2 is the tree size.
5. **Every entry belongs to this report**: its `"report"` is {report_id}, or it is a
   `hold.place` / `hold.release` entry of a hold that covered the report.
6. **The export entry closes the history.** The entry with the highest number is
   `proof.export`; its `history_count` is the number of the other entries, its
   `history_sha256` the SHA-256 of their leaf hashes (hex, one per line, in order), its
   `files` the `<path>:<sha256>` of every file under `documents/`, `policies/`, and of
   `verify.sh` and `VERIFY.md`.
7. **Documents are those the ledger recorded.** `documents/rapport-scelle.pdf` has the
   SHA-256 `pdf_full_sha256` of a `seal` entry (`rapport-anonymise.pdf`:
   `pdf_redacted_sha256`); `documents/disposition.json` the `certificate_sha256` of the
   `dispose` or `shred` entry; `documents/certificat-disposition.pdf` the
   `certificate_pdf_sha256` of the `certify` entry. A sealed PDF's electronic seal can
   also be checked with `pdfsig` or Adobe Reader.
"""
