"""``quitus proof export`` follows the access rules of ``quitus reports pdf``, and the bundle
of a held report carries its hold: as a DPO exports and an auditor checks."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.steps import LedgerStep
from tests.cli_runner import run_quitus

quitus = run_quitus


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """Two sealed reports: the first held, the second restricted (an erasure refused under a
    legal obligation); and the ledger key's fingerprint."""
    root = tmp_path_factory.mktemp("proof")
    home = root / "home"
    assert quitus(home, "init").returncode == 0
    inbox = root / "inbox"
    inbox.mkdir()
    samples = generate_samples(
        TemplateCatalog.load(), 2, seed=9, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    for number, sample in enumerate(samples):
        (inbox / f"{number}.json").write_text(
            json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8"
        )
    lines = quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    ids = [json.loads(line)["report_id"] for line in lines]
    processed = quitus(home, "process")
    assert processed.returncode == 0, processed.stderr
    assert quitus(home, "holds", "place", "--reason", "RG-2026-1", "--report", ids[0]).returncode == 0
    (home / "policies" / "obligation.yaml").write_text(
        "id: acme.obligation\ntitle: Tout garder dix ans\nlegal_basis:\n  text: Obligation.\n"
        "  references: [Test]\n  obligation: true\ntrigger:\n  kind: intervention_date\n"
        "duration: P99Y\naction: delete\n",
        encoding="utf-8",
    )
    erased = quitus(home, "subject", "erase", "--name", samples[1].payload["client"]["name"], "--yes")
    assert "restricted" in erased.stdout, erased.stdout + erased.stderr
    fingerprint = quitus(home, "audit", "key").stdout.splitlines()[1].rsplit(" ", 1)[1]
    return home, ids, fingerprint


def _entries(bundle: Path) -> list[dict[str, object]]:
    with zipfile.ZipFile(bundle) as archive:
        return [json.loads(archive.read(n)) for n in sorted(archive.namelist()) if n.startswith("entries/")]


def _verifies(home: Path, bundle: Path, fingerprint: str) -> None:
    checked = quitus(home, "proof", "verify", str(bundle), "--fingerprint", fingerprint)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    folder = bundle.with_suffix("")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    script = subprocess.run(
        ["bash", "verify.sh", fingerprint], cwd=folder, capture_output=True, text=True, check=False
    )
    assert script.returncode == 0, script.stdout + script.stderr


def test_a_held_reports_bundle_carries_its_hold_and_its_sealed_pdf(
    sealed: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    home, ids, fingerprint = sealed
    bundle = tmp_path / "held.zip"
    # The sample's intervention is old: in intermediate archiving, its PDF is a justified read.
    exported = quitus(home, "proof", "export", ids[0], "-o", str(bundle), "--justify", "audit")
    assert exported.returncode == 0, exported.stderr
    assert "legal holds hold-" in exported.stdout
    steps = [e["step"] for e in _entries(bundle)]
    assert (
        LedgerStep.HOLD_PLACE in steps
        and LedgerStep.SEAL in steps
        and steps[-2:] == [LedgerStep.READ, LedgerStep.PROOF_EXPORT]
    )
    assert "documents/rapport-scelle.pdf" in zipfile.ZipFile(bundle).namelist()
    _verifies(home, bundle, fingerprint)


def test_a_restricted_reports_pdf_needs_justify_and_the_read_is_recorded(
    sealed: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    home, ids, fingerprint = sealed
    bundle = tmp_path / "restricted.zip"
    refused = quitus(home, "proof", "export", ids[1], "-o", str(bundle))
    assert refused.returncode == 4
    assert "needs --justify CODE" in refused.stderr and "--no-documents" in refused.stderr
    assert not bundle.exists()

    justified = quitus(home, "proof", "export", ids[1], "-o", str(bundle), "--justify", "litigation")
    assert justified.returncode == 0, justified.stderr
    read, export = _entries(bundle)[-2:]
    assert read["step"] == LedgerStep.READ and read["details"] == {
        "document": "pdf_full",
        "justification": "litigation",
    }
    assert export["step"] == LedgerStep.PROOF_EXPORT
    assert "documents/rapport-scelle.pdf" in zipfile.ZipFile(bundle).namelist()
    _verifies(home, bundle, fingerprint)

    without = tmp_path / "without.zip"
    assert quitus(home, "proof", "export", ids[1], "-o", str(without), "--no-documents").returncode == 0
    assert not [n for n in zipfile.ZipFile(without).namelist() if n.startswith("documents/")]
    assert _entries(without)[-2]["step"] == LedgerStep.PROOF_EXPORT  # the previous export; no new read
    _verifies(home, without, fingerprint)
