"""Keys that cannot fork a home (issue 14): lost, wrong, missing or damaged keys are refused
before anything is written, with a message that says to restore the keys backup.

Real processes (``quitus`` as an operator runs it) on a real home, and the recovery
procedure of docs/operations.md followed step by step.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import stat
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.database import Database
from storage.errors import ForeignKeysError, KeysMissingError
from storage.key_safety import open_keys
from storage.keys import KEY_MANIFEST_FILE, create_key_files, load_key_material, read_manifest
from tests.cli_runner import run_quitus

RESTORE = "restore your keys backup"


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with two ingested reports, its keys beside it; copied afresh for each test."""
    root = tmp_path_factory.mktemp("populated")
    home = root / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    samples = [s for s in generate_samples(TemplateCatalog.load(), 6, seed=51) if s.expected == "valid"][:2]
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(json.dumps(sample.payload), encoding="utf-8")
    ingest = run_quitus(home, "ingest", str(inbox))
    assert ingest.returncode == 0, ingest.stderr
    return root


@pytest.fixture
def home(populated: Path, tmp_path: Path) -> Path:
    shutil.copytree(populated / "home", tmp_path / "home")
    shutil.copytree(populated / "home-keys", tmp_path / "home-keys")
    return tmp_path / "home"


def _keys(home: Path) -> Path:
    return home.parent / f"{home.name}-keys"


def _report_ids(home: Path) -> list[str]:
    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 0, listed.stderr
    # Internal ids only (a line also shows the readable number, RI-2026-…).
    return [word for word in listed.stdout.split() if re.fullmatch(r"RI-[0-9A-Z]{26}", word)]


def _snapshot(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_lost_key_folder_says_restore_the_backup_and_init_refuses_to_fork_the_home(home: Path) -> None:
    shutil.rmtree(_keys(home))
    before = _snapshot(home)

    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 2
    assert RESTORE in listed.stderr
    assert "run `quitus init`" not in listed.stderr

    init = run_quitus(home, "init")
    assert init.returncode == 2
    assert "will not create keys for this home" in init.stderr and RESTORE in init.stderr
    assert not _keys(home).exists(), "init created keys for a home that holds data"
    assert _snapshot(home) == before, "a refused command wrote to the home"


@pytest.mark.slow
@pytest.mark.parametrize("lost", ["kek.key", "index.key", "ledger.key", "datakeys.db"])
def test_one_lost_key_file_is_named_and_init_refuses(home: Path, lost: str) -> None:
    (_keys(home) / lost).unlink()
    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 2
    assert lost in listed.stderr and RESTORE in listed.stderr
    assert "internal error" not in listed.stderr
    init = run_quitus(home, "init")
    assert init.returncode == 2 and lost in init.stderr
    assert not (_keys(home) / lost).exists()


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "emptied", "garbage"])
def test_a_damaged_key_store_is_a_clear_message(home: Path, damage: str) -> None:
    path = _keys(home) / "datakeys.db"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:1000], "emptied": b"", "garbage": secrets.token_bytes(4096)}[damage])
    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 2
    assert "internal error" not in listed.stderr and "Traceback" not in listed.stderr
    assert "datakeys.db" in listed.stderr and RESTORE in listed.stderr


@pytest.mark.slow
def test_a_wrong_but_well_formed_kek_is_refused_before_any_write(home: Path, tmp_path: Path) -> None:
    keys = _keys(home)
    before = _snapshot(home)
    stored_keys = (keys / "datakeys.db").read_bytes()
    inbox = tmp_path / "more"
    inbox.mkdir()
    sample = generate_samples(TemplateCatalog.load(), 3, seed=52)[0]
    (inbox / "new.json").write_text(json.dumps(sample.payload), encoding="utf-8")

    # Another installation's kek.key in the folder, then a wrong QUITUS_KEK.
    (keys / "kek.key").write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    ingest = run_quitus(home, "ingest", str(inbox))
    assert ingest.returncode == 2
    assert "is not the key that wrote this home: restore your keys backup" in ingest.stderr
    assert _snapshot(home) == before and (keys / "datakeys.db").read_bytes() == stored_keys


