"""Adversary, round 3: attacks on the retention promise, driven through the CLI only.

The promise (docs/retention.md, docs/operations.md): no report is destroyed or anonymized
before its due date, while a legal hold covers it, or under a running legal obligation — on
every path, and against someone who can write to the database but has not the key folder; a
tampering attempt is refused and reported, never silently followed.

The intruder here has the SQLite file (not the key folder). The ledger's triggers only stop
someone who does not drop them; what stands against a rewritten ledger is the checkpoint
log kept in the key folder (``checkpoints.log``). The failing tests below show that the
disposal paths check it only *after* they have destroyed the report: truncating the tail of
the ledger (the entry that placed a hold, moved an event, extended a review) and the row it
made undoes that entry, the report is erased, and only then does the command stop with
"its history was rewritten".
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from tests.cli_runner import run_quitus

quitus = run_quitus

SHORT_DELETE = """\
id: adv.short
title: Short
legal_basis:
  text: t
  references: [r]
  obligation: false
trigger:
  kind: intervention_date
duration: P2Y
action: delete
"""

CONTRACT_EVENT = """\
id: adv.contract
title: Contract
legal_basis:
  text: t
  references: [r]
  obligation: false
trigger:
  kind: event
  event: contract_end
duration: P1Y
action: delete
"""

REVIEW = """\
id: adv.review
title: Review
legal_basis:
  text: t
  references: [r]
  obligation: false
trigger:
  kind: intervention_date
