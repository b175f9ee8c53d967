"""A person's access answer names each report by its number (issue 18): the reference printed
on their copy of the report, beside the internal id."""

from __future__ import annotations

from anonymization import ReportRedactor
from retention.subjects import export_subject, register_request
from storage.report_store import ReportStore
from tests.retention.test_subject_requests import POLICIES, answer, jeanne, redactor

__all__ = ["jeanne", "redactor"]  # fixtures shared with test_subject_requests


def test_the_access_answer_names_the_report_by_its_number(
    store: ReportStore, jeanne: str, redactor: ReportRedactor
) -> None:
    number = store.get(jeanne).number
    assert number is not None
    request = register_request(store, "access", [("email", "Jeanne.Leroy@orange.fr")])
    subject, page, _ = answer(export_subject(store, POLICIES, request, redactor=redactor))
    (report,) = subject["reports"]
    assert (report["report_id"], report["number"]) == (jeanne, number)
    assert f"<h2>Rapport {number} — intervention du" in page
    assert jeanne not in page
