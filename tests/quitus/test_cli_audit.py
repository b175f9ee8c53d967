"""The ledger, proofs, keys and shredding from the command line, as an auditor and a DPO use them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("audit")
    home = root / "home"
    assert quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    for number, sample in enumerate(
        generate_samples(TemplateCatalog.load(), 4, seed=3, invalid_share=0, photo_size=(120, 90))
    ):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    ingested = quitus(home, "ingest", "--format", "jsonl", str(inbox))
    ids = [json.loads(line)["report_id"] for line in ingested.stdout.splitlines()]
    assert len(ids) == 4
    return home, ids


def test_keys_live_beside_the_data_not_inside(installation: tuple[Path, list[str]]) -> None:
    home, _ = installation
    assert not list(home.rglob("*.key"))
    assert (home.parent / "home-keys" / "kek.key").exists()
    assert (home / "ledger.vkey").read_text().startswith("quitus.ledger/")


def _fingerprint(home: Path) -> str:
    printed = quitus(home, "audit", "key")
    assert printed.returncode == 0, printed.stderr
    vkey, fingerprint_line = printed.stdout.splitlines()
    assert vkey == (home / "ledger.vkey").read_text().strip()
    return fingerprint_line.rsplit(" ", 1)[1]


def _unzip(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def test_audit_verify_and_a_proof_bundle_round_trip(
    installation: tuple[Path, list[str]], tmp_path: Path
) -> None:
    home, ids = installation
    verified = quitus(home, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "ledger verified" in verified.stdout
    bundle = tmp_path / "bundle.zip"
    assert quitus(home, "proof", "export", ids[0], "-o", str(bundle)).returncode == 0
    fingerprint = _fingerprint(home)
    pem = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"],
        input=zipfile.ZipFile(bundle).read("ledger-public.pem"),
        capture_output=True,
        check=True,
    ).stdout
    assert hashlib.sha256(pem).hexdigest() == fingerprint  # what an auditor computes with openssl

    elsewhere = tmp_path / "no-installation-here"
    checked = quitus(elsewhere, "proof", "verify", str(bundle), "--fingerprint", fingerprint)
    assert checked.returncode == 0, checked.stderr
    assert "bundle verified" in checked.stdout
    key = (home / "ledger.vkey").read_text().strip()
    assert quitus(elsewhere, "proof", "verify", str(bundle), "--key", key).returncode == 0
    # Finding (b): no pin, no verdict: the bundle's own key proves nothing.
    unpinned = quitus(elsewhere, "proof", "verify", str(bundle))
    assert unpinned.returncode == 2
    assert "quitus audit key" in unpinned.stderr and "openssl pkey" in unpinned.stderr
    wrong = quitus(elsewhere, "proof", "verify", str(bundle), "--fingerprint", "00" * 32)
    assert wrong.returncode == 1 and "not the pinned key" in wrong.stderr

    unzipped = _unzip(bundle, tmp_path / "unzipped")
    script = subprocess.run(
        ["bash", "verify.sh", fingerprint], cwd=unzipped, capture_output=True, text=True, check=False
    )
    assert script.returncode == 0, script.stdout + script.stderr
    assert "bundle verified" in script.stdout
    refused = subprocess.run(["bash", "verify.sh"], cwd=unzipped, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "quitus audit key" in refused.stderr
    entry = sorted((unzipped / "entries").iterdir())[0]
    entry.write_bytes(entry.read_bytes().replace(b"receive", b"recieve"))
    broken = subprocess.run(
        ["bash", "verify.sh", fingerprint], cwd=unzipped, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1
    assert "BAD" in broken.stdout


def test_a_format_1_bundle_is_named_as_such(tmp_path: Path) -> None:
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as archive:
        archive.writestr("manifest.json", '{"format": "quitus-proof-bundle/1", "files": {}}')
        archive.writestr("proofs.json", "[]")
    result = quitus(tmp_path / "home", "proof", "verify", str(old), "--fingerprint", "ab" * 32)
    assert result.returncode == 1
    assert "old format quitus-proof-bundle/1" in result.stderr and "Traceback" not in result.stderr


def test_audit_verify_names_a_tampered_blob(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    target = sorted((home / "blobs" / ids[1]).iterdir())[0]
    original = target.read_bytes()
    target.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    try:
        result = quitus(home, "audit", "verify")
        assert result.returncode == 1
        assert f"blob {target.name} of report {ids[1]} was modified" in result.stderr
    finally:
        target.write_bytes(original)


def test_audit_verify_names_the_first_edited_entry(tmp_path: Path) -> None:
    home = tmp_path / "home"
    quitus(home, "init")
    (tmp_path / "bad.json").write_text("{}")
    quitus(home, "ingest", str(tmp_path / "bad.json"))
    with sqlite3.connect(home / "quitus.db") as connection:
        connection.execute("DROP TRIGGER ledger_entries_no_update")
        [(seq,)] = connection.execute("SELECT seq FROM ledger_entries WHERE entry LIKE '%rejected%'")
        connection.execute(
            "UPDATE ledger_entries SET entry = replace(entry, 'rejected', 'captured') WHERE seq = ?", (seq,)
        )
    result = quitus(home, "audit", "verify")
    assert result.returncode == 1
    assert f"entry {seq} was modified" in result.stderr
    assert f"first bad entry: {seq}" in result.stderr


def test_shred_then_rotate_keys(installation: tuple[Path, list[str]]) -> None:
    home, ids = installation
    # A heat pump's report is kept five years by law (fluorinated gases): shredding it on
    # request is refused, and says until when; the electrical inspection's is not.
    kept = quitus(home, "reports", "shred", ids[2], "--reason", "subject_request", "--yes")
    assert kept.returncode == 4  # refused by a rule
    assert "fr.fluides-frigorigenes" in kept.stderr and "Art. 17(3)(b)" in kept.stderr
    assert "erased" not in quitus(home, "reports", "show", ids[2]).stdout
    shredded = quitus(home, "reports", "shred", ids[3], "--reason", "subject_request", "--yes")
    assert shredded.returncode == 0 and "data key destroyed" in shredded.stdout
    assert "erased" in quitus(home, "reports", "show", ids[3]).stdout
    revealed = quitus(home, "reports", "show", ids[3], "--reveal")
    assert "the data key was destroyed, nothing can be revealed" in revealed.stdout
    rotated = quitus(home, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped 3 data keys" in rotated.stdout
    status = quitus(home, "keys", "status")
    assert "1 data keys destroyed" in status.stdout.replace("  ", " ").replace("  ", " ")
    shown = quitus(home, "reports", "show", ids[0], "--reveal")
    assert shown.returncode == 0 and '"client"' in shown.stdout
    assert quitus(home, "audit", "verify").returncode == 0
    # Finding (d): an erased report's proof exports without being told to leave documents out.
    bundle = home.parent / "erased.zip"
    exported = quitus(home, "proof", "export", ids[3], "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    fingerprint = _fingerprint(home)
    checked = quitus(home, "proof", "verify", str(bundle), "--fingerprint", fingerprint)
    assert checked.returncode == 0, checked.stderr
    names = zipfile.ZipFile(bundle).namelist()
    assert "documents/disposition.json" in names and "documents/certificat-disposition.pdf" in names
    unzipped = _unzip(bundle, home.parent / "erased")
    script = subprocess.run(
        ["bash", "verify.sh", fingerprint], cwd=unzipped, capture_output=True, text=True, check=False
    )
    assert script.returncode == 0, script.stdout + script.stderr
    assert "ok  documents/disposition.json" in script.stdout
