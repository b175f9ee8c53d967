"""A real witness process on loopback (`quitus witness serve`) and a real ledger submitting to it.

The ledger grows and is cosigned, grows and is cosigned again (consistency checked by the
witness); a rolled-back or forked ledger under the same key is refused; a forged signature,
an unknown log and malformed requests are refused with the protocol's status and never a
traceback; the witness's state survives a restart.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from storage.database import Database
from storage.ledger.anchors import CheckpointLog
from storage.ledger.checkpoint import Checkpoint, generate_signing_key, load_signer, sign_checkpoint
from storage.ledger.events import LedgerEvent
from storage.ledger.steps import LedgerStep
from storage.ledger.store import Ledger, origin_for
from storage.ledger.verify import verify_ledger
from storage.ledger.witness import (
    AddCheckpointRequest,
    WitnessRefusedError,
    WitnessUnavailableError,
    verify_cosignatures,
)
from storage.ledger.witness_client import (
    WitnessEndpoint,
    latest_cosigned_note,
    submit_checkpoint,
    witness_problems,
)
from tests.cli_runner import free_port, run_quitus
from tests.quitus.test_cli_ledger_rollback import forge_events, home_signer
from tests.quitus.test_consistency_openssl import fingerprint_of

pytestmark = pytest.mark.slow


def quitus_witness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quitus.cli", "witness", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


@dataclass
class Witness:
    directory: Path
    vkey: str
    url: str = ""
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        port = free_port()
        command = [sys.executable, "-m", "quitus.cli", "witness", "serve", "--dir", str(self.directory)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=(self.directory.parent / "witness.log").open("a"),
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the server says so once it listens
        assert line.startswith("witness listening on"), line
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def endpoint(self) -> WitnessEndpoint:
        return WitnessEndpoint.from_config(self.url, self.vkey, timeout=5)

    def post(self, body: bytes) -> httpx.Response:
        return httpx.post(self.url + "/add-checkpoint", content=body, timeout=5)

    def state(self) -> dict[str, dict[str, object]]:
        logs: dict[str, dict[str, object]] = json.loads((self.directory / "state.json").read_text())["logs"]
        return logs


LEDGER_KEY = generate_signing_key()[0]


def ledger_at(folder: Path, key: bytes = LEDGER_KEY) -> Ledger:
    """A ledger on SQLite with its checkpoints.log, signing as quitus names its key."""
    folder.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{folder / 'quitus.db'}")
    database.upgrade()
    signer = load_signer(origin_for(load_signer("quitus.ledger", key)), key)
    return Ledger(database, signer, anchors=CheckpointLog(folder / "checkpoints.log"))


def grow(ledger: Ledger, count: int, tag: str = "") -> None:
    ledger.record(
        *(
            LedgerEvent(
                step=LedgerStep.RECEIVE, actor="job:intake", outcome="received", report_id=f"RI-{tag}{n}"
            )
            for n in range(count)
        )
    )


def _vkey() -> str:
    return load_signer(origin_for(load_signer("quitus.ledger", LEDGER_KEY)), LEDGER_KEY).verifier_key()


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Witness]:
    directory = tmp_path / "witness"
    created = quitus_witness("init", "--dir", str(directory), "--name", "witness.test/w1")
    assert created.returncode == 0, created.stderr
    vkey = (directory / "witness.vkey").read_text().strip()
    assert vkey in created.stdout and "fingerprint" in created.stdout
    added = quitus_witness("add-log", "--dir", str(directory), "--vkey", _vkey())
    assert added.returncode == 0, added.stderr
    running = Witness(directory, vkey)
    running.start()
    yield running
    running.stop()
    log = (tmp_path / "witness.log").read_text()
    assert "Traceback" not in log, log


def test_the_ledger_is_cosigned_as_it_grows(witness: Witness, tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path / "ledger")
    grow(ledger, 3)
    first = submit_checkpoint(ledger, witness.endpoint())
    assert first.size == 3
    assert [c.witness for c in verify_cosignatures(first.note, [witness.vkey])] == ["witness.test/w1"]
    grow(ledger, 6)
    second = submit_checkpoint(ledger, witness.endpoint())  # from 3: the witness checks the proof
    assert second.size == 9
    assert witness.state()[ledger.origin]["size"] == 9
    # Kept in checkpoints.log, where audit verify proves every record consistent with the tree.
    records, damaged = CheckpointLog(tmp_path / "ledger" / "checkpoints.log").records()
    assert not damaged and records[-1].note == second.note
    assert verify_ledger(ledger, ledger.signer.verifier_key()).ok
    assert latest_cosigned_note(ledger, [witness.vkey], at_least=4) == second.note
    assert latest_cosigned_note(ledger, [witness.vkey], at_least=10) is None
    assert witness_problems(ledger, [witness.vkey]) == []
    grow(ledger, 1)
    ledger.checkpoint()  # a routine checkpoint, not witnessed yet
    (problem,) = witness_problems(ledger, [witness.vkey])
    assert "the latest checkpoint (10 entries) is not cosigned by witness witness.test/w1" in problem
    assert "the latest it cosigned holds 9 entries" in problem
    assert submit_checkpoint(ledger, witness.endpoint()).size == 10
    assert witness_problems(ledger, [witness.vkey]) == []


def test_a_rolled_back_or_forked_ledger_is_refused(witness: Witness, tmp_path: Path) -> None:
    genuine = ledger_at(tmp_path / "genuine")
    grow(genuine, 8)
    submit_checkpoint(genuine, witness.endpoint())
    # The same key, a ledger of 4 entries and no memory of the witness: a rollback.
    rolled_back = ledger_at(tmp_path / "rolled-back")
    grow(rolled_back, 4)
    with pytest.raises(WitnessRefusedError, match="it cosigned a checkpoint of 8 entries") as refused:
        submit_checkpoint(rolled_back, witness.endpoint())
    assert refused.value.status == 409 and refused.value.known_size == 8
    # What the witness itself answers, asked directly.
    _, note = rolled_back.checkpoint()
    stale = witness.post(AddCheckpointRequest(0, (), note).body())
    assert (stale.status_code, stale.text, stale.headers["content-type"]) == (409, "8\n", "text/x.tlog.size")
    assert witness.post(AddCheckpointRequest(8, (), note).body()).status_code == 400  # old above size
    # Same key, other entries, grown past 8: the proof from 8 cannot hold.
    forked = ledger_at(tmp_path / "forked")
    grow(forked, 12, tag="F")
    with pytest.raises(WitnessRefusedError, match="NOT consistent") as refused:
        submit_checkpoint(forked, witness.endpoint())
    assert refused.value.status == 422
    # A fork at the very size cosigned.
    same_size = ledger_at(tmp_path / "same-size")
    grow(same_size, 8, tag="S")
    with pytest.raises(WitnessRefusedError, match="a fork") as refused:
        submit_checkpoint(same_size, witness.endpoint())
    assert refused.value.status == 409
    assert witness.state()[genuine.origin]["size"] == 8  # nothing moved it
    assert witness_problems(forked, [witness.vkey])[0].startswith("witness witness.test/w1 cosigned no")


def test_forged_signatures_and_unknown_logs_are_refused(witness: Witness, tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path / "ledger")
    grow(ledger, 2)
    _, note = ledger.checkpoint()
    forged = note.replace("\n2\n", "\n3\n", 1)  # the text changed under the ledger's signature
    assert witness.post(AddCheckpointRequest(0, (), forged).body()).status_code == 403
    impostor = load_signer(ledger.origin, generate_signing_key()[0])  # its name, another key
    checkpoint = Checkpoint(ledger.origin, 2, ledger.root(2))
    refused = witness.post(AddCheckpointRequest(0, (), sign_checkpoint(checkpoint, impostor)).body())
    assert refused.status_code == 403
    stranger = ledger_at(tmp_path / "stranger", generate_signing_key()[0])
    grow(stranger, 1)
    with pytest.raises(WitnessRefusedError, match="does not follow this ledger") as unknown:
        submit_checkpoint(stranger, witness.endpoint())
    assert unknown.value.status == 404
    assert witness.state() == {}


def test_malformed_requests_get_a_reason_never_a_traceback(witness: Witness) -> None:
    for body in (b"", b"garbage", b"old 1\n\nnot a note", b"old 01\n\nx\n", b"\xff\xfe\n\n"):
        answer = witness.post(body)
        assert answer.status_code == 400, body
        assert "Traceback" not in answer.text and len(answer.text.splitlines()) == 1
    assert httpx.get(witness.url + "/add-checkpoint", timeout=5).status_code == 405
    assert httpx.post(witness.url + "/other", content=b"x", timeout=5).status_code == 404
    too_large = httpx.post(witness.url + "/add-checkpoint", content=b"x" * 70_000, timeout=5)
    assert too_large.status_code == 413
    host, port = witness.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:  # no Content-Length
        raw.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n\r\nold 0\n\n")
        assert raw.recv(200).startswith(b"HTTP/1.1 411")
    with socket.create_connection((host, int(port)), timeout=5) as raw:  # a lie about the length
        raw.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        assert raw.recv(200).startswith(b"HTTP/1.1 413")
    assert witness.process is not None and witness.process.poll() is None  # still serving


def test_the_witness_remembers_across_a_restart(witness: Witness, tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path / "ledger")
    grow(ledger, 5)
    submit_checkpoint(ledger, witness.endpoint())
    witness.stop()
    with pytest.raises(WitnessUnavailableError, match="cannot be reached"):
        submit_checkpoint(ledger, witness.endpoint())
    witness.start()  # another port, the same folder
    _, note = ledger.checkpoint()
    assert witness.post(AddCheckpointRequest(0, (), note).body()).text == "5\n"
    grow(ledger, 2)
    (tmp_path / "ledger" / "checkpoints.log").unlink()  # the ledger forgot: the witness tells it
    assert submit_checkpoint(ledger, witness.endpoint()).size == 7
    assert base64.b64decode(str(witness.state()[ledger.origin]["root"])) == ledger.root(7)


# -- the command line ---------------------------------------------------------------------------


def test_audit_checkpoint_witness_is_cosigned_or_fails_loudly(
    witness: Witness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    vkey = (home / "ledger.vkey").read_text().strip()
    assert quitus_witness("add-log", "--dir", str(witness.directory), "--vkey", vkey).returncode == 0
    monkeypatch.setenv("QUITUS_WITNESS_URL", witness.url)
    monkeypatch.setenv("QUITUS_WITNESS_KEY", witness.vkey)
    unwitnessed = run_quitus(home, "audit", "verify", "--witness-key", witness.vkey)
    assert unwitnessed.returncode == 1, unwitnessed.stdout
    assert "nothing was witnessed" in unwitnessed.stderr or "cosigned no checkpoint" in unwitnessed.stderr
    signed = run_quitus(home, "audit", "checkpoint", "--witness")
    assert signed.returncode == 0, signed.stderr
    assert verify_cosignatures(signed.stdout, [witness.vkey])
    log = (tmp_path / "home-keys" / "checkpoints.log").read_text()
    assert signed.stdout in log
    verified = run_quitus(home, "audit", "verify", "--witness-key", witness.vkey)
    assert verified.returncode == 0, verified.stderr
    assert "cosigned by every witness" in verified.stdout
    # An auditor's consistency folder carries the cosignature; openssl checks it against the witness.
    kept = tmp_path / "kept.txt"
    kept.write_text(signed.stdout)
    forge_events(home, 3, signer=home_signer(home))  # the company's own events
    assert run_quitus(home, "audit", "checkpoint", "--witness").returncode == 0
    folder = tmp_path / "proof"
    made = run_quitus(home, "audit", "consistency", "--from", str(kept), "-o", str(folder))
    assert made.returncode == 0, made.stderr
    assert verify_cosignatures((folder / "checkpoint.txt").read_text(), [witness.vkey])
    script = [
        str(folder / "verify-consistency.sh"),
        "--fingerprint",
        fingerprint_of(vkey),
        "--kept",
        str(kept),
    ]
    checked = subprocess.run(
        ["bash", *script, "--witness-pem", str(witness.directory / "witness-public.pem")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    assert "ok  cosigned by witness.test/w1" in checked.stdout
    witness.stop()
    down = run_quitus(home, "audit", "checkpoint", "--witness")
    assert down.returncode == 1
    assert "the checkpoint is signed but NOT cosigned" in down.stderr and "cannot be reached" in down.stderr
    monkeypatch.delenv("QUITUS_WITNESS_URL")
    monkeypatch.delenv("QUITUS_WITNESS_KEY")
    assert run_quitus(home, "audit", "checkpoint", "--witness").returncode == 2  # not configured


def test_the_nightly_job_has_its_checkpoint_cosigned_and_says_so_when_it_cannot(
    witness: Witness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    vkey = (home / "ledger.vkey").read_text().strip()
    assert quitus_witness("add-log", "--dir", str(witness.directory), "--vkey", vkey).returncode == 0
    monkeypatch.setenv("QUITUS_WITNESS_URL", witness.url)
    monkeypatch.setenv("QUITUS_WITNESS_KEY", witness.vkey)
    nightly = run_quitus(home, "run", "retention")
    assert nightly.returncode == 0, nightly.stderr
    assert "witness_failed 0" in nightly.stdout
    origin = vkey.split("+", 1)[0]
    assert witness.state()[origin]["size"] == int(
        run_quitus(home, "audit", "checkpoint").stdout.split("\n")[1]
    )
    witness.stop()  # the witness is down the next night: the run completes, and says so loudly
    nightly = run_quitus(home, "run", "retention")
    assert nightly.returncode == 1, nightly.stderr  # a script or a cron job sees it
    output = nightly.stdout + nightly.stderr
    assert "witness_failed 1" in output
    assert "WITNESS FAILED: the checkpoint is not cosigned" in output and "cannot be reached" in output
