"""Hostile submissions are refused with a code, within budget, and never stop a batch.

Each test here is a finding of the security review of issue 14: a JSON file nested
thousands of levels deep, duplicate keys, attachments that leave their folder (the key
file, ``/etc/hostname``, ``/dev/zero``, a FIFO), a PDF form that inflates to gigabytes,
unknown form fields, and an interrupted capture completed by the intake flow.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.capture.isolation import IsolatedFailure, run_isolated
from reports.capture.json_decode import load_json_object
from reports.capture.limits import CaptureLimits, MiB
from reports.capture.pdf_budget import check_inflated_size
from reports.capture.pdf_form_read import read_form_isolated, read_form_reading
from reports.errors import CaptureError
from reports.intake import Intake, Submission
from reports.samples import Sample, generate_samples
from reports.templates import TemplateCatalog
from storage.database import Database
from storage.report_store import ReceiptKind
from storage.states import ReportState
from tests import hostile_inputs as hostile


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """SQLite only: what is tested here is the decoders, not the backends."""
    db = Database(f"sqlite:///{tmp_path / 'quitus.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return generate_samples(TemplateCatalog.load(), 12, seed=5, photo_size=(160, 120))


def valid(samples: list[Sample]) -> dict[str, Any]:
    return copy.deepcopy(next(s for s in samples if s.expected == "valid" and not s.unfinished).payload)


def codes(outcome: Any) -> set[str]:
    return {i.code for i in outcome.issues}


def raw_of(intake: Intake, report_id: str) -> bytes:
    return intake.store.read_blob(report_id, intake.store.submissions(report_id)[-1].raw_blob_id)


# -- JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 3000, 100_000])
def test_deeply_nested_json_is_rejected_with_a_code_and_kept(intake: Intake, depth: int) -> None:
    raw = hostile.deep_json(depth)
    outcome = intake.ingest(Submission(raw, "json"))
    assert outcome.report.state == ReportState.REJECTED
    assert codes(outcome) == {"json_too_deep"}
    assert raw_of(intake, outcome.report.id) == raw, "the raw submission is kept for correction"


def test_nesting_within_the_budget_is_read(intake: Intake) -> None:
    payload, problem = load_json_object(hostile.deep_json(31), CaptureLimits())
    assert problem is None and payload is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    raw = json.dumps({"observations": "[" * 5000 + "{" * 5000}).encode()
    payload, problem = load_json_object(raw, CaptureLimits(json_max_containers=20_000))
    assert problem is None and payload == {"observations": "[" * 5000 + "{" * 5000}


@pytest.mark.parametrize("raw", [hostile.wide_json(300_000), hostile.many_objects_json(30_000)])
def test_json_with_too_many_values_is_rejected_before_parsing(intake: Intake, raw: bytes) -> None:
    outcome = intake.ingest(Submission(raw, "json"))
    assert codes(outcome) == {"json_too_complex"}


def test_a_duplicate_key_is_rejected_naming_where(intake: Intake, samples: list[Sample]) -> None:
    text = json.dumps(valid(samples), ensure_ascii=False)
    # The second "name" would silently win, the first stay outside the subject index.
    raw = text.replace('"client": {', '"client": {"name": "Autre Personne", ', 1).encode()
    outcome = intake.ingest(Submission(raw, "json"))
    assert outcome.report.state == ReportState.REJECTED
    assert [(i.code, i.path) for i in outcome.issues] == [("duplicate_key", "client")]
    assert "'name'" in outcome.issues[0].message
    assert "Autre" not in outcome.issues[0].message


def test_a_duplicate_key_that_may_be_personal_is_not_quoted() -> None:
    raw = b'{"tags": [{"jean.dupont@example.fr": 1, "jean.dupont@example.fr": 2}]}'
    payload, problem = load_json_object(raw, CaptureLimits())
    assert payload is None and problem is not None
    assert (problem.code, problem.path) == ("duplicate_key", "tags[0]")
    assert "dupont" not in problem.message


def test_a_bad_json_file_does_not_stop_the_next_one(intake: Intake, samples: list[Sample]) -> None:
    first = intake.ingest(Submission(hostile.deep_json(5000), "json"))
    second = intake.ingest(Submission(json.dumps(valid(samples)).encode(), "json"))
    assert not first.accepted and second.accepted


# -- files referenced from a folder (quitus ingest) ------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, samples: list[Sample]) -> Path:
    """A submission folder with a valid photo beside it, and a secret outside it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    photo = valid(samples)["photos"][0]["image"]["content_base64"]
    (inbox / "avant.jpg").write_bytes(base64.b64decode(photo))
    (tmp_path / "home-keys").mkdir()
    (tmp_path / "home-keys" / "kek.key").write_bytes(b"SECRET-KEK-" + bytes(21))
    return inbox


