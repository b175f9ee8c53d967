"""The independent verifier against bundles built here from the format's specification
(docs/proof-bundle-format.md): a Merkle tree per RFC 9162 §2.1.1, audit paths per
§2.1.3.1, a C2SP signed note, canonical JSON entries, SHA256SUMS and the zip, all with
code of this file. A genuine bundle verifies; each tampering is reported."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.storage import independent_verifier
from tests.storage.independent_verifier import root_from_inclusion, verify_bundle_file

REPORT = "RPT-2026-0001"
OTHER = "RPT-2026-0002"
KEY_NAME = "ledger.quitus.example/acme"

DOCUMENTS = {
    "documents/rapport-scelle.pdf": b"%PDF-1.7\n% sealed report\n%%EOF\n",
    "documents/disposition.json": b'{"certificate":"disposition","report":"RPT-2026-0001"}\n',
    "documents/certificat-disposition.pdf": b"%PDF-1.7\n% certificat de disposition\n%%EOF\n",
    "policies/retention.yaml": b"retention:\n  intervention-report: P10Y\n",
    "verify.sh": b"#!/bin/sh\necho verify\n",
    "VERIFY.md": b"# Verify this bundle\n",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def canonical(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# -- RFC 9162 §2.1, written for the builder ---------------------------------------------


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, nearest the leaf first."""
    if len(leaves) <= 1:
        return []
    k = split_point(len(leaves))
    if m < k:
        return [*audit_path(m, leaves[:k]), mth(leaves[k:])]
    return [*audit_path(m - k, leaves[k:]), mth(leaves[:k])]


# -- a ledger and the bundle of one report ------------------------------------------------


@dataclass
class Ledger:
    entries: list[bytes] = field(default_factory=list)

    def append(self, step: str, *, report: str | None = None, **extra: Any) -> int:
        seq = len(self.entries)
        obj: dict[str, Any] = {
            "v": 1,
            "seq": seq,
            "time": f"2026-03-{1 + seq // 24:02d}T{seq % 24:02d}:00:00Z",
            "step": step,
            "actor": extra.pop("actor", "system"),
            "outcome": extra.pop("outcome", "ok"),
            **extra,
        }
        if report is not None:
            obj["report"] = report
        self.entries.append(canonical(obj))
        return seq


@dataclass
class Scenario:
    ledger: Ledger
    seqs: list[int]  # the bundle's entries, the export entry last
    documents: dict[str, bytes]


def history_of(ledger: Ledger, seqs: list[int]) -> tuple[int, str]:
    text = "".join(leaf(ledger.entries[s]).hex() + "\n" for s in sorted(seqs))
    return len(seqs), sha(text.encode("ascii"))


def files_detail(documents: dict[str, bytes]) -> list[str]:
    return [f"{path}:{sha(data)}" for path, data in sorted(documents.items())]


def scenario(
    *,
    entry_after_export: bool = False,
    history_sha256: str | None = None,
    foreign_hold: bool = False,
    extra_documents: dict[str, bytes] | None = None,
) -> Scenario:
    led = Ledger()
    docs = {**DOCUMENTS, **(extra_documents or {})}
    mine: list[int] = []
    led.append("install.init", actor="admin")
    mine.append(led.append("create", report=REPORT, actor="tech-17", artifacts=["photo-1"]))
    led.append("create", report=OTHER, actor="tech-4")
    mine.append(led.append("hold.place", actor="legal-2", details={"hold": "H-9", "scope": "client"}))
    mine.append(
        led.append(
            "seal",
            report=REPORT,
            details={"pdf_full_sha256": sha(docs["documents/rapport-scelle.pdf"])},
        )
    )
    led.append("seal", report=OTHER, details={"pdf_full_sha256": sha(b"other")})
    mine.append(led.append("hold.release", actor="legal-2", details={"hold": "H-9"}))
    mine.append(
        led.append(
            "dispose",
            report=REPORT,
            policy="retention-v3",
            details={"certificate_sha256": sha(docs["documents/disposition.json"])},
        )
    )
    mine.append(
        led.append(
            "certify",
            report=REPORT,
            details={"certificate_pdf_sha256": sha(docs["documents/certificat-disposition.pdf"])},
        )
    )
    led.append("create", report=OTHER, actor="tech-4")
    if foreign_hold:  # a hold on another report, slipped into the history before the export
        mine.append(led.append("hold.place", report=OTHER, actor="legal-2", details={"hold": "H-10"}))
    count, digest = history_of(led, mine)
    export = led.append(
        "proof.export",
        report=REPORT,
        actor="auditor-1",
        details={
            "format": "quitus-proof-bundle/2",
            "history_count": count,
            "history_sha256": history_sha256 or digest,
            "files": files_detail(docs),
        },
    )
    seqs = [*mine, export]
    if entry_after_export:
        seqs.append(led.append("annotate", report=REPORT))
    led.append("create", report="RPT-2026-0003")  # the ledger goes on after the export
    return Scenario(ledger=led, seqs=seqs, documents=docs)


