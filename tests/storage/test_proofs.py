"""Proof bundles (quitus-proof-bundle/2) from the store: what the export entry commits to,
erased reports, pinning, a write racing the export, and hostile bundles."""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import zipfile
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from storage.blob_kinds import BlobKind
from storage.database import lock_for_write
from storage.erasure import ShredRequest, shred_reports
from storage.ledger.bundle import BUNDLE_FORMAT, history_sha256, key_fingerprint
from storage.ledger.bundle_verify import verify_bundle
from storage.ledger.events import LedgerEvent, decode_entry
from storage.ledger.steps import LedgerStep
from storage.ledger.witness import Cosigner, cosigner_verifier_key, note_text
from storage.proofs import export_report_proof
from storage.report_store import BlobToStore, ReportStore
from tests.storage.bundle_support import pack, unpack, with_sums_fixed


def _report(store: ReportStore, submission: str = "sub-1") -> str:
    report_id = store.receive(b'{"client": "Dupuis"}', source="json", submission_id=submission).report_id
    store.save_capture(report_id, content=b"{}", blobs=[BlobToStore(BlobKind.PHOTO, b"\xff\xd8 hallway")])
    return report_id


def _export_entry(files: dict[str, bytes]) -> dict[str, Any]:
    return decode_entry(files[max(n for n in files if n.startswith("entries/"))])


def test_the_export_entry_commits_to_the_whole_history_and_every_file(store: ReportStore) -> None:
    report_id = _report(store)
    vkey = store.ledger.signer.verifier_key()

    files = unpack(export_report_proof(store, report_id, verifier_key=vkey))

    export = _export_entry(files)
    history = [e for e in store.ledger.entries_for_report(report_id) if e.seq < export["seq"]]
    assert export["step"] == LedgerStep.PROOF_EXPORT and export["report"] == report_id
    details = export["details"]
    assert isinstance(details, dict)
    assert details["format"] == BUNDLE_FORMAT
    assert details["history_count"] == len(history) == 2  # receive, capture
    assert details["history_sha256"] == history_sha256(history)
    assert sorted(details["files"]) == sorted(
        f"{n}:{hashlib.sha256(files[n]).hexdigest()}" for n in ("VERIFY.md", "verify.sh")
    )
    assert "manifest.json" not in files and "proofs.json" not in files
    assert verify_bundle(pack(files), key=vkey).ok
    assert verify_bundle(pack(files), fingerprint=key_fingerprint(vkey)).ok


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (LedgerStep.DISPOSE, "retention"),  # the nightly job, an approved review
        (LedgerStep.SHRED, "subject_request"),  # an erasure on request
    ],
)
def test_an_erased_report_exports_and_its_certificate_must_be_the_recorded_one(
    store: ReportStore, step: LedgerStep, reason: str
) -> None:
    report_id = _report(store)
    certificate = json.dumps({"certificate": "disposition", "report_id": report_id}).encode()
    pdf = b"%PDF-1.7 stand-in\n%%EOF\n"
    details = {"certificate_sha256": hashlib.sha256(certificate).hexdigest()}
    assert shred_reports(store, [ShredRequest(report_id, reason=reason, step=step, details=details)])
    store.ledger.record(
        LedgerEvent(
            step=LedgerStep.CERTIFY,
            actor="test",
            outcome="issued",
            report_id=report_id,
            details={"certificate_pdf_sha256": hashlib.sha256(pdf).hexdigest()},
        )
    )
    vkey = store.ledger.signer.verifier_key()
    documents = {"disposition.json": certificate, "certificat-disposition.pdf": pdf}

    checked = verify_bundle(
        export_report_proof(store, report_id, verifier_key=vkey, documents=documents), key=vkey
    )

    assert checked.ok, checked.problems
    assert any("documents/disposition.json: the document" in line for line in checked.checked)
    # A certificate the ledger did not record, even listed by the export, does not verify.
    forged = {"disposition.json": certificate + b" ", "certificat-disposition.pdf": pdf}
    refused = verify_bundle(
        export_report_proof(store, report_id, verifier_key=vkey, documents=forged), key=vkey
    )
    assert "documents/disposition.json: not the document a dispose or shred entry recorded" in "\n".join(
        refused.problems
    )


