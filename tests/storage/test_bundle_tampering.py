"""The tamper catalogue: every way an auditor was (or could be) fooled, against every verifier.

Two real bundles: a sealed report that legal holds covered (one released), exported with
its sealed PDF; and a report disposed of by retention, exported with its certificate of
disposition (entries recorded through the ledger API). Each tampering must be refused by
``verify_bundle``, by the bundle's own ``verify.sh`` run for real with bash and openssl
(and nothing else on its PATH), and by the verifier written from the spec alone
(``tests/storage/independent_verifier.py``); the untampered bundles pass all three.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from policies.loading import PolicySet
from reports.intake import Intake, Submission
from reports.pdf import create_company_ca
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from retention.holds import HoldService
from retention.proof_export import export_proof
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.bundle import key_fingerprint
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.checkpoint import load_signer, parse_checkpoint, sign_checkpoint
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.report_store import ReportStore
from storage.retention_vocabulary import HoldScope
from tests.storage.bundle_support import pack, run_verify_sh, sqlite_store, unpack, with_sums_fixed
from tests.storage.independent_verifier import verify_bundle_file
from workflows.stages import Pipeline

Files = dict[str, bytes]


@dataclass(frozen=True)
class Life:
    """What the bundles were exported from."""

    store: ReportStore
    sealed: Files
    """The held, sealed report's bundle (with ``documents/rapport-scelle.pdf``)."""
    disposed: Files
    """The disposed report's bundle (with its certificate files)."""
    other_report: str
    fingerprint: str


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Life]:
    root = tmp_path_factory.mktemp("bundles")
    store = sqlite_store(root)
    catalog = TemplateCatalog.load()
    intake = Intake(store, catalog)
    samples = [s for s in generate_samples(catalog, 8, seed=5, photo_size=(80, 60)) if s.expected == "valid"]
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples[:3]]
    sealed, disposed, other = ids
    create_company_ca(root / "seal", "Thermi'Clim Services")
    engine = PiiEngine(load_vocabulary(catalog))
    Pipeline(
        store, catalog, root / "seal", redactor_factory=lambda: ReportRedactor(engine, style="placeholder")
    ).run_pending(batch_size=10)
    holds = HoldService(store)
    holds.place(reason="litige en cours", scope_kind=HoldScope.REPORTS, scope={"report_ids": [sealed]})
    kind = store.get(sealed).client_kind
    released = holds.place(reason="contrôle", scope_kind=HoldScope.QUERY, scope={"client_kind": kind})
    holds.release(released.id)
    # A certificate of disposition, recorded as the certificates module records one.
    certificate = json.dumps({"certificate": "disposition", "report_id": disposed}).encode()
    certificate_pdf = b"%PDF-1.7 certificate stand-in for the test\n%%EOF\n"
    details = {"certificate_sha256": hashlib.sha256(certificate).hexdigest()}
    shred_reports(
        store, [ShredRequest(disposed, reason="retention", step=LedgerStep.DISPOSE, details=details)]
    )
    store.ledger.record(
        LedgerEvent(
            step=LedgerStep.CERTIFY,
            actor="test",
            outcome="issued",
            report_id=disposed,
            details={"certificate_pdf_sha256": hashlib.sha256(certificate_pdf).hexdigest()},
        )
    )
    vkey = store.ledger.signer.verifier_key()
    policies = PolicySet([])
    sealed_bundle = export_proof(store, policies, sealed, verifier_key=vkey)
    assert sealed_bundle.documents == ("rapport-scelle.pdf",)
    assert len(sealed_bundle.holds) == 2
    from storage.proofs import export_report_proof  # the certificate files, given as the module would

    disposed_bundle = export_report_proof(
        store,
        disposed,
        verifier_key=vkey,
        documents={"disposition.json": certificate, "certificat-disposition.pdf": certificate_pdf},
    )
    yield Life(store, unpack(sealed_bundle.data), unpack(disposed_bundle), other, key_fingerprint(vkey))
    store.database.dispose()


# -- the tamperings --------------------------------------------------------------------------


def _entries_of(files: Files, step: LedgerStep) -> list[str]:
    return [
        n
        for n, c in sorted(files.items())
        if n.startswith("entries/") and f'"step":"{step.value}"' in c.decode()
    ]


def _drop_entry(files: Files, name: str) -> Files:
    kept = {n: c for n, c in files.items() if n != name}
    kept["proofs.txt"] = b"".join(
        line + b"\n" for line in files["proofs.txt"].splitlines() if not line.startswith(name.encode())
    )
    return with_sums_fixed(kept)