def entry_name(seq: int) -> str:
    return f"entries/{seq:012d}.json"


def proof_line(ledger: Ledger, seq: int, name: str | None = None) -> str:
    leaves = [leaf(e) for e in ledger.entries]
    path = " ".join(h.hex() for h in audit_path(seq, leaves))
    return f"{name or entry_name(seq)} {seq} {len(leaves)}" + (f" {path}" if path else "")


def fingerprint(key: Ed25519PrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sha(der)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def note_key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def cosignature_line(body: str, name: str = "witness.example/w1", timestamp: int = 1_780_000_000) -> str:
    """A C2SP tlog-cosignature/v1 (Ed25519, type 0x04) line of a witness."""
    witness = Ed25519PrivateKey.generate()
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
    value = (
        note_key_id(name, 0x04, raw_public(witness)) + timestamp.to_bytes(8, "big") + witness.sign(message)
    )
    return f"— {name} {b64(value)}\n"


def with_sums(files: dict[str, bytes]) -> dict[str, bytes]:
    files = {k: v for k, v in files.items() if k != "SHA256SUMS"}
    files["SHA256SUMS"] = "".join(f"{sha(data)}  {path}\n" for path, data in sorted(files.items())).encode()
    return files


def bundle_files(sc: Scenario, key: Ed25519PrivateKey, name: str = KEY_NAME) -> dict[str, bytes]:
    ledger = sc.ledger
    leaves = [leaf(e) for e in ledger.entries]
    body = f"{name}\n{len(leaves)}\n{b64(mth(leaves))}\n"
    signature = key.sign(body.encode())
    kid = note_key_id(name, 0x01, raw_public(key))
    files: dict[str, bytes] = {}
    for seq in sc.seqs:
        files[entry_name(seq)] = ledger.entries[seq]
    files["proofs.txt"] = "".join(proof_line(ledger, s) + "\n" for s in sc.seqs).encode()
    files["checkpoint.txt"] = (body + "\n" + f"— {name} {b64(kid + signature)}\n").encode()
    files["checkpoint.body"] = body.encode()
    files["checkpoint.sig"] = signature
    vkey = b64(bytes([0x01]) + raw_public(key))
    files["ledger.vkey"] = f"{name}+{kid.hex()}+{vkey}\n".encode()
    files["ledger-public.pem"] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files.update(sc.documents)
    return with_sums(files)


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("entries/", b"")  # a directory entry: allowed
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def genuine(key: Ed25519PrivateKey) -> tuple[Scenario, dict[str, bytes]]:
    sc = scenario()
    return sc, bundle_files(sc, key)


def verify(tmp_path: Path, files: dict[str, bytes], key: Ed25519PrivateKey) -> list[str]:
    return verify_bundle_file(write_zip(tmp_path / "bundle.zip", files), fingerprint(key))


def has(problems: list[str], *fragments: str) -> bool:
    return any(all(f in p for f in fragments) for p in problems)


def drop_proof_line(files: dict[str, bytes], name: str) -> None:
    lines = files["proofs.txt"].decode().splitlines(keepends=True)
    files["proofs.txt"] = "".join(line for line in lines if not line.startswith(name + " ")).encode()


# -- the RFC algorithm itself -----------------------------------------------------------


def test_inclusion_algorithm_accepts_every_leaf_of_every_small_tree_and_nothing_else() -> None:
    for size in range(1, 40):
        leaves = [leaf(str(i).encode()) for i in range(size)]
        root = mth(leaves)
        for m in range(size):
            path = audit_path(m, leaves)
            assert root_from_inclusion(m, size, leaves[m], path) == root
            if size > 1:
                assert root_from_inclusion((m + 1) % size, size, leaves[m], path) != root
                assert root_from_inclusion(m, size, leaves[m], path[:-1]) != root
            assert root_from_inclusion(m, size, leaves[m], [*path, root]) is None
        assert root_from_inclusion(size, size, leaves[0], []) is None


# -- the genuine bundle, and what a genuine bundle may carry ----------------------------


def test_genuine_bundle_verifies(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    assert verify(tmp_path, files, key) == []


def test_pin_is_case_and_whitespace_insensitive(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    path = write_zip(tmp_path / "b.zip", files)
    assert verify_bundle_file(path, "  " + fingerprint(key).upper() + "\n") == []


def test_extra_cosignature_line_still_verifies(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    body = files["checkpoint.body"].decode()
    files["checkpoint.txt"] += cosignature_line(body).encode()
    files["checkpoint.txt"] += cosignature_line(body, name="witness.example/w2").encode()
    assert verify(tmp_path, with_sums(files), key) == []


def test_no_pin_refuses_and_says_how_to_pin(tmp_path: Path, genuine: Any) -> None:
    _, files = genuine
    problems = verify_bundle_file(write_zip(tmp_path / "b.zip", files), "")
    assert has(problems, "pin", "openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum")


# -- tamperings -------------------------------------------------------------------------


def test_dropped_entry_and_its_proof_line(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    dropped = entry_name(sc.seqs[2])
    del files[dropped]
    drop_proof_line(files, dropped)
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "history_count")
    assert has(problems, "history_sha256")


def test_foreign_entry_with_a_valid_proof(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    foreign = 2  # the other report's creation
    assert json.loads(sc.ledger.entries[foreign])["report"] == OTHER
    files[entry_name(foreign)] = sc.ledger.entries[foreign]
    files["proofs.txt"] += (proof_line(sc.ledger, foreign) + "\n").encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, entry_name(foreign), f"belongs to report '{OTHER}'")
    assert not has(problems, "not included")  # its proof is genuine


def test_installation_event_with_a_valid_proof(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    files[entry_name(0)] = sc.ledger.entries[0]
    files["proofs.txt"] += (proof_line(sc.ledger, 0) + "\n").encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, entry_name(0), "neither the report's nor a hold's")


def test_fabricated_entry(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    seq = 3  # a hold entry of the ledger, replaced by a forged one at the same place
    forged = json.loads(sc.ledger.entries[seq])
    forged["details"] = {"hold": "H-9", "scope": "site"}
    files[entry_name(seq)] = canonical(forged)
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, entry_name(seq), "not included")


def test_fabricated_extra_entry(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    seq = 4
    forged = canonical(
        {"seq": 4, "time": "2026-03-01T04:00:00Z", "step": "note", "actor": "x", "outcome": "ok"}
    )
    files[entry_name(seq)] = forged
    files["proofs.txt"] += (
        proof_line(sc.ledger, 5, name=entry_name(seq)).replace(" 5 ", " 4 ", 1) + "\n"
    ).encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, entry_name(seq), "not included")


def test_flipped_checkpoint_sig(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    sig = bytearray(files["checkpoint.sig"])
    sig[10] ^= 0x01
    files["checkpoint.sig"] = bytes(sig)
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "checkpoint.sig", "is not the signature")


def test_edited_checkpoint_body(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    body = files["checkpoint.body"].decode().split("\n")
    body[1] = str(len(sc.ledger.entries) + 1)
    files["checkpoint.body"] = "\n".join(body).encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "checkpoint.body", "is not the note text")


def test_edited_signed_note_text(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    size = len(sc.ledger.entries)
    for name in ("checkpoint.txt", "checkpoint.body"):
        files[name] = files[name].replace(f"\n{size}\n".encode(), f"\n{size + 1}\n".encode(), 1)
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "ledger signature does not verify")


def test_resigned_with_another_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario()
    sc.ledger.entries[3] = sc.ledger.entries[3].replace(b"client", b"nobody")  # the forger's edit
    forger = Ed25519PrivateKey.generate()
    files = bundle_files(sc, forger)
    problems = verify(tmp_path, files, key)
    assert has(problems, "pin", "is not the pinned key", fingerprint(key))
    # the forged bundle is otherwise self-consistent: only the pin betrays it
    assert all(p.startswith("pin:") or "history_sha256" in p for p in problems)


def test_extra_file(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["notes.txt"] = b"trust me\n"
    problems = verify(tmp_path, with_sums(files), key)
    assert problems == ["notes.txt: not a file of the format"]


def test_extra_document_listed_nowhere_but_sums(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["policies/extra.yaml"] = b"retention: none\n"
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "policies/extra.yaml", "not listed in the export entry's files")


@pytest.mark.parametrize(
    "missing", ["ledger.vkey", "checkpoint.sig", "documents/rapport-scelle.pdf", "verify.sh"]
)
def test_missing_file(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any, missing: str) -> None:
    _, files = genuine
    del files[missing]
    problems = verify(tmp_path, with_sums(files), key)
    if missing.startswith(("documents/", "verify")):
        assert has(problems, f"files lists {missing}, absent from the bundle")
    else:
        assert has(problems, f"{missing}: missing from the bundle")


def test_missing_file_still_in_sums(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    del files["VERIFY.md"]
    problems = verify(tmp_path, files, key)
    assert has(problems, "SHA256SUMS: lists VERIFY.md, absent from the bundle")


def test_sha256sums_mismatch(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["VERIFY.md"] = b"# Trust this bundle\n"
    problems = verify(tmp_path, files, key)
    assert has(problems, "SHA256SUMS: VERIFY.md does not match")


def test_file_not_listed_in_sums(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["SHA256SUMS"] = b"".join(
        line + b"\n" for line in files["SHA256SUMS"].splitlines() if not line.endswith(b"  ledger.vkey")
    )
    problems = verify(tmp_path, files, key)
    assert problems == ["SHA256SUMS: ledger.vkey is not listed"]


def test_edited_document_with_its_hashes_fixed(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["documents/rapport-scelle.pdf"] = b"%PDF-1.7\n% another report\n%%EOF\n"
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "files: documents/rapport-scelle.pdf does not match")
    assert has(problems, "documents/rapport-scelle.pdf: its SHA-256 is not the pdf_full_sha256")


def test_wrong_tree_size_in_a_proof_line(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    size = len(sc.ledger.entries)
    target = entry_name(sc.seqs[1])
    lines = files["proofs.txt"].decode().splitlines(keepends=True)
    files["proofs.txt"] = "".join(
        line.replace(f" {size} ", f" {size - 1} ", 1) if line.startswith(target) else line for line in lines
    ).encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, target, f"tree size {size - 1} is not the checkpoint's {size}")


def test_wrong_leaf_index_in_a_proof_line(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    seq = sc.seqs[1]
    target = entry_name(seq)
    lines = files["proofs.txt"].decode().splitlines(keepends=True)
    files["proofs.txt"] = "".join(
        line.replace(f" {seq} ", f" {seq + 1} ", 1) if line.startswith(target) else line for line in lines
    ).encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, target, "is not the entry's seq")
    assert has(problems, target, "not included")


def test_missing_proof_line(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    target = entry_name(sc.seqs[0])
    drop_proof_line(files, target)
    problems = verify(tmp_path, with_sums(files), key)
    assert problems == [f"{target}: no inclusion proof line in proofs.txt"]


def test_export_entry_not_last(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario(entry_after_export=True)
    problems = verify(tmp_path, bundle_files(sc, key), key)
    last = entry_name(sc.seqs[-1])
    assert has(problems, last, "not the proof.export entry")


def test_history_hash_wrong(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario(history_sha256=sha(b"something else"))
    problems = verify(tmp_path, bundle_files(sc, key), key)
    assert problems == [
        f"{entry_name(sc.seqs[-1])}: history_sha256 is not the SHA-256 of the other entries' leaf hashes"
    ]


def test_entry_not_canonical(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario()
    seq = sc.seqs[0]
    sc.ledger.entries[seq] = json.dumps(json.loads(sc.ledger.entries[seq])).encode()  # spaces
    problems = verify(tmp_path, bundle_files(sc, key), key)
    assert has(problems, entry_name(seq), "not canonical JSON")


def test_origin_must_be_the_key_name(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, _ = genuine
    files = bundle_files(sc, key)
    files["ledger.vkey"] = files["ledger.vkey"].replace(KEY_NAME.encode(), b"other.example/log")
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "ledger.vkey", "key id")
    assert has(problems, "checkpoint.body", "origin")


def test_vkey_of_another_key(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    sc, files = genuine
    files["ledger.vkey"] = bundle_files(sc, Ed25519PrivateKey.generate())["ledger.vkey"]
    problems = verify(tmp_path, with_sums(files), key)
    assert problems == ["ledger.vkey: not the same public key as ledger-public.pem"]


def test_ledger_signature_not_first(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    text = files["checkpoint.txt"].decode()
    body, _, ledger_line = text.partition("\n\n")
    files["checkpoint.txt"] = (body + "\n\n" + cosignature_line(body + "\n") + ledger_line).encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "checkpoint.txt", "first signature")


# -- hostile input: every failure is a problem, never an exception -----------------------


def _hostile(files: dict[str, bytes]) -> list[Callable[[dict[str, bytes]], None]]:
    def bad_utf8(f: dict[str, bytes]) -> None:
        f["checkpoint.txt"] = b"\xff\xfe" + f["checkpoint.txt"]

    def bad_hex(f: dict[str, bytes]) -> None:
        f["proofs.txt"] = f["proofs.txt"].replace(b" ", b" zz", 3)

    def bad_json(f: dict[str, bytes]) -> None:
        name = next(n for n in f if n.startswith("entries/"))
        f[name] = b'{"seq":' + b"[" * 100_000

    def huge_numbers(f: dict[str, bytes]) -> None:
        f["proofs.txt"] = f["proofs.txt"].replace(b" ", b" 9" + b"9" * 5000, 1)

    def empty_everything(f: dict[str, bytes]) -> None:
        for name in list(f):
            f[name] = b""

    def binary_sums(f: dict[str, bytes]) -> None:
        f["SHA256SUMS"] = bytes(range(256))

    def bad_pem(f: dict[str, bytes]) -> None:
        f["ledger-public.pem"] = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"

    def bad_vkey(f: dict[str, bytes]) -> None:
        f["ledger.vkey"] = b"a+b+c+d"

    def long_path(f: dict[str, bytes]) -> None:
        name = next(n for n in f if n.startswith("entries/"))
        line = f["proofs.txt"].decode().splitlines()[0]
        f["proofs.txt"] = (line + (" " + "00" * 32) * 1000 + "\n").encode()
        del f[name]

    return [
        bad_utf8,
        bad_hex,
        bad_json,
        huge_numbers,
        empty_everything,
        binary_sums,
        bad_pem,
        bad_vkey,
        long_path,
    ]


def test_hostile_contents_are_problems(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    for number, mutate in enumerate(_hostile(files)):
        copy = with_sums(files)
        mutate(copy)
        problems = verify_bundle_file(write_zip(tmp_path / f"h{number}.zip", copy), fingerprint(key))
        assert problems, mutate.__name__
        assert all(isinstance(p, str) for p in problems)
        assert not has(problems, "the verifier failed"), (mutate.__name__, problems)


@pytest.mark.parametrize(
    "content", [b"", b"not a zip", b"PK\x03\x04" + b"\x00" * 100, b"PK\x05\x06" + b"\x00" * 18]
)
def test_not_a_zip(tmp_path: Path, key: Ed25519PrivateKey, content: bytes) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(content)
    problems = verify_bundle_file(path, fingerprint(key))
    assert problems
    assert has(problems, "bundle")


def test_absent_path_and_bad_arguments(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    assert has(verify_bundle_file(tmp_path / "absent.zip", fingerprint(key)), "cannot read")
    _, files = genuine
    path = write_zip(tmp_path / "b.zip", files)
    assert has(verify_bundle_file(path, "not-hex"), "pin", "64 hex")
    assert has(verify_bundle_file(path, None), "pin")  # type: ignore[arg-type]


def test_unsafe_and_duplicate_names(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    path = write_zip(tmp_path / "b.zip", files)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("../evil.sh", b"rm -rf /\n")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("proofs.txt", b"")
    problems = verify_bundle_file(path, fingerprint(key))
    assert has(problems, "'../evil.sh'", "not a file of the format")
    assert has(problems, "'proofs.txt': appears more than once")


def test_corrupt_member_is_a_problem(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    path = write_zip(tmp_path / "b.zip", files)
    data = bytearray(path.read_bytes())
    at = data.find(b"%PDF-1.7\n% certificat")
    if at < 0:  # deflated: corrupt the middle of the archive instead
        at = len(data) // 3
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    problems = verify_bundle_file(path, fingerprint(key))
    assert problems
    assert not has(problems, "the verifier failed")


def test_second_ledger_signature_line(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    ledger_line = files["checkpoint.txt"].decode().rpartition("\n\n")[2]
    files["checkpoint.txt"] += ledger_line.encode()
    problems = verify(tmp_path, with_sums(files), key)
    assert problems == ["checkpoint.txt: signature line 2 is a second signature by the ledger key"]


def test_hold_entry_of_another_report(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario(foreign_hold=True)
    seq = sc.seqs[-2]
    problems = verify(tmp_path, bundle_files(sc, key), key)
    assert problems == [f"{entry_name(seq)}: belongs to report '{OTHER}', not the bundle's report '{REPORT}'"]


def test_document_the_format_does_not_define(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario(extra_documents={"documents/annexe.pdf": b"%PDF-1.7\n%%EOF\n"})
    problems = verify(tmp_path, bundle_files(sc, key), key)
    assert problems == ["documents/annexe.pdf: not a document this format defines (no entry can record it)"]


def test_another_policy_listed_in_the_export_entry_verifies(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    sc = scenario(extra_documents={"policies/2025/holds.yaml": b"holds: {}\n"})
    assert verify(tmp_path, bundle_files(sc, key), key) == []


def test_signed_by_the_pinned_key_under_another_name(
    tmp_path: Path, key: Ed25519PrivateKey, genuine: Any
) -> None:
    sc, files = genuine
    renamed = bundle_files(sc, key, name="other.example/log")
    for name in ("checkpoint.txt", "checkpoint.body", "checkpoint.sig"):
        files[name] = renamed[name]
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "checkpoint.body", "origin 'other.example/log' is not the ledger key name")
    assert has(problems, "checkpoint.txt", "first signature is by 'other.example/log'")


def test_oversized_member_is_not_read(
    tmp_path: Path, key: Ed25519PrivateKey, genuine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, files = genuine
    monkeypatch.setattr(independent_verifier, "MAX_MEMBER_BYTES", 60)
    problems = verify(tmp_path, files, key)
    assert has(problems, "checkpoint.txt", "bytes, more than the 60 read")
    assert has(problems, "checkpoint.txt: missing from the bundle")  # what is not read is absent


def test_oversized_bundle_is_not_read(
    tmp_path: Path, key: Ed25519PrivateKey, genuine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, files = genuine
    monkeypatch.setattr(independent_verifier, "MAX_BUNDLE_BYTES", 1000)
    problems = verify(tmp_path, files, key)
    assert len(problems) == 1
    assert has(problems, "bundle:", "more than the 1000 this verifier reads")


def test_signature_line_under_another_name(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files["checkpoint.txt"] = files["checkpoint.txt"].replace(
        f"— {KEY_NAME} ".encode(), b"\xe2\x80\x94 other.example/log "
    )
    problems = verify(tmp_path, with_sums(files), key)
    assert has(problems, "checkpoint.txt", "not by the origin")
    assert has(problems, "checkpoint.txt", "key id is not the ledger key's")


def test_problems_are_capped(tmp_path: Path, key: Ed25519PrivateKey, genuine: Any) -> None:
    _, files = genuine
    files = with_sums(files)
    files["SHA256SUMS"] += b"garbage\n" * 100_000
    problems = verify(tmp_path, files, key)
    assert len(problems) == independent_verifier.MAX_PROBLEMS + 1
    assert problems[-1].startswith("bundle: more than")