def submit_file_reference(intake: Intake, samples: list[Sample], folder: Path, reference: str) -> Any:
    payload = valid(samples)
    payload["photos"][0]["image"] = {"file": reference}
    return intake.ingest(Submission(json.dumps(payload).encode(), "json", folder))


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("../home-keys/kek.key", "attachment_outside_folder"),
        ("/etc/hostname", "attachment_outside_folder"),
        ("escape.jpg", "attachment_outside_folder"),  # a symlink pointing out
        ("/dev/zero", "attachment_outside_folder"),
        ("zero", "attachment_outside_folder"),  # a symlink inside, to a device
        ("fifo.jpg", "attachment_not_a_file"),
        ("photos", "attachment_not_a_file"),
        (".", "attachment_outside_folder"),
    ],
)
def test_a_reference_that_leaves_its_folder_or_is_not_a_file_is_refused_without_reading_it(
    intake: Intake, samples: list[Sample], folder: Path, reference: str, code: str
) -> None:
    (folder / "escape.jpg").symlink_to(folder.parent / "home-keys" / "kek.key")
    (folder / "photos").mkdir()
    os.mkfifo(folder / "fifo.jpg")
    (folder / "inner").mkdir()
    (folder / "zero").symlink_to("/dev/zero")
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(submit_file_reference(intake, samples, folder, reference))
    )
    worker.start()
    worker.join(30)
    assert done, "the ingest hung"
    outcome = done[0]
    assert not outcome.accepted
    assert (code, "photos[0].image.file") in {(i.code, i.path) for i in outcome.issues}, outcome.issues
    stored = raw_of(intake, outcome.report.id)
    assert b"SECRET-KEK" not in stored and base64.b64encode(b"SECRET-KEK-").rstrip(b"=")[:12] not in stored
    for blob in intake.store.blob_records(outcome.report.id):
        assert b"SECRET-KEK" not in intake.store.read_blob(outcome.report.id, blob.id)


def test_a_symlink_inside_the_folder_to_a_file_inside_is_followed(
    intake: Intake, samples: list[Sample], folder: Path
) -> None:
    (folder / "photos").mkdir()
    (folder / "photos" / "link.jpg").symlink_to(folder / "avant.jpg")
    outcome = submit_file_reference(intake, samples, folder, "photos/link.jpg")
    assert outcome.accepted, outcome.issues


def test_too_many_file_bytes_together_are_refused(
    store: Any, catalog: TemplateCatalog, samples: list[Sample], folder: Path
) -> None:
    size = (folder / "avant.jpg").stat().st_size
    strict = Intake(store, catalog, limits=CaptureLimits(max_attachment_total_bytes=size))
    payload = valid(samples)
    payload["photos"] = [{"kind": "before", "image": {"file": "avant.jpg"}} for _ in range(3)]
    outcome = strict.ingest(Submission(json.dumps(payload).encode(), "json", folder))
    refused = [i.path for i in outcome.issues if i.code == "attachments_too_large"]
    assert refused == ["photos[1].image.file", "photos[2].image.file"]


# -- an interrupted capture, completed by the intake flow -----------------------------------


def test_an_interrupted_folder_capture_is_completed_by_the_intake_flow_as_a_valid_report(
    store: Any, catalog: TemplateCatalog, samples: list[Sample], folder: Path
) -> None:
    payload = valid(samples)
    payload["photos"][0]["image"] = {"file": "avant.jpg"}
    (folder / "report.json").write_text(json.dumps(payload, ensure_ascii=False))
    submission = Submission((folder / "report.json").read_bytes(), "json", folder)

    # What `quitus ingest` does before it is killed: store the submission, nothing more.
    cli = Intake(store, catalog)
    stored, _ = cli.with_files_inlined(submission)
    receipt = store.receive(stored.raw, source="json", submission_id=payload["submission_id"])
    del cli

    # The intake flow (another process, no folder) finds the report captured without content.
    flow = Intake(store, catalog)
    outcome = flow.validate(receipt.report_id)
    assert outcome.report.state == ReportState.VALIDATED, outcome.issues

    # Ingesting the same folder again is a duplicate of the accepted report.
    again = Intake(store, catalog).ingest(submission)
    assert (again.receipt, again.report.id, again.accepted) == (
        ReceiptKind.DUPLICATE,
        receipt.report_id,
        True,
    )