duration: P2Y
action: review
"""


@pytest.fixture(autouse=True)
def _only_our_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUITUS_BUILTIN_POLICIES", "false")
    monkeypatch.delenv("QUITUS_SIMULATED_TODAY", raising=False)


def _home(tmp_path: Path, policy: str, days: list[str]) -> tuple[Path, list[str]]:
    """A real (not simulation) home, our one policy, reports with these intervention dates."""
    home = tmp_path / "home"
    init = quitus(home, "init")
    assert init.returncode == 0, init.stderr
    (home / "policies").mkdir(exist_ok=True)
    (home / "policies" / "adv.yaml").write_text(policy, encoding="utf-8")
    samples = [
        s
        for s in generate_samples(
            TemplateCatalog.load(), 12, seed=4, invalid_share=0, unfinished_share=0, photo_size=(64, 48)
        )
        if s.expected == "valid"
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, day in enumerate(days):
        payload = copy.deepcopy(samples[i % len(samples)].payload)
        d = dt.date.fromisoformat(day)
        payload["submission_id"] = f"adv-{i}-{day}"
        payload["arrival"], payload["departure"] = f"{d}T09:00:00", f"{d}T10:30:00"
        payload["request"]["date"] = str(d - dt.timedelta(days=3))
        payload["client"]["email"] = f"client{i}@exemple.fr"
        payload["tags"] = []
        (inbox / f"{i:02d}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    ingested = quitus(home, "ingest", "--format", "jsonl", str(inbox))
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    ids = [json.loads(line)["report_id"] for line in ingested.stdout.splitlines()]
    assert len(ids) == len(days)
    return home, ids


def _sql(home: Path, script: str) -> None:
    with sqlite3.connect(home / "quitus.db") as db:
        db.executescript(script)


def _head(home: Path) -> int:
    with sqlite3.connect(home / "quitus.db") as db:
        return int(db.execute("SELECT size FROM ledger_head").fetchone()[0])


def _truncate_ledger(home: Path, new_size: int) -> None:
    """What an intruder with the database file does to take back the last entries: drop the
    append-only triggers, delete the entries, their tree nodes and checkpoints, shrink the head."""
    levels = "\n".join(
        f"DELETE FROM ledger_nodes WHERE level = {level} AND idx >= {new_size >> level};"
        for level in range(64)
    )
    _sql(
        home,
        f"""
        DROP TRIGGER IF EXISTS ledger_entries_no_delete;
        DROP TRIGGER IF EXISTS ledger_nodes_no_delete;
        DROP TRIGGER IF EXISTS ledger_head_only_grows;
        DROP TRIGGER IF EXISTS ledger_checkpoints_no_delete;
        DELETE FROM ledger_entries WHERE seq >= {new_size};
        {levels}
        UPDATE ledger_head SET size = {new_size};
        DELETE FROM ledger_checkpoints WHERE size > {new_size};
        """,
    )


def _state(home: Path, report: str) -> str:
    return quitus(home, "reports", "show", report).stdout.split("\n")[0]


# --- breaks: a truncated ledger tail undoes a hold, an event, an extension -----------------


def test_truncating_the_hold_entry_from_the_ledger_does_not_lift_the_hold(tmp_path: Path) -> None:
    """Promise broken: "none [destroyed] while a legal hold covers it ... against someone who can
    write to the database but has not the key folder"; "deleting or editing a row of
    legal_holds ... lifts no hold" (holds come from the signed ledger).

    The intruder deletes the `hold.place` entry (the ledger's last) with its tree nodes and
    checkpoint row, after dropping the append-only triggers, and the `legal_holds` row. The
    key folder's checkpoints.log still remembers the larger, signed ledger. `retention run`
    erases the held report and only afterwards fails with "its history was rewritten"."""
    home, ids = _home(tmp_path, SHORT_DELETE, ["2024-06-01", "2025-06-01"])
    held = ids[0]  # due 2026-06-01
    size_before = _head(home)
    placed = quitus(home, "holds", "place", "--reason", "Litige X", "--report", held)
    assert placed.returncode == 0, placed.stderr
    assert _head(home) == size_before + 1
    _truncate_ledger(home, size_before)
    _sql(home, "DELETE FROM legal_holds; DELETE FROM notes;")

    run = quitus(home, "retention", "run")
    state = _state(home, held)
    assert "erased" not in state, f"a held report was erased: {state!r} (run: {run.returncode} {run.stderr})"
    assert run.returncode != 0


def test_truncating_a_moved_event_from_the_ledger_does_not_make_the_report_due(tmp_path: Path) -> None:
    """Promise broken: "no report is destroyed before its retention policy's due date ... against
    someone who can write to the database"; "A change of date is kept" (the history of an event
    is in the signed ledger).

    contract_end is recorded on 2025-01-01 then corrected to 2026-06-01 (due 2027-06-01). The
    intruder deletes the correcting `event` entry (the ledger's last, triggers dropped) and sets
    `report_events` back to 2025-01-01: both agree again, the report looks due since 2026-01-01,
    and `retention run` erases it before failing on the checkpoint log."""
    home, ids = _home(tmp_path, CONTRACT_EVENT, ["2024-06-01"])
    report = ids[0]
    assert quitus(home, "retention", "event", report, "contract_end", "--on", "2025-01-01").returncode == 0
    size_before = _head(home)
    moved = quitus(home, "retention", "event", report, "contract_end", "--on", "2026-06-01")
    assert moved.returncode == 0, moved.stderr
    assert "nothing due" in quitus(home, "retention", "plan").stdout
    _truncate_ledger(home, size_before)
    _sql(home, "UPDATE report_events SET occurred_on = '2025-01-01';")

    run = quitus(home, "retention", "run")
    state = _state(home, report)
    assert "erased" not in state, f"erased before 2027-06-01: {state!r} (run: {run.returncode} {run.stderr})"
    assert run.returncode != 0


def test_truncating_a_review_extension_from_the_ledger_does_not_let_approve_erase(tmp_path: Path) -> None:
    """Promise broken: "none [destroyed] before its due date" on the review path: an extended
    review is kept until the new date (P10), and `review approve` is refused before it.

    The report is extended to 2027-06-01. The intruder deletes the `review.extend` entry (the
    ledger's last, triggers dropped) and sets the review_queue row back to pending; the officer
    sees it waiting, approves, and it is erased, the command failing only afterwards."""
    home, ids = _home(tmp_path, REVIEW, ["2024-06-01"])
    report = ids[0]
    assert quitus(home, "retention", "run").returncode == 0
    listed = json.loads(quitus(home, "review", "list", "--json").stdout)
    assert report in json.dumps(listed), listed
    size_before = _head(home)
    extended = quitus(home, "review", "extend", report, "--until", "2027-06-01", "--reason", "keep")
    assert extended.returncode == 0, extended.stderr
    assert quitus(home, "review", "approve", report).returncode == 1  # refused, as documented
    _truncate_ledger(home, size_before)
    _sql(
        home,
        "UPDATE review_queue SET status = 'pending', decided_by = NULL, decided_at = NULL, "
        "extended_until = NULL;",
    )

    approved = quitus(home, "review", "approve", report)
    state = _state(home, report)
    assert "erased" not in state, f"erased before 2027-06-01: {state!r} (approve: {approved.stderr})"
    assert approved.returncode != 0


# --- attacks that were refused correctly (these pass) ---------------------------------------


def test_deleting_the_hold_row_alone_lifts_no_hold(tmp_path: Path) -> None:
    """Refused correctly: a hold deleted from `legal_holds` is still in force from the ledger."""
    home, ids = _home(tmp_path, SHORT_DELETE, ["2024-06-01"])
    assert quitus(home, "holds", "place", "--reason", "Litige", "--report", ids[0]).returncode == 0
    _sql(home, "DELETE FROM legal_holds;")
    quitus(home, "retention", "run")
    assert "erased" not in _state(home, ids[0])


def test_a_replayed_older_event_entry_is_not_believed(tmp_path: Path) -> None:
    """Refused correctly: copying the first (older) `event` entry, MAC included, to the end of
    the ledger and setting report_events back does not make the report due."""
    home, ids = _home(tmp_path, CONTRACT_EVENT, ["2024-06-01"])
    report = ids[0]
    assert quitus(home, "retention", "event", report, "contract_end", "--on", "2025-01-01").returncode == 0
    old_seq = _head(home) - 1
    assert quitus(home, "retention", "event", report, "contract_end", "--on", "2026-06-01").returncode == 0
    size = _head(home)
    _sql(
        home,
        f"""INSERT INTO ledger_entries(seq, report_id, step, recorded_at, entry, mac)
        SELECT {size}, report_id, step, recorded_at, entry, mac FROM ledger_entries WHERE seq = {old_seq};
        UPDATE ledger_head SET size = {size + 1};
        UPDATE report_events SET occurred_on = '2025-01-01';""",
    )
    run = quitus(home, "retention", "run")
    assert run.returncode != 0
    assert "erased" not in _state(home, report)


def test_an_edited_intervention_date_is_refused_as_tampering(tmp_path: Path) -> None:
    """Refused correctly: moving the intervention date back makes nothing due."""
    home, ids = _home(tmp_path, SHORT_DELETE, ["2025-06-01"])
    _sql(home, f"UPDATE reports SET intervention_date = '2015-06-01' WHERE id = '{ids[0]}';")
    run = quitus(home, "retention", "run")
    assert run.returncode == 1
    assert "TAMPERING FOUND" in run.stdout + run.stderr
    assert "erased" not in _state(home, ids[0])


def test_simulated_today_and_at_are_refused_in_a_real_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused correctly: no flag or variable moves a real home's retention date."""
    home, ids = _home(tmp_path, SHORT_DELETE, ["2025-06-01"])
    assert quitus(home, "retention", "run", "--at", "2030-01-01").returncode == 2
    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", "2030-01-01")
    assert quitus(home, "retention", "run").returncode != 0
    monkeypatch.delenv("QUITUS_SIMULATED_TODAY")
    assert "erased" not in _state(home, ids[0])


def test_shred_and_subject_erase_of_a_held_report_are_refused(tmp_path: Path) -> None:
    """Refused correctly: an erasure request on a held report restricts, never destroys."""
    home, ids = _home(tmp_path, SHORT_DELETE, ["2025-06-01"])
    assert (
        quitus(home, "holds", "place", "--reason", "Litige", "--email", "client0@exemple.fr").returncode == 0
    )
    assert quitus(home, "reports", "shred", ids[0], "--reason", "subject_request").returncode == 1
    quitus(home, "subject", "erase", "--email", "client0@exemple.fr")
    assert "erased" not in _state(home, ids[0])
