"""Proof bundles: a report's audit trail that an auditor checks without our database.

A bundle is a zip file:

* ``entries/<seq>.json`` — each ledger entry of the report, byte for byte;
* ``proofs.json`` — for each entry: leaf index, tree size, leaf hash and audit path (hex);
* ``checkpoint.txt`` — the signed checkpoint (C2SP signed note) the proofs lead to;
  ``checkpoint.body`` and ``checkpoint.sig`` — its text and raw Ed25519 signature,
  ``ledger.vkey`` and ``ledger-public.pem`` — the public key, for ``openssl``;
* ``documents/`` — the report's signed PDF when it exists and the caller may see it,
  or ``disposition.json`` — the certificate of its erasure;
* ``policies/`` — the texts of the retention policies applied;
* ``manifest.json`` — SHA-256 of every file; ``verify.sh`` and ``VERIFY.md`` — how to
  check all this with ``sha256sum`` and ``openssl`` alone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files as files_of

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.ledger.checkpoint import open_checkpoint, parse_verifier_key
from storage.ledger.errors import LedgerError
from storage.ledger.events import decode_entry
from storage.ledger.merkle import leaf_hash, verify_inclusion
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger, StoredEntry

__all__ = ["BundleVerification", "build_bundle", "verify_bundle"]

BUNDLE_FORMAT = "quitus-proof-bundle/1"


def build_bundle(
    ledger: Ledger,
    report_id: str,
    entries: list[StoredEntry],
    *,
    checkpoint: tuple[int, str],
    verifier_key: str,
    documents: Mapping[str, bytes] | None = None,
    policies: Mapping[str, str] | None = None,
) -> bytes:
    """The zip bytes of a bundle proving ``entries`` against ``checkpoint``."""
    size, note = checkpoint
    files: dict[str, bytes] = {}
    proofs = []
    for item in entries:
        name = f"entries/{item.seq:012d}.json"
        files[name] = item.entry
        proofs.append(
            {
                "file": name,
                "leaf_index": item.seq,
                "tree_size": size,
                "leaf_hash": leaf_hash(item.entry).hex(),
                "audit_path": [h.hex() for h in ledger.inclusion_proof(item.seq, size)],
            }
        )
    body, signature = _split_note(note)
    files["proofs.json"] = _json(proofs)
    files["checkpoint.txt"] = note.encode("utf-8")
    files["checkpoint.body"] = body
    files["checkpoint.sig"] = signature
    files["ledger.vkey"] = (verifier_key + "\n").encode("ascii")
    files["ledger-public.pem"] = _pem(verifier_key)
    for name, content in (documents or {}).items():
        files[f"documents/{name}"] = content
    for name, text in (policies or {}).items():
        files[f"policies/{name}"] = text.encode("utf-8")
    files["verify.sh"] = (files_of("storage.ledger") / "verify_bundle.sh").read_bytes()
    files["VERIFY.md"] = _verify_md(report_id, size).encode("utf-8")
    manifest = {
        "format": BUNDLE_FORMAT,
        "report_id": report_id,
        "tree_size": size,
        "origin": ledger.origin,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _json(manifest))
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class BundleVerification:
    report_id: str | None = None
    tree_size: int | None = None
    entries: int = 0
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.entries > 0


def verify_bundle(data: bytes, *, trusted_key: str | None = None) -> BundleVerification:
    """Check a bundle offline. ``trusted_key``: the company's published verifier key;
    without it the bundle's own key is used (and said so)."""
    result = BundleVerification()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.problems.append(f"not a readable zip file: {exc}")
        return result
    try:
        manifest = json.loads(files["manifest.json"])
        proofs = json.loads(files["proofs.json"])
        note = files["checkpoint.txt"].decode("utf-8")
        bundled_key = files["ledger.vkey"].decode("ascii").strip()
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        result.problems.append(f"bundle incomplete or damaged ({exc}); ask for a new export")
        return result
    result.report_id, result.tree_size = manifest.get("report_id"), manifest.get("tree_size")
    _check_manifest(files, manifest, result)
    key = trusted_key or bundled_key
    if trusted_key is None:
        result.checked.append(
            "checkpoint key: the bundle's own (pass the company's published key to trust it)"
        )
    elif trusted_key != bundled_key:
        result.problems.append("the bundle's key is not the trusted key")
    try:
        checkpoint, _ = open_checkpoint(note, [parse_verifier_key(key)], origin=manifest.get("origin"))
    except LedgerError as exc:
        result.problems.append(f"checkpoint signature: {exc}")
        return result
    result.checked.append(f"checkpoint signature valid: {checkpoint.origin}, {checkpoint.size} entries")
    for proof in proofs:
        _check_proof(
            files,
            proof,
            size=checkpoint.size,
            root=checkpoint.root_hash,
            report_id=manifest.get("report_id"),
            result=result,
        )
    _check_document(files, result)
    return result