def test_without_a_pinned_key_nothing_is_verified(store: ReportStore) -> None:
    bundle = export_report_proof(store, _report(store), verifier_key=store.ledger.signer.verifier_key())
    checked = verify_bundle(bundle)
    assert not checked.ok
    assert "no pinned key" in checked.problems[0] and "quitus audit key" in checked.problems[0]
    other = verify_bundle(bundle, fingerprint="ab" * 32)
    assert not other.ok and "is not the pinned key" in other.problems[0]


def test_a_write_racing_the_export_is_in_its_history_or_after_it(store: ReportStore) -> None:
    """The history is read under the ledger's lock: no entry of the report can be appended
    between reading it and recording the export entry that counts it."""
    report_id = _report(store)
    vkey = store.ledger.signer.verifier_key()
    stop = threading.Event()
    failures: list[BaseException] = []

    def read_again_and_again() -> None:
        try:
            while not stop.is_set():
                with store.database.session() as session:
                    lock_for_write(session)
                    event = LedgerEvent(
                        step=LedgerStep.READ,
                        actor="test",
                        outcome="revealed",
                        report_id=report_id,
                        details={"document": "content"},
                    )
                    store.ledger.append(session, [event])
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    writer = threading.Thread(target=read_again_and_again)
    writer.start()
    try:
        bundles = [export_report_proof(store, report_id, verifier_key=vkey) for _ in range(8)]
    finally:
        stop.set()
        writer.join()
    assert not failures
    for bundle in bundles:
        files = unpack(bundle)
        export = _export_entry(files)
        in_bundle = sorted(int(n[8:20]) for n in files if n.startswith("entries/"))
        before = [e.seq for e in store.ledger.entries_for_report(report_id) if e.seq <= export["seq"]]
        assert in_bundle == before
        assert verify_bundle(bundle, key=vkey).ok