@pytest.mark.slow
def test_a_wrong_kek_in_the_environment_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUITUS_KEK", base64.b64encode(secrets.token_bytes(32)).decode())
    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 2
    assert "is not the key that wrote this home" in listed.stderr


@pytest.mark.slow
def test_a_whole_key_folder_of_another_installation_is_refused(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run_quitus(other, "init").returncode == 0
    shutil.rmtree(_keys(home))
    shutil.copytree(_keys(other), _keys(home))
    listed = run_quitus(home, "reports", "list")
    assert listed.returncode == 2
    assert "not the key that wrote this home" in listed.stderr or "not the key store" in listed.stderr
    assert RESTORE in listed.stderr


def test_keys_are_checked_against_the_fingerprints_of_their_folder(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    create_key_files(keys)
    manifest = read_manifest(keys)
    assert manifest is not None and manifest.kek == load_key_material(keys).kek_id
    assert "index" in (keys / KEY_MANIFEST_FILE).read_text()
    for key in ("kek.key", "index.key", "ledger.key"):
        original = (keys / key).read_bytes()
        (keys / key).write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        with pytest.raises(ForeignKeysError, match=f"{key}.* is not the key that wrote this home"):
            load_key_material(keys)
        (keys / key).write_bytes(original)
    load_key_material(keys)


def test_a_key_store_of_another_home_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    create_key_files(keys)
    database = Database(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(KeysMissingError, match="quitus init"):  # a new home: init is the way
        open_keys(tmp_path / "nowhere", f"sqlite:///{keys / 'datakeys.db'}", database)
    assert not (tmp_path / "missing.db").exists(), "checking a home created its database"


@pytest.mark.slow
def test_every_key_file_and_the_key_store_are_private_whatever_the_umask(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init = run_quitus(home, "init", stdin=None)
    assert init.returncode == 0
    keys = _keys(home)
    private = [keys / n for n in ("kek.key", "index.key", "ledger.key", "datakeys.db", KEY_MANIFEST_FILE)]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for path in private:
        path.chmod(0o644)  # restored from a backup that lost the modes, or made by an older version
    assert run_quitus(home, "reports", "list").returncode == 0
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.slow
def test_init_with_a_permissive_umask_still_makes_private_files(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    code = "import os, sys; os.umask(0); from quitus.cli import main; sys.argv=['quitus','init']; main()"
    env = {**os.environ, "QUITUS_HOME": str(home)}
    env.pop("QUITUS_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for path in _keys(home).iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.slow
def test_the_keys_loss_recovery_procedure_of_the_operations_guide(home: Path, tmp_path: Path) -> None:
    """docs/operations.md, 'Keys: loss and recovery', step by step."""
    keys = _keys(home)
    ids = _report_ids(home)
    assert len(ids) == 2
    # 1. Back up the key folder (key files, fingerprints.json, datakeys.db), apart from the data.
    backup = tmp_path / "offsite" / "home-keys"
    shutil.copytree(keys, backup)
    # Life goes on: a key rotation after the backup (then a second backup is due, see the guide).
    assert run_quitus(home, "keys", "rotate").returncode == 0
    shutil.rmtree(backup)
    shutil.copytree(keys, backup)
    # 2. The key folder is lost.
    shutil.rmtree(keys)
    lost = run_quitus(home, "reports", "show", ids[0], "--reveal", "--justify", "key_recovery")
    assert lost.returncode == 2 and RESTORE in lost.stderr
    assert run_quitus(home, "init").returncode == 2  # the guide: never `quitus init` here
    # 3. Restore the backup where QUITUS_KEY_DIR points (modes 0700 / 0600).
    shutil.copytree(backup, keys)
    # 4. Check: the ledger verifies, every report reads.
    verify = run_quitus(home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "TAMPERED" not in verify.stdout + verify.stderr
    for report_id in ids:
        shown = run_quitus(home, "reports", "show", report_id, "--reveal", "--justify", "key_recovery")
        assert shown.returncode == 0, shown.stderr
    status = run_quitus(home, "keys", "status")
    assert status.returncode == 0 and "wrapped by" in status.stdout