def _check_document(files: Mapping[str, bytes], result: BundleVerification) -> None:
    """A bundled sealed PDF must be the one whose hash the ``seal`` step recorded."""
    document = files.get("documents/rapport-scelle.pdf")
    if document is None:
        return
    recorded = set()
    for name, content in files.items():
        if name.startswith("entries/"):
            entry = decode_entry(content)
            details = entry.get("details") or {}
            if entry.get("step") == LedgerStep.SEAL and "pdf_full_sha256" in details:
                recorded.add(details["pdf_full_sha256"])
    if hashlib.sha256(document).hexdigest() in recorded:
        result.checked.append("documents/rapport-scelle.pdf: the document recorded by the seal step")
    else:
        result.problems.append("documents/rapport-scelle.pdf: not the document the seal step recorded")


def _check_manifest(
    files: Mapping[str, bytes], manifest: Mapping[str, object], result: BundleVerification
) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        result.problems.append("manifest.json lists no files")
        return
    for name, digest in listed.items():
        if name not in files:
            result.problems.append(f"{name}: listed in the manifest but missing")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            result.problems.append(f"{name}: modified (its SHA-256 differs from the manifest)")
    for name in files:
        if name != "manifest.json" and name not in listed:
            result.problems.append(f"{name}: added to the bundle after export")


def _check_proof(
    files: Mapping[str, bytes],
    proof: Mapping[str, object],
    *,
    size: int,
    root: bytes,
    report_id: object,
    result: BundleVerification,
) -> None:
    name = str(proof.get("file"))
    entry = files.get(name)
    if entry is None:
        result.problems.append(f"{name}: missing")
        return
    result.entries += 1
    index = proof.get("leaf_index")
    path = proof.get("audit_path")
    if not isinstance(index, int) or not isinstance(path, list) or proof.get("tree_size") != size:
        result.problems.append(f"{name}: malformed proof")
        return
    try:
        decoded = decode_entry(entry)
        audit_path = [bytes.fromhex(str(h)) for h in path]
    except ValueError:
        result.problems.append(f"{name}: not a ledger entry or malformed audit path")
        return
    if decoded.get("seq") != index or decoded.get("report") != report_id:
        result.problems.append(f"{name}: entry is not entry {index} of report {report_id}")
    elif verify_inclusion(index, size, leaf_hash(entry), audit_path, root):
        result.checked.append(
            f"{name}: included at index {index} ({decoded.get('step')}, {decoded.get('outcome')})"
        )
    else:
        result.problems.append(f"{name}: NOT included in the signed tree (entry or proof altered)")


def _split_note(note: str) -> tuple[bytes, bytes]:
    """Checkpoint text and the raw 64-byte Ed25519 signature (for openssl)."""
    text, _, signatures = note.rpartition("\n\n")
    first = signatures.splitlines()[0]
    blob = base64.b64decode(first.rsplit(" ", 1)[1])
    return (text + "\n").encode("utf-8"), blob[4:]


def _pem(vkey: str) -> bytes:
    public = Ed25519PublicKey.from_public_bytes(parse_verifier_key(vkey).public_key)
    return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _verify_md(report_id: str, size: int) -> str:
    return f"""# Proof of handling — report {report_id}

This bundle proves, without access to the company's systems, that each event in
`entries/` is part of the company's tamper-evident audit ledger as signed at
**{size} entries** in `checkpoint.txt`. Entries hold ids, steps, times, outcomes and
hashes of encrypted files — no personal data.

## Quick check

    unzip bundle.zip -d bundle && cd bundle && bash verify.sh

or, with quitus installed: `quitus proof verify bundle.zip --key "<published key>"`.

## By hand, with sha256sum and openssl

1. **Files are intact.** `manifest.json` lists the SHA-256 of every file:
   `sha256sum entries/*.json` and compare.
2. **The checkpoint is genuine.** It is a C2SP signed note; `checkpoint.body` is its
   text and `checkpoint.sig` the raw Ed25519 signature:

       openssl pkeyutl -verify -pubin -inkey ledger-public.pem -rawin \\
           -in checkpoint.body -sigfile checkpoint.sig

   Compare `ledger.vkey` with the key the company publishes: a bundle can only prove
   what its key vouches for.
3. **Each entry is in the signed tree** (RFC 9162 §2.1.3.2). Line 3 of
   `checkpoint.body` is the root hash in base64. For an entry, start with its leaf hash
   `SHA-256(0x00 ‖ entry bytes)`:

       {{ printf '\\x00'; cat entries/000000000012.json; }} | sha256sum

   then combine it with each hash of its `audit_path` in `proofs.json`, as the
   RFC's algorithm says, with `SHA-256(0x01 ‖ left ‖ right)`; the last value must equal
   the root. `verify.sh` does exactly this with `printf` and `sha256sum`.
4. **The document is the one that was sealed.** When `documents/rapport-scelle.pdf` is
   present, `sha256sum documents/rapport-scelle.pdf` equals `pdf_full_sha256` in the
   `seal` entry; its electronic seal can be checked with Adobe Reader or `pdfsig`.
"""
