"""A data subject's copy (Art. 15): other people are redacted, the reader's own data is not."""

from __future__ import annotations

import pytest

from anonymization.engine import PiiEngine
from anonymization.redaction import KeptFields, ReportRedactor
from tests.anonymization.test_pii_redaction import make_report

OBSERVATIONS = (
    "Travail fait chez Jeanne Leroy, 12 rue des Lilas à Lyon. Clés chez son voisin Paul Martin, "
    "joignable au 07 11 22 33 44. Mme Leroy rappellera au 06 12 34 56 78 ou à jeanne.leroy@orange.fr."
)


@pytest.fixture(scope="module")
def redactor(pii_engine: PiiEngine) -> ReportRedactor:
    return ReportRedactor(pii_engine, style="placeholder")


def test_the_client_keeps_their_own_values_and_loses_the_neighbours(redactor: ReportRedactor) -> None:
    report = make_report(observations=OBSERVATIONS)
    [copy] = redactor.redact_reports([report], kept=[KeptFields(own=("client",), other_structured=True)])
    text = copy.report.observations or ""
    for own in (
        "Jeanne Leroy",
        "12 rue des Lilas",
        "Lyon",
        "Mme Leroy",
        "06 12 34 56 78",
        "jeanne.leroy@orange.fr",
    ):
        assert own in text, own
    for other in ("Paul Martin", "Martin", "07 11 22 33 44"):
        assert other not in text, other
    assert "<PERSONNE_" in text and "<TÉLÉPHONE_" in text
    # structured fields stay: the client's, and the technician's on the client's own report
    assert copy.report.client == report.client
    assert copy.report.technician == report.technician
    assert {r.type for r in copy.redactions} >= {"PERSON", "PHONE_NUMBER"}


def test_another_reader_gets_the_client_block_redacted(redactor: ReportRedactor) -> None:
    report = make_report(observations=OBSERVATIONS)
    [copy] = redactor.redact_reports([report], kept=[KeptFields(own=("technician",))])
    assert copy.report.technician == report.technician
    assert copy.report.client.name == "<PERSONNE_1>"
    assert copy.report.client.email == "<EMAIL_1>"
    text = copy.report.observations or ""
    assert "Leroy" not in text and "Paul Martin" not in text and "06 12 34 56 78" not in text


def test_kept_needs_one_entry_per_report(redactor: ReportRedactor) -> None:
    with pytest.raises(ValueError, match="one KeptFields per report"):
        redactor.redact_reports([make_report()], kept=[])
