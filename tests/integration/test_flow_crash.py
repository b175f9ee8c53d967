"""Invariant 5 for the flows: SIGKILL ``quitus run intake`` and ``quitus retention run``
while they work, run them again, and nothing is lost, done twice or left half-way.
Real processes, a real QUITUS_HOME.

A kill point is a moment of progress seen in the database (the n-th stage event in the
ledger, the first statistical record, the first destroyed key…) plus a seeded random
delay: the process dies while it works, not while it starts up.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from quitus.settings import load_settings
from quitus.wiring import ledger_verifier_key, open_app
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.steps import LedgerStep
from storage.ledger.verify import verify_ledger
from tests.cli_runner import run_quitus
from workflows.stages import STAGES

REPORTS = 20
STAGE_STEPS = tuple(step.value for _, step in STAGES)
RETENTION = ("retention", "run")
SIMULATED_TODAY = "2045-01-01"
"""Retention runs in 2045 in these homes: simulation homes (``quitus init --simulation``)."""


@pytest.mark.slow
def test_intake_flow_killed_while_working_then_rerun_takes_every_report_to_one_final_state(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    valid = _write_inbox(tmp_path / "inbox", seed=17)
    assert run_quitus(home, "init").returncode == 0
    run_quitus(home, "ingest", str(tmp_path / "inbox"))  # exits 1: some are rejected
    rng = random.Random(2026)
    total = len(STAGE_STEPS) * valid
    interrupted = 0
    for _ in range(2):  # two kill points, the second in what the first left
        done = _stage_events(home)
        target = done + rng.randint(1, max(1, total - done - 1))
        interrupted += _kill_when(
            home, ("run", "intake"), lambda n=target: _stage_events(home) >= n, rng.uniform(0, 0.3)
        )
        _assert_no_step_twice(home)  # the dead run's claims are freed by the next run, not its lease
    assert interrupted, "no kill landed while the flow was working"

    final = run_quitus(home, "run", "intake")
    assert final.returncode == 0, final.stderr

    states = _states(home)
    assert len(states) == REPORTS, "a report was lost or duplicated"
    assert Counter(states.values()) == {"archived": valid, "rejected": REPORTS - valid}
    successes = _successes(home)
    for report_id, state in states.items():
        steps = ("capture", "validate", *STAGE_STEPS) if state == "archived" else ("capture", "validate")
        assert [successes[(report_id, step)] for step in steps] == [1] * len(steps), report_id
    rejected = _query(home / "quitus.db", "SELECT issues FROM reports WHERE state = 'rejected'")
    assert all(json.loads(str(issues)) for (issues,) in rejected), "a report was rejected without a reason"
    assert _query(home / "quitus.db", "SELECT id FROM reports WHERE claimed_by IS NOT NULL") == []
    verified = run_quitus(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


class FilesLeftBehindError(AssertionError):
    """An erased report's encrypted files outlived the run that should have finished erasing it."""


