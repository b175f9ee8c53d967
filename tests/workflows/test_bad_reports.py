"""One unreadable report never stops its batch (issue 14).

A real corrupted blob file and a real deleted data key: the stage marks that report failed
with a code (its issues and the ledger), keeps its state, and the other reports go on —
through the pipeline on both backends, through ``quitus process`` and ``quitus run intake``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from anonymization import PiiEngine, ReportRedactor, load_vocabulary
from anonymization.recognizers import FrenchRecognizer, default_recognizers
from reports.intake import Intake, Submission
from reports.pdf import create_company_ca
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.ledger.events import decode_entry
from storage.report_store import ReportStore
from storage.states import ReportState
from tests.cli_runner import run_quitus
from workflows.stages import Pipeline

# Among the suite's longest (tens of seconds): scheduled with the slow tests, first.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def samples() -> list:
    found = [
        s
        for s in generate_samples(TemplateCatalog.load(), 12, seed=41, photo_size=(120, 90))
        if s.expected == "valid" and not s.unfinished
    ][:4]
    assert len(found) == 4
    return found


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _ledger_failures(store: ReportStore, report_id: str) -> list[tuple[str, str]]:
    entries = [decode_entry(e.entry) for e in store.ledger.entries_for_report(report_id)]
    return [(e["step"], e["details"]["error"]) for e in entries if e["outcome"] == "failed"]


def test_a_corrupted_blob_and_a_missing_data_key_fail_their_reports_only(
    store: ReportStore, intake: Intake, samples: list, tmp_path: Path
) -> None:
    create_company_ca(tmp_path / "seal", "Thermi'Clim Services")
    engine = PiiEngine(load_vocabulary(TemplateCatalog.load()))
    pipeline = Pipeline(
        store,
        intake.catalog,
        tmp_path / "seal",
        redactor_factory=lambda: ReportRedactor(engine, style="placeholder"),
    )
    ids = [intake.ingest(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples]
    assert all(store.get(i).state == ReportState.VALIDATED for i in ids)
    corrupted, keyless, *fine = ids
    blob_id = store.get(corrupted).content_blob_id
    assert blob_id is not None
    _corrupt(tmp_path / "blobs" / corrupted / blob_id)
    with sqlite3.connect(tmp_path / "keys" / "datakeys.db") as keys:
        keys.execute("DELETE FROM data_keys WHERE report_id = ?", (keyless,))
    store.keystore._cache.clear()  # a fresh process would not have it in memory either

    counts = pipeline.run_pending(batch_size=10)

    assert (counts["redact"], counts["redact failed"], counts["archive"]) == (2, 2, 2)
    assert all(store.get(i).state == ReportState.ARCHIVED for i in fine)
    for report_id, code in ((corrupted, "blob_unreadable"), (keyless, "data_key_missing")):
        summary = store.get(report_id)
        assert summary.state == ReportState.VALIDATED
        assert [i["code"] for i in summary.issues] == [code]
        assert _ledger_failures(store, report_id) == [("redact", code)]
        assert report_id not in summary.issues[0]["message"]


@pytest.mark.slow
@pytest.mark.parametrize("command", [("process",), ("run", "intake")])
def test_quitus_process_and_run_intake_go_on_past_unreadable_reports(
    tmp_path: Path, samples: list, command: tuple[str, ...]
) -> None:
    home = tmp_path / "home"
    assert run_quitus(home, "init").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, sample in enumerate(samples):
        text = json.dumps(sample.payload, ensure_ascii=False)
        (inbox / f"{number}.json").write_text(text, encoding="utf-8")
    ingest = run_quitus(home, "ingest", str(inbox))
    assert ingest.returncode == 0, ingest.stderr
    with sqlite3.connect(home / "quitus.db") as db:
        query = "SELECT id, content_blob_id FROM reports WHERE state = 'validated' ORDER BY id"
        rows = db.execute(query).fetchall()
    assert len(rows) == 4
    (corrupted, blob_id), (keyless, _), *fine = rows
    _corrupt(home / "blobs" / corrupted / blob_id)
    with sqlite3.connect(tmp_path / "home-keys" / "datakeys.db") as keys:
        keys.execute("DELETE FROM data_keys WHERE report_id = ?", (keyless,))

    run = run_quitus(home, *command)

    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert run.returncode == (1 if command == ("process",) else 0), run.stderr
    with sqlite3.connect(home / "quitus.db") as db:
        states = dict(db.execute("SELECT id, state FROM reports").fetchall())
        issues = dict(db.execute("SELECT id, issues FROM reports").fetchall())
    assert [states[i] for i, _ in fine] == ["archived", "archived"]
    assert (states[corrupted], states[keyless]) == ("validated", "validated")
    assert [i["code"] for i in json.loads(issues[corrupted])] == ["blob_unreadable"]
    assert [i["code"] for i in json.loads(issues[keyless])] == ["data_key_missing"]
    shown = run_quitus(home, "reports", "show", corrupted)
    assert "an encrypted file of the report is missing or damaged" in shown.stdout, shown.stderr
    verify = run_quitus(home, "audit", "verify")  # the ledger holds; the damaged file is named
    assert verify.returncode == 1
    assert verify.stderr.strip().splitlines() == [
        f"TAMPERED: blob {blob_id} of report {corrupted} was modified (hash differs)"
    ]


def test_a_capture_whose_raw_bytes_cannot_be_read_fails_validation_alone(
    store: ReportStore, intake: Intake, samples: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows import runtime
    from workflows.flows import validate_task

    received = [intake.receive(Submission(json.dumps(s.payload).encode(), "json")).report.id for s in samples]
    broken = received[0]
    raw_blob = store.submissions(broken)[-1].raw_blob_id
    _corrupt(tmp_path / "blobs" / broken / raw_blob)

    pipeline = Pipeline(store, intake.catalog, tmp_path / "seal")
    services = runtime.Services(store=store, intake=intake, pipeline=pipeline, policies=lambda: None)  # type: ignore[arg-type,return-value]
    monkeypatch.setattr(runtime, "_services", services)  # what configure() builds in a quitus process
    outcome = validate_task.fn(received)

    assert outcome["failed"] == [broken]
    assert sorted(outcome["done"]) == sorted(received[1:])
    assert [i["code"] for i in store.get(broken).issues] == ["blob_unreadable"]
    assert _ledger_failures(store, broken) == [("validate", "blob_unreadable")]


class _BrokenPlugin(FrenchRecognizer):
    """A third-party recognizer that breaks its contract ("never raise") on one kind of text."""

    name = "broken_plugin"
    entity_types = ("PERSON",)

    def find(self, text: str, doc: object = None) -> list:  # type: ignore[type-arg]
        if "chaufferie n°7" in text:
            raise IndexError(f"plugin bug near {text[:20]!r}")  # quotes the text, as bugs do
        return []


def test_a_redaction_that_fails_inside_the_analysis_fails_that_report_only(
    store: ReportStore, intake: Intake, samples: list, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    create_company_ca(tmp_path / "seal", "Thermi'Clim Services")
    engine = PiiEngine(
        load_vocabulary(TemplateCatalog.load()), recognizers=[*default_recognizers(), _BrokenPlugin()]
    )
    pipeline = Pipeline(
        store,
        intake.catalog,
        tmp_path / "seal",
        redactor_factory=lambda: ReportRedactor(engine, style="placeholder"),
    )
    payloads = [json.loads(json.dumps(s.payload)) for s in samples]
    payloads[1]["observations"] = "Accès par la chaufferie n°7, Mme Garnier présente."
    ids = [intake.ingest(Submission(json.dumps(p).encode(), "json")).report.id for p in payloads]
    broken, fine = ids[1], [ids[0], *ids[2:]]

    counts = pipeline.run_pending(batch_size=10)

    assert (counts["redact"], counts["redact failed"], counts["archive"]) == (3, 1, 3)
    assert all(store.get(i).state == ReportState.ARCHIVED for i in fine)
    summary = store.get(broken)
    assert summary.state == ReportState.VALIDATED
    assert [i["code"] for i in summary.issues] == ["pii_detection_failed"]
    assert _ledger_failures(store, broken) == [("redact", "pii_detection_failed")]
    recorded = json.dumps(
        [summary.issues, [decode_entry(e.entry) for e in store.ledger.entries_for_report(broken)]]
    )
    assert "Garnier" not in recorded and "chaufferie" not in recorded and "Garnier" not in caplog.text