def test_a_capture_interrupted_before_this_fix_is_corrected_by_ingesting_it_again(
    store: Any, catalog: TemplateCatalog, samples: list[Sample], folder: Path
) -> None:
    """Submissions stored with bare file references by an older quitus are not stuck."""
    payload = valid(samples)
    payload["photos"][0]["image"] = {"file": "avant.jpg"}
    raw = json.dumps(payload).encode()
    receipt = store.receive(raw, source="json", submission_id=payload["submission_id"])
    first = Intake(store, catalog).validate(receipt.report_id)
    assert "attachment_file_refused" in codes(first)
    again = Intake(store, catalog).ingest(Submission(raw, "json", folder))
    assert (again.receipt, again.report.id) == (ReceiptKind.CORRECTION, receipt.report_id)
    assert again.accepted, again.issues


# -- PDF forms ------------------------------------------------------------------------------


def test_a_zip_bomb_form_is_refused_before_it_is_inflated() -> None:
    bomb = hostile.pdf_with_embedded_files(30, 70 * MiB)
    assert len(bomb) < 3 * MiB
    with pytest.raises(CaptureError) as refused:
        check_inflated_size(bomb, CaptureLimits())
    assert refused.value.code == "pdf_too_complex"


@pytest.mark.parametrize(
    ("build", "limits", "code"),
    [
        (lambda: hostile.pdf_with_embedded_files(1, 70 * MiB), CaptureLimits(), "pdf_too_complex"),
        (
            lambda: hostile.pdf_with_embedded_files(5, 2 * MiB),
            CaptureLimits(form_max_attachments=4),
            "pdf_too_many_attachments",
        ),
        (
            lambda: hostile.pdf_with_embedded_files(6, 2 * MiB),
            CaptureLimits(form_max_decoded_bytes=10 * MiB),
            "pdf_too_complex",
        ),
        (lambda: hostile.pdf_with_pages(60), CaptureLimits(), "pdf_too_many_pages"),
        (lambda: hostile.pdf_with_bomb_content_stream(100 * MiB), CaptureLimits(), "pdf_too_complex"),
    ],
    ids=["one-70MiB-file", "too-many-files", "too-much-together", "too-many-pages", "content-stream-bomb"],
)
def test_each_form_budget_is_refused_with_its_code(build: Any, limits: CaptureLimits, code: str) -> None:
    with pytest.raises(CaptureError) as refused:
        read_form_reading(build(), limits)
    assert refused.value.code == code


def test_an_attached_file_above_the_photo_limit_is_refused() -> None:
    form = hostile.pdf_with_embedded_files(1, 2 * MiB)
    with pytest.raises(CaptureError) as refused:
        read_form_reading(form, CaptureLimits(), photo_max_bytes=1 * MiB)
    assert refused.value.code == "pdf_attachment_too_large"


def test_a_zip_bomb_form_through_intake_is_rejected_and_kept(intake: Intake) -> None:
    bomb = hostile.pdf_with_embedded_files(30, 70 * MiB)
    outcome = intake.ingest(Submission(bomb, "pdf_form"))
    assert outcome.report.state == ReportState.REJECTED
    assert codes(outcome) == {"pdf_too_complex"}
    assert raw_of(intake, outcome.report.id) == bomb


def test_the_form_reader_runs_in_a_process_that_may_run_out_of_memory_alone() -> None:
    with pytest.raises(IsolatedFailure):
        run_isolated(bytes.ljust, b"x", 2048 * MiB, memory_bytes=256 * MiB, seconds=10)
    assert run_isolated(bytes.ljust, b"x", 3, memory_bytes=64 * MiB, seconds=10) == b"x  "


def test_a_form_too_costly_for_its_process_is_pdf_too_complex() -> None:
    form = hostile.pdf_with_embedded_files(3, 12 * MiB)
    with pytest.raises(CaptureError) as refused:
        read_form_isolated(form, CaptureLimits(form_worker_memory_bytes=24 * MiB))
    assert refused.value.code == "pdf_too_complex"


def test_attached_files_up_to_the_budget_are_read_in_the_process() -> None:
    """No false refusal: four files of 14 MiB (56 MiB together) are within every limit."""
    reading = read_form_isolated(hostile.pdf_with_embedded_files(4, 14 * MiB))
    assert len(reading.report["photos"]) == 4


def test_a_valid_form_reads_the_same_in_its_process() -> None:
    form = hostile.filled_form()
    assert read_form_isolated(form) == read_form_reading(form)


def test_an_unknown_filled_form_field_rejects_the_report_naming_it(intake: Intake) -> None:
    outcome = intake.ingest(Submission(hostile.pdf_with_unknown_field(), "pdf_form"))
    assert outcome.report.state == ReportState.REJECTED
    found = [(i.code, i.path) for i in outcome.issues]
    assert ("form_field_unknown", "client.birth_date") in found, found
    assert all("1970" not in i.message for i in outcome.issues)


def test_a_valid_form_is_still_accepted(intake: Intake) -> None:
    outcome = intake.ingest(Submission(hostile.filled_form(), "pdf_form"))
    assert outcome.accepted, outcome.issues
