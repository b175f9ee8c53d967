"""``quitus retention event`` as a compliance officer types it: mistakes are refused with a
hint (exit 1, no traceback), a change of date is a new ledger entry, a repeat changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus


def test_events_are_checked_and_their_changes_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    [sample] = generate_samples(
        TemplateCatalog.load(), 1, seed=9, invalid_share=0, unfinished_share=0, photo_size=(96, 72)
    )
    (inbox / "0.json").write_text(json.dumps(sample.payload, ensure_ascii=False), encoding="utf-8")
    [line] = quitus(home, "ingest", "--format", "jsonl", str(inbox)).stdout.splitlines()
    report_id = json.loads(line)["report_id"]
    intervention = dt.date.fromisoformat(sample.payload["arrival"][:10])
    today = dt.date.today()

    # The built-in fr.clients-inactifs waits for last_contact.
    for name, on, message in (
        ("last_contcat", intervention, "unknown event 'last_contcat': did you mean last_contact?"),
        ("last_contact", today + dt.timedelta(days=1), f"is after today ({today})"),
        ("last_contact", intervention - dt.timedelta(days=1), f"before the intervention of {report_id}"),
    ):
        refused = quitus(home, "retention", "event", report_id, name, "--on", str(on))
        assert refused.returncode == 1, refused.stderr
        assert "not recorded:" in refused.stderr and message in " ".join(refused.stderr.split())
        assert "Traceback" not in refused.stderr

    first = quitus(home, "retention", "event", report_id, "last_contact", "--on", str(intervention))
    assert first.returncode == 0, first.stderr
    assert re.search(rf"^RI-\d{{4}}-\d{{6}}: last_contact on {intervention} recorded", first.stdout), (
        first.stdout
    )
    again = quitus(home, "retention", "event", report_id, "last_contact", "--on", str(intervention))
    assert again.returncode == 0 and "already recorded: nothing changed" in again.stdout
    moved = quitus(home, "retention", "event", report_id, "last_contact", "--on", str(today))
    assert moved.returncode == 0, moved.stderr
    assert f"last_contact on {today} recorded (replaces {intervention} of ledger entry " in moved.stdout

    explained = quitus(home, "policies", "explain", report_id)
    assert f"from event 'last_contact' {today}" in explained.stdout  # the latest date is the one that counts
    assert quitus(home, "audit", "verify").returncode == 0
