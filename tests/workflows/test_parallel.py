"""Redact, render and seal in worker processes (workflows.parallel), on a real installation.

The pool's result must be the one-process result: the same states, the same redacted JSON
and drafts byte for byte, each step once in the ledger, sealed PDFs that verify. Workers
get report ids and give back ciphertext; each loads its PII model once, and the process
that owns them loads none; they do not outlive a killed owner.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from quitus.settings import Settings
from quitus.wiring import App, initialize, open_app
from reports.intake import Submission
from reports.pdf import verify_sealed_pdf
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
from storage.blob_kinds import BlobKind
from storage.ledger.events import decode_entry
from storage.ledger.steps import LedgerStep
from storage.states import ReportState
from workflows import parallel
from workflows.parallel import Failed
from workflows.stages import STAGES, UNREADABLE, failure_issue

REPORTS = 6
STEPS = [step.value for _, step in STAGES]


@pytest.fixture(scope="module")
def samples() -> list:
    found = generate_samples(TemplateCatalog.load(), 12, seed=5, photo_size=(120, 90))
    return [s for s in found if s.expected == "valid"][:REPORTS]


def _home(root: Path, samples: list, processes: int) -> App:
    settings = Settings(home=root / "home", company_name="Thermi'Clim Services", intake_processes=processes)
    initialize(settings)
    app = open_app(settings)
    for sample in samples:
        raw = json.dumps(sample.payload, ensure_ascii=False).encode()
        assert app.intake.ingest(Submission(raw=raw, source="json")).report.state == ReportState.VALIDATED
    return app


@pytest.fixture
def apps(tmp_path: Path, samples: list) -> Iterator[dict[int, App]]:
    opened = {n: _home(tmp_path / f"p{n}", samples, n) for n in (1, 2)}
    yield opened
    for app in opened.values():
        app.close()


def _redacted_json(app: App) -> list[tuple[str, object]]:
    """Each report's redacted JSON, less what differs from one installation to another
    (the submission's and the blobs' ids)."""
    store = app.store
    found = []
    for report in store.list_reports(limit=100):
        blob = store.latest_blob(report.id, BlobKind.REDACTED_REPORT)
        assert blob is not None
        found.append((report.shown_number, _without_ids(json.loads(store.read_blob(report.id, blob)))))
    return sorted(found, key=lambda item: item[0])


def _without_ids(data: object) -> object:
    if isinstance(data, dict):
        return {k: "…" if k in {"submission_id", "blob_id"} else _without_ids(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_without_ids(item) for item in data]
    return data


def _drafts(app: App) -> list[tuple[str, str]]:
    store = app.store
    found = []
    for report in store.list_reports(limit=100):
        for kind in (BlobKind.PDF_DRAFT_FULL, BlobKind.PDF_DRAFT_REDACTED):
            blob = store.latest_blob(report.id, kind)
            assert blob is not None
            found.append((report.shown_number, hashlib.sha256(store.read_blob(report.id, blob)).hexdigest()))
    return sorted(found)


@pytest.mark.slow
def test_two_processes_give_what_one_gives_each_step_once_and_sealed_pdfs_that_verify(
    apps: dict[int, App], tmp_path: Path
) -> None:
    pipelines = {n: app.pipeline() for n, app in apps.items()}
    assert pipelines[2].processes == 2 and pipelines[1].processes == 1
    try:
        for pipeline in pipelines.values():
            counts = pipeline.run_pending(batch_size=4)
            assert [counts[s] for s in STEPS] == [REPORTS] * 4
            assert not any(counts[f"{s} failed"] for s in STEPS)
        workers = pipelines[2].workers.facts()
    finally:
        for pipeline in pipelines.values():
            pipeline.close()

    # Each worker that redacted holds its one model; the process that owns them needs none.
    assert len(workers) == 2 and {w.spacy_models for w in workers} <= {0, 1}
    assert max(w.spacy_models for w in workers) == 1
    assert pipelines[2]._redactor is None
    assert pipelines[1].workers.worker_pids() == []  # one process: no pool was started
    assert _redacted_json(apps[2]) == _redacted_json(apps[1])  # the same text, whoever redacted it
    assert _drafts(apps[2]) == _drafts(apps[1])  # the same bytes, whoever rendered them
    store = apps[2].store
    ca = (tmp_path / "p2" / "home" / "company-ca.pem").read_bytes()
    for report in store.list_reports(limit=100):
        assert report.state == ReportState.ARCHIVED
        steps = Counter(decode_entry(e.entry)["step"] for e in store.ledger.entries_for_report(report.id))
        assert [steps[s] for s in STEPS] == [1, 1, 1, 1]
        for kind in (BlobKind.PDF_FULL, BlobKind.PDF_REDACTED):
            pdf = store.read_blob(report.id, store.latest_blob(report.id, kind) or "")
            assert verify_sealed_pdf(pdf, [ca]).ok, kind
    # The workers recorded nothing: every entry names this process's actor.
    actors = {decode_entry(e.entry)["actor"] for e in store.ledger.entries_with_step(*STEPS)}
    assert actors == {apps[2].settings.actor}


@pytest.mark.slow
def test_a_report_a_worker_cannot_read_is_marked_and_the_others_go_on(apps: dict[int, App]) -> None:
    app = apps[2]
    pipeline = app.pipeline()
    try:
        redacted = pipeline.redact(app.store.ids_in_state(ReportState.VALIDATED, limit=100))
        with_photo = [r for r in redacted.done if app.store.latest_blob(r, BlobKind.PHOTO) is not None]
        assert len(with_photo) >= 2
        broken = with_photo[1]
        photo = app.store.latest_blob(broken, BlobKind.PHOTO)
        next((app.settings.blob_dir).rglob(f"{photo}*")).unlink()  # its photo file is gone
        result = pipeline.render(redacted.done)
    finally:
        pipeline.close()
    assert result.failed == {broken: "blob_unreadable"}
    assert sorted(result.done) == sorted(set(redacted.done) - {broken})
    assert app.store.get(broken).state == ReportState.REDACTED
    assert app.store.get(broken).issues[0]["code"] == "blob_unreadable"


def _personal(samples: list) -> set[str]:
    return {s.payload["client"]["name"] for s in samples} | {
        s.payload["client"]["address"]["street"] for s in samples
    }


def test_a_worker_gets_an_id_and_gives_back_ciphertext_that_opens_to_the_drafts(
    apps: dict[int, App], samples: list
) -> None:
    app = apps[1]
    pipeline = app.pipeline()
    [report_id, *_] = pipeline.redact(app.store.ids_in_state(ReportState.VALIDATED, limit=100)).done
    key = b"k" * 32
    parallel._initialize_worker(pipeline.worker_opener, key, os.getpid())  # as a worker does
    [(answered, kind, value)] = parallel._work_in_worker("render_one", [report_id])

    assert (answered, kind) == (report_id, "documents")
    crossing = pickle.dumps((kind, value))  # what goes through the pipe
    assert [v for v in _personal(samples) if v.encode() in crossing] == []
    assert b"%PDF" not in crossing
    opened = parallel._opened(parallel.AESGCM(key), "render_one", report_id, kind, value)
    assert opened == pipeline.render_one(report_id)
    with pytest.raises(InvalidTag):  # bound to its report: not opened as another's
        parallel._opened(parallel.AESGCM(key), "render_one", "r-other", kind, value)
    assert parallel._work_in_worker("render_one", ["r-unknown"])[0][1] == "issue"


def test_a_worker_redacts_ids_into_ciphertext_that_opens_to_the_redacted_json_made_here(
    apps: dict[int, App], samples: list
) -> None:
    app = apps[1]
    pipeline = app.pipeline()
    ids = app.store.ids_in_state(ReportState.VALIDATED, limit=100)
    key = b"r" * 32
    parallel._initialize_worker(pipeline.worker_opener, key, os.getpid())  # as a worker does
    answers = parallel._work_in_worker("redact_some", [ids[0], "r-unknown", *ids[1:]])

    crossing = pickle.dumps(answers)  # what goes through the pipe: ids, ciphertext, issues
    assert [v for v in _personal(samples) if v.encode() in crossing] == []
    # The unreadable one first (as redaction here records it), then the others in their order.
    assert [(report_id, kind) for report_id, kind, _ in answers] == [
        ("r-unknown", "issue"),
        *[(report_id, "documents") for report_id in ids],
    ]
    opened = {
        report_id: parallel._opened(parallel.AESGCM(key), "redact_some", report_id, kind, value)
        for report_id, kind, value in answers
    }
    here = pipeline.redact_some(ids)  # in this process, with its own redactor
    assert {r: opened[r] for r in ids} == here
    assert all(set(documents) == {BlobKind.REDACTED_REPORT} for documents in here.values())  # type: ignore[arg-type]
    with pytest.raises(UNREADABLE) as unknown:
        app.store.get("r-unknown")
    assert opened["r-unknown"] == Failed(failure_issue(LedgerStep.REDACT, unknown.value))
    with pytest.raises(InvalidTag):  # bound to its work: a redacted JSON is not a draft
        parallel._opened(parallel.AESGCM(key), "render_one", ids[0], *answers[1][1:])


def test_failed_work_crosses_as_its_issue_alone(apps: dict[int, App]) -> None:
    outcome = apps[1].pipeline().run_one("seal_one", "r-unknown")
    assert isinstance(outcome, Failed)
    assert set(outcome.issue) == {"path", "code", "message", "message_fr"}


@pytest.mark.slow
def test_a_report_a_worker_cannot_read_for_redaction_is_marked_and_the_others_go_on(
    apps: dict[int, App],
) -> None:
    app = apps[2]
    pipeline = app.pipeline()
    ids = app.store.ids_in_state(ReportState.VALIDATED, limit=100)
    broken = ids[2]
    content = app.store.get(broken).content_blob_id
    next((app.settings.blob_dir).rglob(f"{content}*")).unlink()  # its content file is gone
    try:
        first = pipeline.redact(ids[:4])
        facts = pipeline.workers.facts()
        second = pipeline.redact(ids[4:])
        again = pipeline.workers.facts()
    finally:
        pipeline.close()
    assert first.failed == {broken: "blob_unreadable"}
    assert sorted(first.done + second.done) == sorted(set(ids) - {broken})
    assert app.store.get(broken).state == ReportState.VALIDATED
    assert app.store.get(broken).issues[0]["code"] == "blob_unreadable"
    # A worker loads its model at its first redaction, once: the second batch loads none.
    assert {f.pid: f.spacy_models for f in again} == {f.pid: f.spacy_models for f in facts}
    assert max(f.spacy_models for f in again) == 1
    assert pipeline._redactor is None  # the process that owns the pool loaded no model


@pytest.mark.slow
def test_workers_exit_when_their_owner_is_killed(tmp_path: Path, samples: list) -> None:
    _home(tmp_path, samples, 2).close()
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from quitus.settings import Settings
        from quitus.wiring import open_app

        if __name__ == "__main__":
            settings = Settings(home=Path({str(tmp_path / "home")!r}), intake_processes=2)
            pipeline = open_app(settings).pipeline()
            facts = pipeline.workers.start(pipeline, wait=True)
            print(" ".join(str(f.pid) for f in facts), flush=True)
            import time
            time.sleep(600)
        """
    )
    (tmp_path / "owner.py").write_text(script)
    owner = subprocess.Popen([sys.executable, str(tmp_path / "owner.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "a worker outlived its killed owner"
    finally:
        if owner.poll() is None:
            owner.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