def _add_entry(files: Files, life: Life, entry: bytes, seq: int, path: list[bytes] | None = None) -> Files:
    size = parse_checkpoint(files["checkpoint.body"].decode()).size
    name = f"entries/{seq:012d}.json"
    proof = path if path is not None else life.store.ledger.inclusion_proof(seq, size)
    added = dict(files)
    added[name] = entry
    added["proofs.txt"] = (
        files["proofs.txt"] + f"{name} {seq} {size} {' '.join(h.hex() for h in proof)}\n".encode()
    )
    return with_sums_fixed(added)


def dropped_dispose_entry(life: Life) -> Files:
    """Finding (a): the dispose entry, its proof line and its SHA256SUMS line deleted."""
    (name,) = _entries_of(life.disposed, LedgerStep.DISPOSE)
    return _drop_entry(life.disposed, name)


def dropped_hold_release(life: Life) -> Files:
    (name,) = _entries_of(life.sealed, LedgerStep.HOLD_RELEASE)
    return _drop_entry(life.sealed, name)


def resigned_with_another_key(life: Life) -> Files:
    """Finding (b): the checkpoint re-signed by an attacker, every key file consistent with it."""
    attacker = load_signer("quitus.test", b"\x07" * 32)
    files = dict(life.sealed)
    checkpoint = parse_checkpoint(files["checkpoint.body"].decode())
    note = sign_checkpoint(checkpoint, attacker)
    files["checkpoint.txt"] = note.encode()
    files["checkpoint.sig"] = base64.b64decode(note.rsplit(" ", 1)[1])[4:]
    files["ledger.vkey"] = (attacker.verifier_key() + "\n").encode()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    files["ledger-public.pem"] = attacker.private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    return with_sums_fixed(files)


def foreign_entry_with_a_valid_proof(life: Life) -> Files:
    """Finding (c): another report's entry, genuinely included in the signed tree."""
    foreign = life.store.ledger.entries_for_report(life.other_report)[0]
    return _add_entry(life.sealed, life, foreign.entry, foreign.seq)


