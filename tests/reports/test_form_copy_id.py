"""A filled copy of a blank PDF form gets its submission id from an HMAC under the
installation's index key: the same copy is the same submission (a re-ingest is idempotent),
and someone holding the database cannot confirm a guess of what a copy says from its id."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from pypdf import PdfReader

from reports.capture.pdf_form import blank_form, read_form
from reports.capture.pdf_form_fields import form_info
from reports.capture.pdf_form_fill import fill_form
from reports.capture.pdf_form_read import copy_submission_id, read_form_reading
from reports.intake import Intake, Submission
from reports.templates import TemplateCatalog
from storage.report_store import ReceiptKind
from tests.reports.test_pdf_form import valid_payload

CLIM = next(t for t in TemplateCatalog.load() if t.id == "climatisation.mise_en_service")
KEY, OTHER_KEY = b"\x01" * 32, b"\x02" * 32


def _filled_copy(blank: bytes, **changes: Any) -> bytes:
    payload = {**valid_payload(CLIM), **changes}
    del payload["submission_id"]  # as a technician leaves it: empty
    return fill_form(CLIM, payload, blank=blank)


def _unkeyed(form_id: str, report: dict[str, Any]) -> str:
    """The id as it was derived before (issue 18): anyone could recompute it from a guess."""
    canonical = json.dumps(report, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{form_id}.{hashlib.sha256(canonical.encode()).hexdigest()[:20]}"


def test_the_copy_id_depends_on_the_key_and_not_on_the_content_alone() -> None:
    blank = blank_form(CLIM)
    form_id = form_info(PdfReader(io.BytesIO(blank)).get_fields() or {}).form_id
    copy = _filled_copy(blank, observations="Client absent, clé chez la gardienne.")
    reading = read_form_reading(copy)
    assert reading.form_id == form_id and "submission_id" not in reading.report
    ours = read_form(copy, copy_key=KEY)["submission_id"]
    assert read_form(copy, copy_key=KEY)["submission_id"] == ours  # the same copy: the same id
    assert read_form(copy, copy_key=OTHER_KEY)["submission_id"] != ours
    assert ours.startswith(f"{form_id}.") and len(ours) == len(form_id) + 21
    # What the content alone gives — a guess of the copy hashed without the key — is not the id.
    assert ours != _unkeyed(form_id, reading.report)
    assert ours == copy_submission_id(form_id, reading.report, KEY)


def test_a_typed_submission_id_is_kept_and_no_copy_id_is_derived() -> None:
    blank = blank_form(CLIM)
    payload = valid_payload(CLIM)
    reading = read_form_reading(fill_form(CLIM, payload, blank=blank))
    assert reading.form_id is None
    assert reading.with_copy_id(KEY)["submission_id"] == payload["submission_id"]


def test_intake_keys_the_copy_id_with_the_index_key_and_a_resend_is_one_report(intake: Intake) -> None:
    blank = blank_form(CLIM)
    copy = _filled_copy(blank, observations="Premier passage.")
    first = intake.ingest(Submission(copy, "pdf_form"))
    again = intake.ingest(Submission(copy, "pdf_form"))
    assert first.accepted, first.issues
    assert again.receipt == ReceiptKind.DUPLICATE and again.report.id == first.report.id
    reading = read_form_reading(copy)
    assert reading.form_id is not None
    keyed = copy_submission_id(reading.form_id, reading.report, intake.store.keys.index_key)
    assert first.report.submission_id == keyed
    assert first.report.submission_id != _unkeyed(reading.form_id, reading.report)