@pytest.mark.slow
def test_retention_killed_while_disposing_then_rerun_disposes_of_each_due_report_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUITUS_SIMULATED_TODAY", SIMULATED_TODAY)
    archived = tmp_path / "archived"
    valid = _write_inbox(tmp_path / "inbox", seed=23, count=10)
    assert run_quitus(archived, "init", "--simulation").returncode == 0
    run_quitus(archived, "ingest", str(tmp_path / "inbox"))
    assert run_quitus(archived, "process").returncode == 0
    assert Counter(_states(archived).values())["archived"] == valid
    # More reports, left validated or rejected (due as well): they widen the moments between
    # the phases of a disposal, where the kills are aimed.
    _write_inbox(tmp_path / "more", seed=29, count=90, photo_size=(32, 24))
    run_quitus(archived, "ingest", str(tmp_path / "more"))

    # What an uninterrupted run does: the reference for every interrupted one.
    reference = _copy_installation(archived, tmp_path / "reference")
    assert run_quitus(reference, *RETENTION).returncode == 0
    expected = _Dispositions.of(reference)
    assert expected.disposed, "nothing was due: the test would prove nothing"
    assert expected.statistics, "nothing was anonymized: the test would prove little"
    _assert_disposed_once(expected)
    assert expected.with_files == []

    # Each kill on a fresh copy, just after one phase of the disposal began: anonymized
    # records written (keys still live), keys destroyed (reports not yet tombstones),
    # certificates committed (files being deleted).
    rng = random.Random(7)
    phases: list[Callable[[Path], bool]] = [
        lambda home: _count(home / "quitus.db", "SELECT count(*) FROM statistical_records") > 0,
        lambda home: _count(_keystore(home), "SELECT count(*) FROM data_keys WHERE wrapped_key IS NULL") > 0,
        lambda home: (
            _count(home / "quitus.db", "SELECT count(*) FROM ledger_entries WHERE step = 'dispose'") > 0
        ),
    ]
    interrupted = 0
    left_behind: dict[int, int] = {}
    for number, phase_began in enumerate(phases):
        home = _copy_installation(archived, tmp_path / f"killed-{number}")
        interrupted += _kill_when(home, RETENTION, lambda h=home, p=phase_began: p(h), rng.uniform(0, 0.02))
        _assert_disposed_once(_Dispositions.of(home), complete=False)
        rerun = run_quitus(home, *RETENTION)
        assert rerun.returncode == 0, rerun.stderr
        record = _Dispositions.of(home)
        _assert_disposed_once(record)
        assert record.same_outcome_as(expected)
        assert _ledger_problems(home) == []
        if record.with_files:
            left_behind[number] = len(record.with_files)
    assert interrupted, "no kill landed while retention was working"
    if left_behind:
        raise FilesLeftBehindError(f"erased reports with files after the rerun, per kill: {left_behind}")


# -- processes --------------------------------------------------------------------------------


