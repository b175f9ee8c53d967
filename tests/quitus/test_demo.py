"""``quitus demo`` as a new user runs it (a fresh QUITUS_HOME, a real process), and its mailbox."""

from __future__ import annotations

import json
import re
import smtplib
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest

from quitus.demo import write_inbox
from quitus.demo_mailbox import DemoMailbox
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.steps import LedgerStep
from tests.cli_runner import run_quitus

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow

COLUMNS = ("submitted", "accepted", "rejected", "sealed", "archived", "delivered")


@pytest.mark.slow
def test_demo_tells_the_whole_story_through_the_intake_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A configured SMTP server must not be used: the demo's clients are made up.
    monkeypatch.setenv("QUITUS_SMTP_HOST", "192.0.2.1")
    monkeypatch.setenv("QUITUS_SMTP_SENDER", "rapports@example.com")
    home, output = tmp_path / "home", tmp_path / "out"
    run = run_quitus(home, "demo", "--reports", "8", "--output", str(output), "--seed", "5")
    assert run.returncode == 0, run.stderr
    text = run.stdout

    samples = generate_samples(TemplateCatalog.load(), 8, seed=5)
    valid = [s for s in samples if s.expected == "valid"]
    broken = len(write_inbox(TemplateCatalog.load(), tmp_path / "again", count=8, seed=5)) - len(samples)
    with_email = sum("email" in s.payload["client"] for s in valid)
    total = _summary_row(text, "total")
    assert total == {
        "submitted": len(samples) + broken,
        "accepted": len(valid),
        "rejected": len(samples) - len(valid) + broken,
        "sealed": len(valid),
        "archived": len(valid),
        "delivered": with_email,
    }
    assert _summary_row(text, "(unreadable)")["rejected"] >= 4  # the broken files

    outbox = sorted((output / "outbox").glob("*.eml"))
    assert len(outbox) == with_email
    mail = message_from_bytes(outbox[0].read_bytes())
    assert "demo.quitus.invalid" in mail["From"]
    assert any(part.get_content_type() == "application/pdf" for part in mail.walk())

    # Rejections come with their reasons, by input file.
    assert re.search(r"broken/malformed\.json → RI-\S+\n\s+\(submission\): not valid JSON", text)
    assert "submission_id already used by report" in text
    # A retention plan at a future date, carried out; two proofs, verified; the ledger intact.
    assert re.search(r"Retention.*plan at \d{4}-\d\d-\d\d \(in 6 years\)", text)
    assert re.search(r"carried out at .*: \d+ anonymized.*kept under legal hold hold-", text)
    proofs = re.findall(r"(RI-\S+\.zip) \((.*?)\): (.*) — verifies offline", text)
    assert [kept for _, kept, _ in proofs] == [
        "with its sealed PDF",
        "data erased, its disposal certificate stands in",
    ]
    # The disposed report's certificate PDF is issued (certify) at the latest by its export.
    assert "→ deliver →" in proofs[0][2] and proofs[1][2].split(" → ")[-3:] == [
        LedgerStep.DISPOSE,
        LedgerStep.CERTIFY,
        LedgerStep.PROOF_EXPORT,
    ]
    assert all((output / "proofs" / name).is_file() for name, _, _ in proofs)
    assert re.search(r"ledger: \d+ entries, \d+ signed checkpoints, .* — intact", text)
    assert "seal INVALID" not in text and text.count("seal valid and trusted") == 4


def _summary_row(text: str, label: str) -> dict[str, int]:
    """A row of the summary table, by its first cell."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == label:
            return dict(zip(COLUMNS, map(int, cells[1:]), strict=True))
    raise AssertionError(f"no {label!r} row in the summary table:\n{text}")


def test_the_demo_mailbox_keeps_each_message_as_sent(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@demo.invalid", "b@demo.invalid", "Rapport"
    message.set_content("Bonjour,\n.\n..ligne qui commence par deux points\nFin.\n")
    with DemoMailbox(tmp_path / "outbox") as mailbox, smtplib.SMTP("127.0.0.1", mailbox.port) as smtp:
        smtp.send_message(message)
        smtp.send_message(message)
    assert mailbox.received == 2
    kept = sorted((tmp_path / "outbox").iterdir())
    assert [p.name for p in kept] == ["001.eml", "002.eml"]
    body = message_from_bytes(kept[0].read_bytes()).get_payload()
    assert body.replace("\r\n", "\n") == "Bonjour,\n.\n..ligne qui commence par deux points\nFin.\n"
    with smtplib.SMTP() as late, pytest.raises(OSError):  # closed: nothing listens any more
        late.connect("127.0.0.1", mailbox.port)


def test_the_demo_mailbox_is_aiosmtpd_and_relays_nothing(tmp_path: Path) -> None:
    """A real SMTP server (aiosmtpd), not a hand-made one: EHLO extensions, a refused
    unknown command, and the message kept, never relayed."""
    with DemoMailbox(tmp_path / "outbox") as mailbox, smtplib.SMTP("127.0.0.1", mailbox.port) as smtp:
        code, _ = smtp.ehlo("tech.example")
        assert code == 250 and smtp.has_extn("8bitmime") and smtp.has_extn("smtputf8")
        assert smtp.docmd("VRFY", "someone")[0] == 252  # RFC 5321 §3.5.3: cannot verify, will accept
        assert smtp.docmd("FROBNICATE")[0] == 500
        refused = smtp.sendmail("a@demo.invalid", ["b@demo.invalid"], b"Subject: x\r\n\r\n" + "é".encode())
        assert refused == {}
    assert mailbox.received == 1


def test_the_demo_refuses_a_home_that_holds_reports(tmp_path: Path) -> None:
    """The demo simulates years passing: on a real home it would dispose of real reports."""
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    sample = next(s for s in generate_samples(TemplateCatalog.load(), 4, seed=3) if s.expected == "valid")
    report = tmp_path / "report.json"
    report.write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    assert run_quitus(home, "ingest", str(report)).returncode == 0
    refused = run_quitus(home, "demo", "--reports", "2", "--output", str(tmp_path / "out"))
    assert refused.returncode == 2
    assert "already holds 1 report(s)" in refused.stderr
    assert "QUITUS_HOME=$(mktemp -d) quitus demo" in refused.stderr
    assert not (tmp_path / "out").exists()
    listed = run_quitus(home, "reports", "list")
    assert "erased" not in listed.stdout
