"""Capture and validation end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reports.capture.photos import PhotoLimits
from reports.intake import Intake, Submission
from reports.samples import Sample, generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from storage.models import Base
from storage.report_store import ReceiptKind, ReportStore
from storage.states import ReportState


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return generate_samples(TemplateCatalog.load(), 24, seed=11, photo_size=(320, 240))


def valid(samples: list[Sample], n: int = 0) -> dict[str, Any]:
    return copy.deepcopy([s for s in samples if s.expected == "valid" and not s.unfinished][n].payload)


def as_json(payload: Any) -> Submission:
    return Submission(json.dumps(payload, ensure_ascii=False).encode(), "json")


def codes(outcome: Any) -> set[str]:
    return {i.code for i in outcome.issues}


def test_a_valid_report_is_accepted_with_its_photos_stored_clean(
    intake: Intake, samples: list[Sample]
) -> None:
    payload = valid(samples)
    outcome = intake.ingest(as_json(payload))
    assert outcome.accepted, outcome.issues
    report = outcome.report
    assert report.state == ReportState.VALIDATED
    assert report.template_id == payload["equipment"]["category"] + "." + payload["intervention_type"]
    stored = InterventionReport.model_validate_json(
        intake.store.read_blob(report.id, report.content_blob_id or "")
    )
    assert stored.client.name == payload["client"]["name"]
    assert len(stored.photos) == len(payload["photos"])
    for photo in stored.photos:
        assert photo.image.blob_id is not None and photo.image.content_base64 is None
        image = Image.open(io.BytesIO(intake.store.read_blob(report.id, photo.image.blob_id)))
        assert not image.getexif(), "EXIF (GPS) must be stripped"
    assert stored.client_signature is not None and stored.client_signature.image.blob_id is not None


def test_every_sample_gets_the_expected_verdict(intake: Intake, samples: list[Sample]) -> None:
    for sample in samples:
        outcome = intake.ingest(as_json(sample.payload))
        if sample.expected == "valid":
            assert outcome.accepted, (sample.template_id, outcome.issues)
            assert outcome.report.outcome == ("unfinished" if sample.unfinished else "completed")
        else:
            assert not outcome.accepted
            assert sample.defect in codes(outcome), (sample.defect, outcome.issues)


@pytest.mark.parametrize(
    ("raw", "code", "path"),
    [
        (b'{"submission_id": "x", ', "invalid_json", ""),
        ('{"submission_id": "é"}'.encode("latin-1"), "not_utf8", ""),
        (b"[1, 2]", "not_an_object", ""),
        (b"", "invalid_json", ""),
    ],
)
def test_unreadable_json_is_rejected_and_kept(intake: Intake, raw: bytes, code: str, path: str) -> None:
    outcome = intake.ingest(Submission(raw, "json"))
    assert outcome.report.state == ReportState.REJECTED
    assert [(i.code, i.path) for i in outcome.issues] == [(code, path)]
    kept = intake.store.submissions(outcome.report.id)
    assert intake.store.read_blob(outcome.report.id, kept[0].raw_blob_id) == raw


@pytest.mark.parametrize(
    ("mutate", "code", "path"),
    [
        (lambda p: p["measurements"][0].update(value="beaucoup"), "invalid_value", "measurements[0].value"),
        (lambda p: p["client"].update(kind="entreprise"), "invalid_value", "client.kind"),
        (lambda p: p["client"].pop("name"), "missing", "client.name"),
        (lambda p: p.update(colour="bleu"), "extra_forbidden", "(unknown field)"),  # a key is never quoted
        (lambda p: p["client"].update(email="pas-une-adresse"), "invalid_value", "client.email"),
        (lambda p: p.update(departure="2020-01-01T08:00:00"), "invalid_value", ""),
        (lambda p: p.update(intervention_type="ramonage"), "unknown_template", "intervention_type"),
        (
            lambda p: p["photos"][0]["image"].update(content_base64="***"),
            "attachment_bad_base64",
            "photos[0].image.content_base64",
        ),
        (
            lambda p: p["photos"][0]["image"].update(content_base64=base64.b64encode(b"GIF89a....").decode()),
            "photo_unsupported_type",
            "photos[0].image",
        ),
        (
            lambda p: p["photos"][0].update(image={"file": "nowhere.jpg"}),
            "attachment_file_refused",
            "photos[0].image.file",
        ),
        (
            lambda p: p["photos"][0].update(image={"blob_id": "b123"}),
            "attachment_blob_id_refused",
            "photos[0].image",
        ),
        (lambda p: p["outcome"].update(status="unfinished"), "invalid_value", "outcome"),
    ],
)
def test_bad_fields_are_named(
    intake: Intake, samples: list[Sample], mutate: Any, code: str, path: str
) -> None:
    payload = valid(samples)
    mutate(payload)
    outcome = intake.ingest(as_json(payload))
    assert outcome.report.state == ReportState.REJECTED
    assert (code, path) in {(i.code, i.path) for i in outcome.issues}, outcome.issues


def test_photo_files_are_read_next_to_the_submission(
    intake: Intake, samples: list[Sample], tmp_path: Path
) -> None:
    payload = valid(samples)
    for number, photo in enumerate(payload["photos"]):
        (tmp_path / f"p{number}.jpg").write_bytes(base64.b64decode(photo["image"]["content_base64"]))
        photo["image"] = {"file": f"p{number}.jpg"}
    assert intake.ingest(Submission(json.dumps(payload).encode(), "json", tmp_path)).accepted
    payload["submission_id"] += "-missing"
    payload["photos"][0]["image"] = {"file": "absent.jpg"}
    outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json", tmp_path))
    assert ("attachment_file_missing", "photos[0].image.file") in {(i.code, i.path) for i in outcome.issues}


def test_an_oversized_photo_file_is_refused_before_it_is_read(
    store: ReportStore, catalog: TemplateCatalog, samples: list[Sample], tmp_path: Path
) -> None:
    strict = Intake(store, catalog, photo_limits=PhotoLimits(max_bytes=2_000))
    payload = valid(samples)
    photo = tmp_path / "big.jpg"
    photo.write_bytes(base64.b64decode(payload["photos"][0]["image"]["content_base64"]))
    payload["photos"][0]["image"] = {"file": "big.jpg"}
    outcome = strict.ingest(Submission(json.dumps(payload).encode(), "json", tmp_path))
    assert ("photo_too_large", "photos[0].image.file") in {(i.code, i.path) for i in outcome.issues}
    stored = json.loads(
        store.read_blob(outcome.report.id, store.submissions(outcome.report.id)[0].raw_blob_id)
    )
    assert stored["photos"][0]["image"] == {"file": "big.jpg"}, (
        "the file was not read: it is still in its folder"
    )


def test_a_refused_photo_file_is_kept_in_the_stored_submission(
    intake: Intake, samples: list[Sample], tmp_path: Path
) -> None:
    payload = valid(samples)
    (tmp_path / "scan.gif").write_bytes(b"GIF89a" + bytes(64))
    payload["photos"][0]["image"] = {"file": "scan.gif"}
    outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json", tmp_path))
    assert "photo_unsupported_type" in codes(outcome)
    store = intake.store
    stored = json.loads(
        store.read_blob(outcome.report.id, store.submissions(outcome.report.id)[0].raw_blob_id)
    )
    kept = base64.b64decode(stored["photos"][0]["image"]["content_base64"])
    assert kept == b"GIF89a" + bytes(64), "nothing is lost: the refused file is in the encrypted submission"


def test_resubmission_is_idempotent_and_a_correction_revives_a_rejected_report(
    intake: Intake, samples: list[Sample]
) -> None:
    payload = valid(samples)
    broken = copy.deepcopy(payload)
    broken["measurements"] = broken["measurements"][1:]
    first = intake.ingest(as_json(broken))
    assert first.report.state == ReportState.REJECTED
    again = intake.ingest(as_json(broken))
    assert (again.receipt, again.report.id) == (ReceiptKind.DUPLICATE, first.report.id)
    assert codes(again) == codes(first)
    fixed = intake.ingest(as_json(payload))
    assert (fixed.receipt, fixed.report.id, fixed.report.state) == (
        ReceiptKind.CORRECTION,
        first.report.id,
        ReportState.VALIDATED,
    )
    assert fixed.report.revision == 2
    assert len(intake.store.list_reports()) == 1


def test_other_content_under_an_accepted_submission_id_is_a_conflict(
    intake: Intake, samples: list[Sample]
) -> None:
    payload = valid(samples)
    original = intake.ingest(as_json(payload))
    payload["observations"] = "Autre version"
    conflict = intake.ingest(as_json(payload))
    assert conflict.receipt == ReceiptKind.CONFLICT
    assert conflict.report.id != original.report.id
    assert [i.code for i in conflict.issues] == ["submission_conflict"]
    assert original.report.id in conflict.issues[0].message
    assert intake.store.get(original.report.id).state == ReportState.VALIDATED


def test_issue_messages_never_quote_submitted_values(intake: Intake, samples: list[Sample]) -> None:
    payload = valid(samples)
    payload["client"]["email"] = "jeanne.secretvalue@@exemple.fr"
    payload["client"]["phone"] = "secretphone"
    payload["request"]["date"] = "le 3 mai chez Mme Secretname"
    outcome = intake.ingest(as_json(payload))
    dumped = json.dumps([i.as_dict() for i in outcome.issues], ensure_ascii=False)
    assert len(outcome.issues) >= 3
    for secret in ("secretvalue", "secretphone", "Secretname"):
        assert secret not in dumped


def test_no_personal_value_in_clear_in_the_database_or_blobs(
    intake: Intake, samples: list[Sample], tmp_path: Path
) -> None:
    """ARCHITECTURE invariant 1, for capture: rows and files hold no captured value in clear."""
    secrets: set[str] = set()
    for sample in samples:
        intake.ingest(as_json(sample.payload))
        client = sample.payload["client"]
        secrets |= {client["name"], client["address"]["street"]} | {
            v for v in (client.get("phone"), client.get("email")) if v
        }
    database = intake.store.database
    if database.dialect == "sqlite":
        database.dispose()  # checkpoint the WAL into the file
        dumps = [p.read_bytes() for p in tmp_path.glob("quitus.db*")]
    else:
        from sqlalchemy import text

        with database.engine.connect() as connection:
            dumps = [
                json.dumps(
                    [list(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {t}"))],
                    ensure_ascii=False,
                ).encode()
                for t in Base.metadata.tables
            ]
    dumps += [p.read_bytes() for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    dumps += [p.read_bytes() for p in (tmp_path / "keys").rglob("*") if p.is_file()]
    assert len(secrets) > 20
    for secret in secrets:
        for dump in dumps:
            assert secret.encode() not in dump, "a personal value is stored in clear"


def test_the_same_conflicting_bytes_twice_make_one_conflict_report(
    intake: Intake, samples: list[Sample]
) -> None:
    payload = valid(samples)
    intake.ingest(as_json(payload))
    payload["observations"] = "Autre version"
    first = intake.ingest(as_json(payload))
    second = intake.ingest(as_json(payload))
    assert (second.receipt, second.report.id) == (ReceiptKind.DUPLICATE, first.report.id)
    assert len(intake.store.list_reports()) == 2


def test_a_capture_interrupted_after_storing_the_raw_bytes_is_finished_by_the_next_run(
    intake: Intake, samples: list[Sample]
) -> None:
    submission = as_json(valid(samples))
    # What a run killed right after the first transaction leaves behind:
    receipt = intake.store.receive(
        submission.raw, source="json", submission_id=valid(samples)["submission_id"]
    )
    assert intake.store.get(receipt.report_id).state == ReportState.CAPTURED
    outcome = intake.ingest(submission)
    assert (outcome.report.id, outcome.report.state) == (receipt.report_id, ReportState.VALIDATED)
    assert len(intake.store.list_reports()) == 1


def test_a_validation_interrupted_is_finished_by_the_next_run(intake: Intake, samples: list[Sample]) -> None:
    submission = as_json(valid(samples))
    captured = intake.capture(submission)  # killed before validate()
    assert captured.report.state == ReportState.CAPTURED
    outcome = intake.ingest(submission)
    assert (outcome.report.id, outcome.report.state) == (captured.report.id, ReportState.VALIDATED)


def test_receive_persists_only_and_complete_capture_reads_it_later(
    intake: Intake, samples: list[Sample]
) -> None:
    payload = valid(samples, 1)
    received = intake.receive(as_json(payload))
    assert received.receipt == ReceiptKind.NEW and received.issues == []
    assert received.report.state == ReportState.CAPTURED
    assert received.report.content_blob_id is None  # photos not sanitized yet: the flow does it

    again = intake.receive(as_json(payload))
    assert (again.receipt, again.report.id) == (ReceiptKind.DUPLICATE, received.report.id)

    completed = intake.complete_capture(received.report.id)
    assert completed.report.content_blob_id is not None and completed.issues == []
    assert len(intake.store.submissions(received.report.id)) == 1, "nothing stored twice"
    repeat = intake.complete_capture(received.report.id)  # idempotent
    assert repeat.report.content_blob_id == completed.report.content_blob_id
    assert intake.validate(received.report.id).report.state == ReportState.VALIDATED


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "invalid_json"), (b"[1, 2]", "not_an_object"), (b'{"submission_id": "x-1"}', "missing")],
)
def test_receive_rejects_at_once_what_is_cheap_to_see(intake: Intake, raw: bytes, code: str) -> None:
    outcome = intake.receive(Submission(raw, "json"))
    assert outcome.report.state == ReportState.REJECTED
    assert code in codes(outcome)


@pytest.mark.parametrize("submission_id", ["0611223344", "+33611223344", "06.11.22.33.44"])
def test_a_submission_id_that_is_a_phone_number_is_refused_and_not_kept_in_clear(
    intake: Intake, samples: list[Sample], submission_id: str
) -> None:
    """``reports.submission_id`` is a clear column (idempotency): a client's phone typed as the
    sender's key would sit there for good (noticed in round 4)."""
    from sqlalchemy import select

    from storage.models import ReportRecord

    payload = valid(samples) | {"submission_id": submission_id}
    outcome = intake.ingest(as_json(payload))
    assert not outcome.accepted
    assert [i.path for i in outcome.issues] == ["submission_id"]
    assert submission_id not in json.dumps([i.as_dict() for i in outcome.issues])
    with intake.store.database.session() as session:
        kept = session.scalars(select(ReportRecord.submission_id)).all()
    assert submission_id not in kept