def _environment(home: Path) -> dict[str, str]:
    """As ``tests.cli_runner``: this QUITUS_HOME, no inherited Prefect or database settings."""
    env = {**os.environ, "QUITUS_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    for name in list(env):
        if name.startswith("PREFECT_") or name == "QUITUS_DATABASE_URL":
            env.pop(name)
    # Killed with the parallel stages running: worker processes redacting, rendering and sealing.
    env["QUITUS_INTAKE_PROCESSES"] = "2"
    return env


def _kill_when(home: Path, args: tuple[str, ...], reached: Callable[[], bool], delay: float) -> bool:
    """Start ``quitus *args``; SIGKILL it ``delay`` s after ``reached()`` turns true.

    Returns False when it finished before.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "quitus.cli", *args],
        env=_environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a group of its own: Prefect's server, orphaned by the kill, ends too
    )
    try:
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline:
            if reached():
                time.sleep(delay)
                break
            time.sleep(0.002)
        killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        return killed
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _write_inbox(
    folder: Path, seed: int, count: int = REPORTS, photo_size: tuple[int, int] = (200, 150)
) -> int:
    """``count`` generated submissions; returns how many are valid."""
    folder.mkdir()
    samples = generate_samples(TemplateCatalog.load(), count, seed=seed, photo_size=photo_size)
    for number, sample in enumerate(samples):
        (folder / f"{number:03d}.json").write_text(json.dumps(sample.payload, ensure_ascii=False), "utf-8")
    return sum(sample.expected == "valid" for sample in samples)


def _copy_installation(home: Path, to: Path) -> Path:
    """A copy of QUITUS_HOME and of its key folder beside it (``<home>-keys``)."""
    shutil.copytree(home, to)
    shutil.copytree(_keys(home), _keys(to))
    return to


def _keys(home: Path) -> Path:
    return home.parent / f"{home.name}-keys"


def _keystore(home: Path) -> Path:
    return _keys(home) / "datakeys.db"


# -- what the databases say -------------------------------------------------------------------


def _query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        return connection.execute(sql).fetchall()


def _count(database: Path, sql: str) -> int:
    return int(str(_query(database, sql)[0][0]))


def _stage_events(home: Path) -> int:
    steps = ",".join(f"'{step}'" for step in STAGE_STEPS)
    return _count(home / "quitus.db", f"SELECT count(*) FROM ledger_entries WHERE step IN ({steps})")


def _successes(home: Path) -> Counter[tuple[str, str]]:
    """(report, step) → how many times the ledger says the step was done (failures aside)."""
    rows = _query(home / "quitus.db", "SELECT report_id, step, entry FROM ledger_entries")
    return Counter(
        (str(report), str(step))
        for report, step, entry in rows
        if report is not None and json.loads(str(entry))["outcome"] != "failed"
    )


def _states(home: Path) -> dict[str, str]:
    return {str(i): str(s) for i, s in _query(home / "quitus.db", "SELECT id, state FROM reports")}


def _ledger_problems(home: Path) -> list[str]:
    """What ``quitus audit verify`` checks (tree, signed checkpoints, blobs), in this process."""
    settings = load_settings({"QUITUS_HOME": str(home)})
    app = open_app(settings)
    try:
        result = verify_ledger(app.ledger, ledger_verifier_key(settings), blob_root=settings.blob_dir)
    finally:
        app.close()
    return result.problems


def _assert_no_step_twice(home: Path) -> None:
    twice = {key: n for key, n in _successes(home).items() if n > 1}
    assert twice == {}, "a step was recorded twice for the same report"


_RECORD_COLUMNS = (
    "template_id, client_kind, equipment_category, period, outcome, brand, model, installed_decade"
)
"""Some of a statistical record's quasi-identifiers: what a run wrote, whatever the random id."""


@dataclass(frozen=True)
class _Dispositions:
    """What retention left behind: report ids, sorted, repeats kept."""

    disposed: list[str]
    """Disposal certificates in the ledger."""
    queued: list[str]
    """Put in the review queue (ledger)."""
    erased: list[str]
    destroyed: list[str]
    """Data keys destroyed (the key store)."""
    statistics: list[str]
    """Statistical records of anonymized reports (some of their values: they name no report)."""
    with_files: list[str]
    """Erased reports that still have encrypted files."""

    @classmethod
    def of(cls, home: Path) -> _Dispositions:
        database = home / "quitus.db"
        successes = _successes(home)

        def ids(sql: str, db: Path = database) -> list[str]:
            return sorted(str(row[0]) for row in _query(db, sql))

        def logged(step: str) -> list[str]:
            return sorted(r for (r, s), n in successes.items() if s == step for _ in range(n))

        erased = ids("SELECT id FROM reports WHERE state = 'erased'")
        return cls(
            disposed=logged(LedgerStep.DISPOSE),
            queued=logged(LedgerStep.REVIEW_QUEUE),
            erased=erased,
            destroyed=ids("SELECT report_id FROM data_keys WHERE wrapped_key IS NULL", _keystore(home)),
            statistics=sorted(
                "|".join(str(v) for v in row)
                for row in _query(database, f"SELECT {_RECORD_COLUMNS} FROM statistical_records")
            ),
            with_files=[r for r in erased if any((home / "blobs" / r).glob("*"))],
        )

    def same_outcome_as(self, other: _Dispositions) -> bool:
        fields = ("disposed", "queued", "erased", "destroyed")
        # A record is committed with its report's tombstone, after the key is destroyed: a
        # kill in between loses that report's record (the key is gone), never adds one.
        fewer_records = not (Counter(self.statistics) - Counter(other.statistics))
        return fewer_records and all(getattr(self, name) == getattr(other, name) for name in fields)


def _assert_disposed_once(record: _Dispositions, *, complete: bool = True) -> None:
    assert record.disposed == sorted(set(record.disposed)), "a report has two disposal certificates"
    assert record.queued == sorted(set(record.queued)), "a report was queued for review twice"
    # Records name no report (anonymous): a crash must not write one twice, so there are
    # never more of them than anonymize certificates.
    assert len(record.statistics) <= len(record.disposed)
    # Keys go first, then tombstone and certificate together: never a certificate without
    # an erasure, nor an erasure with a live key.
    assert record.disposed == record.erased
    assert set(record.erased) <= set(record.destroyed)
    assert set(record.with_files) <= set(record.destroyed), "readable files of an erased report"
    if complete:
        assert record.destroyed == record.erased, "a key was destroyed but its report not erased"
