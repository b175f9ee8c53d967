"""Every export through the command line: private (0600 even with umask 022), never through a
predictable name, and ``-`` for standard output or input wherever a file is written or read."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

pytestmark = pytest.mark.slow  # a sealed report, then one process per command


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)  # the children inherit it: a common default
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Sample, str]:
    root = tmp_path_factory.mktemp("stdio")
    home = root / "home"
    assert run_quitus(home, "init").returncode == 0
    (sample,) = generate_samples(
        TemplateCatalog.load(), 1, seed=5, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    ingested = run_quitus(
        home, "ingest", "--format", "jsonl", "-", stdin=json.dumps(sample.payload).encode("utf-8")
    )
    report_id = json.loads(ingested.stdout.splitlines()[0])["report_id"]
    assert run_quitus(home, "process").returncode == 0
    fingerprint = run_quitus(home, "audit", "key").stdout.splitlines()[1].rsplit(" ", 1)[1]
    return home, report_id, sample, fingerprint


def _binary(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "QUITUS_HOME": str(home), "NO_COLOR": "1"}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "quitus", *args], env=env, input=stdin, capture_output=True, check=False
    )


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("reports", "pdf", "{id}", "--justify", "litigation"), "report.pdf"),
        (("proof", "export", "{id}", "--justify", "litigation"), "proof.zip"),
        (("subject", "export", "--email", "{email}"), "subject.zip"),
        (("forms", "blank", "{template}"), "blank.pdf"),
    ],
)
def test_an_export_is_private_and_ignores_a_planted_symlink(
    sealed: tuple[Path, str, Sample, str], tmp_path: Path, command: tuple[str, ...], name: str
) -> None:
    home, report_id, sample, _ = sealed
    values = {"id": report_id, "email": sample.payload["client"]["email"], "template": sample.template_id}
    args = [part.format(**values) for part in command]
    victim = tmp_path / "victim"
    victim.write_bytes(b"untouched")
    (tmp_path / f"{name}.part").symlink_to(victim)  # the name the export used to write through
    result = run_quitus(home, *args, "-o", str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    assert _private(tmp_path / name)
    assert victim.read_bytes() == b"untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, f"{name}.part", "victim"])


def test_dash_writes_the_document_alone_to_stdout(
    sealed: tuple[Path, str, Sample, str], tmp_path: Path
) -> None:
    home, report_id, sample, fingerprint = sealed
    pdf = _binary(home, "reports", "pdf", report_id, "--justify", "litigation", "-o", "-")
    assert pdf.returncode == 0, pdf.stderr
    assert pdf.stdout.startswith(b"%PDF-") and b"wrote -" in pdf.stderr
    assert not (Path.cwd() / "-").exists()
    checked = _binary(home, "verify-pdf", "-", stdin=pdf.stdout)
    assert checked.returncode == 0, checked.stderr
    assert b"valid and trusted" in checked.stdout

    bundle = _binary(home, "proof", "export", report_id, "--justify", "litigation", "-o", "-")
    assert bundle.returncode == 0, bundle.stderr
    assert bundle.stdout.startswith(b"PK")
    assert any(n.startswith("entries/") for n in zipfile.ZipFile(io.BytesIO(bundle.stdout)).namelist())
    verified = _binary(
        home, "proof", "verify", "-", "--fingerprint", fingerprint, "--json", stdin=bundle.stdout
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    answer = _binary(home, "subject", "export", "--email", sample.payload["client"]["email"], "-o", "-")
    assert answer.returncode == 0, answer.stderr
    assert "subject.json" in zipfile.ZipFile(io.BytesIO(answer.stdout)).namelist()

    schema = _binary(home, "schema", "-o", "-")
    assert json.loads(schema.stdout)["$id"].endswith("report-v1.json")

    checkpoint = _binary(home, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    proof = _binary(home, "audit", "consistency", "--from", "-", "-o", "-", stdin=checkpoint.stdout)
    assert proof.returncode == 0, proof.stderr
    assert json.loads(proof.stdout)


def test_pii_redact_reads_a_file_or_dash(tmp_path: Path) -> None:
    text = "Appeler M. Jean Dupont au 06 12 34 56 78 avant la visite.\n"
    note = tmp_path / "note.txt"
    note.write_text(text, encoding="utf-8")
    from_file = run_quitus(tmp_path / "nohome", "pii", "redact", str(note))
    from_dash = run_quitus(tmp_path / "nohome", "pii", "redact", "-", stdin=text.encode("utf-8"))
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == from_dash.stdout
    assert "Dupont" not in from_file.stdout and "06 12" not in from_file.stdout
    missing = run_quitus(tmp_path / "nohome", "pii", "redact", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
