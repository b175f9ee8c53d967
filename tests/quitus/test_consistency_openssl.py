"""Consistency proofs an auditor checks with bash, coreutils and openssl alone.

`quitus audit consistency --from KEPT -o DIR` writes a folder; `verify-consistency.sh` in it is
run for real (no Python in it) on genuine proofs of many shapes and on tampered ones: a ledger
truncated then grown again, an edited hash, a swapped key, another kept checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.ledger.checkpoint import (
    Checkpoint,
    generate_signing_key,
    load_signer,
    parse_verifier_key,
    sign_checkpoint,
)
from storage.ledger.consistency import ConsistencyProof, consistency_folder
from storage.ledger.merkle import MemoryNodeStore, consistency_proof, root_hash
from storage.ledger.witness import Cosigner
from tests.cli_runner import run_quitus
from tests.quitus.test_cli_ledger_rollback import attacker, forge_events, home_signer, log_of, truncate

SIGNER = load_signer("quitus.ledger/test", generate_signing_key()[0])


def fingerprint_of(vkey: str) -> str:
    """What the company publishes: SHA-256 of the key's DER SubjectPublicKeyInfo."""
    public = Ed25519PublicKey.from_public_bytes(parse_verifier_key(vkey).public_key)
    return hashlib.sha256(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def run_script(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(folder / "verify-consistency.sh"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin"},  # nothing but the system's tools
    )


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def proof_folder(
    tmp_path: Path, old: int, new: int, *, other_history: bool = False, cosigner: Cosigner | None = None
) -> Path:
    tree = MemoryNodeStore()
    for n in range(new):
        tree.append(f"entry {n}".encode())
    old_tree = tree
    if other_history:
        old_tree = MemoryNodeStore()
        for n in range(old):
            old_tree.append(f"other entry {n}".encode())
    old_cp = Checkpoint(SIGNER.name, old, root_hash(old, old_tree))
    new_cp = Checkpoint(SIGNER.name, new, root_hash(new, tree))
    path = tuple(consistency_proof(old, new, tree)) if 0 < old < new else ()
    new_note = sign_checkpoint(new_cp, SIGNER)
    if cosigner is not None:
        new_note += cosigner.cosign(new_cp.body(), 1_790_000_000)
    proof = ConsistencyProof(sign_checkpoint(old_cp, SIGNER), new_note, old_cp, new_cp, path)
    return write(tmp_path / f"proof-{old}-{new}", consistency_folder(proof, SIGNER.verifier_key()))


PIN = fingerprint_of(SIGNER.verifier_key())


@pytest.mark.parametrize(
    ("old", "new"),
    [(1, 2), (1, 8), (2, 3), (3, 7), (4, 4), (4, 9), (6, 17), (7, 8), (8, 16), (13, 40), (0, 5), (31, 33)],
)
def test_the_script_verifies_genuine_proofs_of_every_shape(tmp_path: Path, old: int, new: int) -> None:
    checked = run_script(proof_folder(tmp_path, old, new), "--fingerprint", PIN)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.rstrip().endswith("consistency proof verified")
    assert "FAILED" not in checked.stdout


@pytest.mark.parametrize(("old", "new"), [(3, 7), (4, 9), (8, 16), (5, 5)])
def test_the_script_refuses_another_history(tmp_path: Path, old: int, new: int) -> None:
    checked = run_script(proof_folder(tmp_path, old, new, other_history=True), "--fingerprint", PIN)
    assert checked.returncode == 1, checked.stdout
    assert "NOT consistent" in checked.stdout


def test_every_hash_and_size_of_the_proof_counts(tmp_path: Path) -> None:
    genuine = proof_folder(tmp_path, 6, 17)
    lines = (genuine / "proof.txt").read_text().splitlines()
    for number in range(1, len(lines)):
        edited = tmp_path / f"edited-{number}"
        shutil.copytree(genuine, edited)
        changed = list(lines)
        changed[number] = ("0" if changed[number][0] != "0" else "1") + changed[number][1:]
        (edited / "proof.txt").write_text("\n".join(changed) + "\n")
        checked = run_script(edited, "--fingerprint", PIN)
        assert checked.returncode == 1 and "NOT consistent" in checked.stdout, number
    dropped = tmp_path / "dropped"
    shutil.copytree(genuine, dropped)
    (dropped / "proof.txt").write_text("\n".join(lines[:-1]) + "\n")
    assert run_script(dropped, "--fingerprint", PIN).returncode == 1
    resized = tmp_path / "resized"
    shutil.copytree(genuine, resized)
    (resized / "proof.txt").write_text("\n".join(["6 16", *lines[1:]]) + "\n")
    assert "proof.txt says '6 16'" in run_script(resized, "--fingerprint", PIN).stdout


def test_a_swapped_key_or_signature_is_refused(tmp_path: Path) -> None:
    genuine = proof_folder(tmp_path, 3, 7)
    impostor = load_signer(SIGNER.name, generate_signing_key()[0])
    # Everything re-signed with another key, its own public key in the folder: the pin says no.
    swapped = tmp_path / "swapped"
    shutil.copytree(genuine, swapped)
    tree = MemoryNodeStore()
    for n in range(7):
        tree.append(f"entry {n}".encode())
    old_cp, new_cp = (Checkpoint(SIGNER.name, s, root_hash(s, tree)) for s in (3, 7))
    forged = ConsistencyProof(
        sign_checkpoint(old_cp, impostor),
        sign_checkpoint(new_cp, impostor),
        old_cp,
        new_cp,
        tuple(consistency_proof(3, 7, tree)),
    )
    for name, data in consistency_folder(forged, impostor.verifier_key()).items():
        (swapped / name).write_bytes(data)
    checked = run_script(swapped, "--fingerprint", PIN)
    assert checked.returncode == 1 and "its fingerprint is" in checked.stdout
    # The pinned key kept, another key's signature put in: it does not verify.
    resigned = tmp_path / "resigned"
    shutil.copytree(genuine, resigned)
    for name in ("checkpoint.txt", "checkpoint.body", "checkpoint.sig"):
        shutil.copy(swapped / name, resigned / name)
    checked = run_script(resigned, "--fingerprint", PIN)
    assert checked.returncode == 1 and "carries no signature by the pinned key" in checked.stdout
    # A body edited under a genuine signature.
    edited = tmp_path / "edited-body"
    shutil.copytree(genuine, edited)
    body = (edited / "checkpoint.body").read_text().replace("\n7\n", "\n8\n")
    (edited / "checkpoint.body").write_text(body)
    assert (
        "checkpoint.body is not the text of checkpoint.txt" in run_script(edited, "--fingerprint", PIN).stdout
    )
    note = (edited / "checkpoint.txt").read_text().replace("\n7\n", "\n8\n", 1)
    (edited / "checkpoint.txt").write_text(note)
    assert "the signature does not verify" in run_script(edited, "--fingerprint", PIN).stdout


def pem_of(cosigner: Cosigner, path: Path) -> Path:
    path.write_bytes(
        Ed25519PublicKey.from_public_bytes(cosigner.public_key).public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_the_script_checks_the_witness_cosignature_when_given_its_key(tmp_path: Path) -> None:
    witness = Cosigner("witness.test/w1", Ed25519PrivateKey.generate())
    stranger = Cosigner("witness.test/w1", Ed25519PrivateKey.generate())
    folder = proof_folder(tmp_path, 3, 7, cosigner=witness)
    witness_pem = pem_of(witness, tmp_path / "witness.pem")
    checked = run_script(folder, "--fingerprint", PIN, "--witness-pem", str(witness_pem))
    assert checked.returncode == 0, checked.stdout
    assert "ok  cosigned by witness.test/w1 at 2026-09-21 " in checked.stdout
    other = run_script(
        folder, "--fingerprint", PIN, "--witness-pem", str(pem_of(stranger, tmp_path / "o.pem"))
    )
    assert other.returncode == 1 and "no valid cosignature by this witness" in other.stdout
    (tmp_path / "plain").mkdir()
    plain = proof_folder(tmp_path / "plain", 3, 7)  # not cosigned at all
    assert run_script(plain, "--fingerprint", PIN, "--witness-pem", str(witness_pem)).returncode == 1
    # A cosignature re-timed without the witness's key does not verify.
    note = (folder / "checkpoint.txt").read_text()
    line = note.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[11] ^= 1
    retimed = note.replace(line, line.rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(raw)).decode())
    (folder / "checkpoint.txt").write_text(retimed)
    checked = run_script(folder, "--fingerprint", PIN, "--witness-pem", str(witness_pem))
    assert checked.returncode == 1 and "the cosignature by witness.test/w1 does not verify" in checked.stdout
    assert "ok  checkpoint.txt: signed by the pinned key" in checked.stdout  # the ledger's line is intact


def test_the_script_wants_a_pinned_key(tmp_path: Path) -> None:
    folder = proof_folder(tmp_path, 2, 5)
    assert run_script(folder).returncode == 2
    assert run_script(folder, "--fingerprint", "abc").returncode == 2
    pasted = f"{PIN.upper()}  -"  # as sha256sum prints it, any case
    assert run_script(folder, "--fingerprint", pasted).returncode == 0


# -- on a real home ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_auditor_checks_a_real_ledger_with_openssl_and_sees_it_regrown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    forge_events(home, 5, signer=home_signer(home))  # the company's own events, then signed
    kept_run = run_quitus(home, "audit", "checkpoint")
    assert kept_run.returncode == 0, kept_run.stderr
    kept = tmp_path / "kept-checkpoint.txt"
    kept.write_text(kept_run.stdout)
    forge_events(home, 4, signer=home_signer(home))
    assert run_quitus(home, "audit", "checkpoint").returncode == 0
    vkey = (home / "ledger.vkey").read_text().strip()
    pin = fingerprint_of(vkey)

    made = run_quitus(home, "audit", "consistency", "--from", str(kept), "-o", str(tmp_path / "proof"))
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "proof"
    sizes = [int(n) for n in (folder / "proof.txt").read_text().splitlines()[0].split()]
    assert sizes[1] - sizes[0] == 4  # the kept checkpoint's size, then today's: four entries more
    pem_pin = subprocess.run(
        f"openssl pkey -pubin -in {folder / 'ledger-public.pem'} -outform DER | sha256sum",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    assert pem_pin == pin
    checked = run_script(folder, "--fingerprint", pin, "--kept", str(kept))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"ok  the {sizes[1]} entries begin with the {sizes[0]} signed before" in checked.stdout
    offline = run_quitus(tmp_path / "elsewhere", "audit", "check-consistency", str(folder), "--key", vkey)
    assert offline.returncode == 0, offline.stderr
    other = tmp_path / "other.txt"
    other.write_text((folder / "checkpoint.txt").read_text())
    refused = run_script(folder, "--fingerprint", pin, "--kept", str(other))
    assert refused.returncode == 1 and "is not the checkpoint you kept" in refused.stdout

    # The company, key in hand, truncates to 3 entries, forgets every checkpoint and grows it again.
    with attacker(home) as connection:
        truncate(connection, 3, keep_checkpoints=False)
    log_of(home).unlink()
    forge_events(home, 8, signer=home_signer(home))  # key in hand
    assert run_quitus(home, "audit", "checkpoint").returncode == 0
    regrown = run_quitus(home, "audit", "consistency", "--from", str(kept), "-o", str(tmp_path / "regrown"))
    assert regrown.returncode == 1 and "it was rewritten" in regrown.stderr
    checked = run_script(tmp_path / "regrown", "--fingerprint", pin, "--kept", str(kept))
    assert checked.returncode == 1
    assert "NOT consistent" in checked.stdout and "2. both checkpoints are signed by it" in checked.stdout
    assert "ok  checkpoint.txt: signed by the pinned key" in checked.stdout  # signed, and still caught
