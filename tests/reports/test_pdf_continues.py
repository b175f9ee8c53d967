"""A report that continues an unfinished one says so in its PDF, full and redacted alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from reports.schema import InterventionReport
from storage.report_numbers import is_report_number
from tests.reports.test_pdf_render import SAMPLES, flat, pdftotext, render, report_of

TEMPLATE = "chaudiere_gaz.entretien_annuel"


@pytest.mark.parametrize("variant", ["full", "redacted"])
def test_the_pdf_says_which_intervention_it_continues(tmp_path: Path, variant: str) -> None:
    report, template = report_of(TEMPLATE, continues="RI-2026-000123")
    text = flat(pdftotext(render(report, template, variant=variant), tmp_path))
    assert "Suite de l'intervention RI-2026-000123" in text


def test_a_report_that_continues_nothing_says_nothing(tmp_path: Path) -> None:
    report, template = report_of(TEMPLATE)
    assert "Suite de l'intervention" not in flat(pdftotext(render(report, template), tmp_path))


@pytest.mark.parametrize("number", ["RI-2026-000123", "RI-2031-12345678"])
def test_the_schema_takes_what_storage_spells_as_a_number(number: str) -> None:
    assert is_report_number(number)
    assert InterventionReport.model_validate({**SAMPLES[TEMPLATE].payload, "continues": number}).continues


@pytest.mark.parametrize("value", ["RI-2026-123", "RI-01M8T8MRWVAY8ZBA2SQT8K2YFT", "Mme Dupont", ""])
def test_anything_else_is_refused(value: str) -> None:
    assert not is_report_number(value)
    with pytest.raises(ValidationError):
        InterventionReport.model_validate({**SAMPLES[TEMPLATE].payload, "continues": value})


@pytest.mark.parametrize("variant", ["full", "redacted"])
def test_the_pdf_prints_the_units_earlier_interventions(tmp_path: Path, variant: str) -> None:
    report, template = report_of(TEMPLATE)
    line = "Dernière intervention : 12/01/2026, Entretien annuel chaudière gaz, terminée (RI-2026-000123)"
    pdf = render(report, template, variant=variant, equipment_history=[line])
    assert line in flat(pdftotext(pdf, tmp_path))