def _zip_declaring(name: str, declared: int) -> bytes:
    """A zip whose member claims ``declared`` bytes: a verifier must refuse it before inflating."""
    data = bytearray(pack({name: b"x"}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = declared.to_bytes(4, "little")
    return bytes(data)


def _hostile(files: dict[str, bytes], name: str, content: bytes) -> bytes:
    return pack(with_sums_fixed({**files, name: content}))


@pytest.fixture
def genuine(store: ReportStore) -> dict[str, bytes]:
    return unpack(export_report_proof(store, _report(store), verifier_key=store.ledger.signer.verifier_key()))


def _last_hash_replaced(proofs: bytes, value: bytes) -> bytes:
    first, _, rest = proofs.partition(b"\n")
    return first.rsplit(b" ", 1)[0] + b" " + value + b"\n" + rest


def _twice(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("ledger.vkey", b"attacker+00000000+AAAA\n")
    return buffer.getvalue()


HOSTILE = {
    "not a zip": lambda f: b"PK\x03\x04 not really",
    "zip bomb (declared size)": lambda f: _zip_declaring("documents/rapport-scelle.pdf", 2**31),
    "huge proofs.txt": lambda f: _hostile(
        f, "proofs.txt", b"entries/000000000000.json 0 1" + b" " + b"a" * 64 * 10**5
    ),
    "bad hex in a proof": lambda f: _hostile(
        f, "proofs.txt", _last_hash_replaced(f["proofs.txt"], b"Z" * 64)
    ),
    "non-UTF-8 checkpoint": lambda f: _hostile(f, "checkpoint.txt", b"\xff\xfe" + f["checkpoint.txt"]),
    "non-ASCII entry": lambda f: _hostile(f, "entries/000000000000.json", '{"é":1}'.encode()),
    "entry nested deep": lambda f: _hostile(f, "entries/000000000000.json", b"[" * 10**5),
    "bad vkey": lambda f: _hostile(f, "ledger.vkey", b"quitus.test+zz+AAAA\n"),
    "pem garbage": lambda f: _hostile(
        f, "ledger-public.pem", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    ),
    "SHA256SUMS garbage": lambda f: pack({**f, "SHA256SUMS": b"\x00\xff garbage\n"}),
    "a name twice": _twice,
    "format 1": lambda f: pack(
        {"manifest.json": b'{"format":"quitus-proof-bundle/1"}', "proofs.json": b"[]"}
    ),
    "empty zip": lambda f: pack({}),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_bundle_gives_problems_never_a_traceback(
    genuine: dict[str, bytes], store: ReportStore, case: str
) -> None:
    checked = verify_bundle(HOSTILE[case](genuine), key=store.ledger.signer.verifier_key())
    assert not checked.ok
    assert checked.problems
    if case == "format 1":
        assert "old format quitus-proof-bundle/1" in checked.problems[0]
        assert "quitus proof export" in checked.problems[0]


def test_random_damage_gives_problems_never_a_traceback(
    genuine: dict[str, bytes], store: ReportStore
) -> None:
    """Bytes flipped in the zip or in a member, members truncated or swapped: every verdict is a
    list of problems (a flipped zip byte may land in a field nothing reads; a changed member never)."""
    vkey = store.ledger.signer.verifier_key()
    randomly = random.Random(13)
    data = pack(genuine)
    for _ in range(150):
        damaged = bytearray(data)
        damaged[randomly.randrange(len(damaged))] ^= 1 << randomly.randrange(8)
        checked = verify_bundle(bytes(damaged), key=vkey)
        assert all(isinstance(p, str) for p in checked.problems)
    names = sorted(genuine)
    for _ in range(150):
        files = dict(genuine)
        name = randomly.choice(names)
        content = bytearray(files[name])
        match randomly.randrange(3):
            case 0 if content:
                content[randomly.randrange(len(content))] ^= 1 << randomly.randrange(8)
            case 1:
                del content[randomly.randrange(len(content) + 1) :]
            case _:
                content = bytearray(files[randomly.choice(names)]) + b"\n"
        if bytes(content) == files[name]:
            continue
        files[name] = bytes(content)
        fixed = with_sums_fixed(files) if name != "SHA256SUMS" and randomly.random() < 0.5 else files
        checked = verify_bundle(pack(fixed), key=vkey)
        assert not checked.ok, name


def test_a_problem_per_line_is_reported_within_bounds(genuine: dict[str, bytes], store: ReportStore) -> None:
    sums = b"".join(b"%s  entries/%012d.json\n" % (b"0" * 64, n) for n in range(5000))
    checked = verify_bundle(pack({**genuine, "SHA256SUMS": sums}), key=store.ledger.signer.verifier_key())
    assert not checked.ok
    assert len(checked.problems) == 201 and checked.problems[-1].startswith("… and ")


def test_a_zip_of_an_unsupported_version_is_a_problem_not_a_traceback(
    genuine: dict[str, bytes], store: ReportStore
) -> None:
    data = bytearray(pack(genuine))
    central = data.index(b"PK\x01\x02")  # the first central-directory header
    data[central + 6] = 84  # "version needed to extract": 8.4, which zipfile refuses
    checked = verify_bundle(bytes(data), key=store.ledger.signer.verifier_key())
    assert not checked.ok
    assert any("not a readable zip file" in p for p in checked.problems)


def test_a_required_witness_cosignature_is_checked(store: ReportStore) -> None:
    """A bundle exported with a witness carries its cosignature; a verifier that requires a
    witness refuses a bundle without it, or with a cosignature by another key or altered."""
    vkey = store.ledger.signer.verifier_key()
    witness = Cosigner("witness.test/w1", Ed25519PrivateKey.generate())
    witness_key = cosigner_verifier_key(witness.name, witness.public_key)
    other = Cosigner("witness.test/w1", Ed25519PrivateKey.generate())  # same name, another key

    def cosigned_by(cosigner: Cosigner) -> tuple[int, str]:
        size, note = store.ledger.checkpoint()
        return size, note + cosigner.cosign(note_text(note)[0], 1_780_000_000)

    report_id = _report(store)
    bundle = export_report_proof(store, report_id, verifier_key=vkey, checkpoint=lambda: cosigned_by(witness))
    checked = verify_bundle(bundle, key=vkey, witness_keys=[witness_key])
    assert checked.ok, checked.problems
    assert "checkpoint cosigned by witness witness.test/w1" in checked.checked
    assert verify_bundle(bundle, key=vkey).ok  # a verifier that requires none accepts it too

    alone = export_report_proof(store, report_id, verifier_key=vkey)
    refused = verify_bundle(alone, key=vkey, witness_keys=[witness_key])
    assert not refused.ok
    assert "checkpoint.txt: no valid cosignature by witness witness.test/w1" in refused.problems

    impostor = export_report_proof(store, report_id, verifier_key=vkey, checkpoint=lambda: cosigned_by(other))
    assert not verify_bundle(impostor, key=vkey, witness_keys=[witness_key]).ok