def fabricated_entry(life: Life) -> Files:
    seq = int(_entries_of(life.sealed, LedgerStep.SEAL)[0][8:20]) + 1000
    report = json.loads(life.sealed[_entries_of(life.sealed, LedgerStep.PROOF_EXPORT)[0]])["report"]
    entry = json.dumps(
        {
            "actor": "tech-042",
            "outcome": "ok",
            "report": report,
            "seq": seq,
            "step": "read",
            "time": "2026-01-01T00:00:00.000000Z",
            "v": 1,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return _add_entry(life.sealed, life, entry, seq, path=[hashlib.sha256(b"x").digest()] * 4)


def flipped_signature(life: Life) -> Files:
    files = dict(life.sealed)
    signature = bytearray(files["checkpoint.sig"])
    signature[10] ^= 1
    files["checkpoint.sig"] = bytes(signature)
    return with_sums_fixed(files)


def edited_checkpoint_body(life: Life) -> Files:
    files = dict(life.sealed)
    origin, size, root = files["checkpoint.body"].decode().splitlines()
    files["checkpoint.body"] = f"{origin}\n{int(size) + 1}\n{root}\n".encode()
    return with_sums_fixed(files)


def substituted_pdf(life: Life) -> Files:
    """Finding (c): another PDF in place of the sealed one, SHA256SUMS fixed."""
    files = dict(life.sealed)
    files["documents/rapport-scelle.pdf"] = files["documents/rapport-scelle.pdf"].replace(
        b"/Author", b"/Auteur", 1
    )
    return with_sums_fixed(files)


def edited_certificate(life: Life) -> Files:
    files = dict(life.disposed)
    files["documents/disposition.json"] = files["documents/disposition.json"].replace(
        b"disposition", b"dispositio_", 1
    )
    return with_sums_fixed(files)


def edited_certificate_pdf(life: Life) -> Files:
    files = dict(life.disposed)
    files["documents/certificat-disposition.pdf"] += b"% appended\n"
    return with_sums_fixed(files)


def extra_file(life: Life) -> Files:
    """Finding (c): a file added and listed in SHA256SUMS."""
    files = dict(life.sealed)
    files["notes.txt"] = b"nothing to see\n"
    return with_sums_fixed(files)


def extra_document(life: Life) -> Files:
    files = dict(life.sealed)
    files["documents/rapport-anonymise.pdf"] = files["documents/rapport-scelle.pdf"]
    return with_sums_fixed(files)


def extra_file_not_in_sums(life: Life) -> Files:
    files = dict(life.sealed)
    files["policies/fr.extra.yaml"] = b"id: fr.extra\n"
    return files


def missing_pdf(life: Life) -> Files:
    """The export recorded the sealed PDF; the bundle no longer carries it (files list mismatch)."""
    return with_sums_fixed({n: c for n, c in life.sealed.items() if n != "documents/rapport-scelle.pdf"})


def missing_signature_file(life: Life) -> Files:
    return with_sums_fixed({n: c for n, c in life.sealed.items() if n != "checkpoint.sig"})


def edited_entry(life: Life) -> Files:
    files = dict(life.sealed)
    (name,) = _entries_of(files, LedgerStep.SEAL)
    files[name] = files[name].replace(b'"outcome":"', b'"outcome":"x', 1)
    return with_sums_fixed(files)


def wrong_tree_size_in_a_proof(life: Life) -> Files:
    files = dict(life.sealed)
    first, *rest = files["proofs.txt"].decode().splitlines()
    name, index, size, *path = first.split(" ")
    files["proofs.txt"] = (
        "\n".join([" ".join([name, index, str(int(size) + 1), *path]), *rest]) + "\n"
    ).encode()
    return with_sums_fixed(files)


def format_1_bundle(life: Life) -> Files:
    """An old-format bundle: manifest.json and proofs.json, no SHA256SUMS, no export commitment."""
    files = {n: c for n, c in life.sealed.items() if n.startswith("entries/") or n.startswith("checkpoint")}
    files["ledger.vkey"] = life.sealed["ledger.vkey"]
    files["ledger-public.pem"] = life.sealed["ledger-public.pem"]
    files["proofs.json"] = b"[]\n"
    digests = {n: hashlib.sha256(c).hexdigest() for n, c in files.items()}
    files["manifest.json"] = json.dumps({"format": "quitus-proof-bundle/1", "files": digests}).encode()
    return files


TAMPERINGS: dict[str, Callable[[Life], Files]] = {
    f.__name__: f
    for f in (
        dropped_dispose_entry,
        dropped_hold_release,
        resigned_with_another_key,
        foreign_entry_with_a_valid_proof,
        fabricated_entry,
        flipped_signature,
        edited_checkpoint_body,
        substituted_pdf,
        edited_certificate,
        edited_certificate_pdf,
        extra_file,
        extra_document,
        extra_file_not_in_sums,
        missing_pdf,
        missing_signature_file,
        edited_entry,
        wrong_tree_size_in_a_proof,
        format_1_bundle,
    )
}


# -- the verifiers ---------------------------------------------------------------------------


def python_verifier(files: Files, life: Life, folder: Path) -> tuple[bool, str]:
    result = verify_bundle(pack(files), fingerprint=life.fingerprint)
    return result.ok, "\n".join(result.problems)


def verify_sh(files: Files, life: Life, folder: Path) -> tuple[bool, str]:
    # The auditor runs the genuine script, whatever the bundle now holds.
    run = run_verify_sh(files, folder, life.fingerprint, script=life.sealed["verify.sh"])
    return run.returncode == 0 and "bundle verified" in run.stdout, run.stdout + run.stderr


def independent(files: Files, life: Life, folder: Path) -> tuple[bool, str]:
    folder.mkdir(parents=True)
    (folder / "bundle.zip").write_bytes(pack(files))
    problems = verify_bundle_file(folder / "bundle.zip", life.fingerprint)
    return not problems, "\n".join(problems)


VERIFIERS = {"verify_bundle": python_verifier, "verify.sh": verify_sh, "independent": independent}


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("bundle", ["sealed", "disposed"])
def test_the_untampered_bundles_verify(life: Life, bundle: str, verifier: str, tmp_path: Path) -> None:
    ok, said = VERIFIERS[verifier](getattr(life, bundle), life, tmp_path / "bundle")
    assert ok, said


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_witness_cosignature_in_the_checkpoint_is_tolerated(
    life: Life, verifier: str, tmp_path: Path
) -> None:
    witness = load_signer("witness.example/w1", b"\x09" * 32)
    files = dict(life.sealed)
    text = files["checkpoint.body"].decode()
    files["checkpoint.txt"] += witness.signature_line(text).encode()
    ok, said = VERIFIERS[verifier](with_sums_fixed(files), life, tmp_path / "bundle")
    assert ok, said


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_every_tampering_is_refused(life: Life, tampering: str, verifier: str, tmp_path: Path) -> None:
    tampered = TAMPERINGS[tampering](life)
    ok, said = VERIFIERS[verifier](tampered, life, tmp_path / "bundle")
    assert not ok, f"{tampering} accepted by {verifier}:\n{said}"
