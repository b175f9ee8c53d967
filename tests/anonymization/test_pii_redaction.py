"""Redaction: structured fields deterministic, placeholders consistent, pseudonyms, masks."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest
from presidio_anonymizer.entities import RecognizerResult

from anonymization.engine import PiiEngine
from anonymization.errors import PseudonymKeyError
from anonymization.operators import NumberedValues, TextReplacer, mask, pseudonym
from anonymization.redaction import ReportRedactor
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def make_report(**changes: Any) -> InterventionReport:
    sample = next(
        s
        for s in generate_samples(TemplateCatalog.load(), 8, seed=11, photo_size=(16, 16))
        if s.expected == "valid"
    )
    payload = sample.payload
    payload["client"] = {
        "kind": "particulier",
        "name": "Jeanne Leroy",
        "address": {"street": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon"},
        "phone": "06 12 34 56 78",
        "email": "jeanne.leroy@orange.fr",
    }
    payload["request"]["description"] = (
        "Mme Leroy appelle : chaudière en panne. Rappeler au 06 12 34 56 78 ou au 07 11 22 33 44."
    )
    payload["observations"] = "Travail fait chez Jeanne Leroy, 12 rue des Lilas. Clés chez M. Martin."
    payload.update(changes)
    return InterventionReport.model_validate(payload)


def test_structured_fields_are_replaced_without_nlp() -> None:
    class Blind(PiiEngine):
        """An engine that finds nothing: structured fields must not depend on it."""

        def detect_many(self, texts: Any, *, keep: Any = None) -> list[list[Any]]:
            return [[] for _ in texts]

    engine = Blind.__new__(Blind)  # no model needed for this test
    report = make_report()
    [redacted] = ReportRedactor(engine).redact_reports([report])
    client = redacted.report.client
    assert client.name == "<PERSONNE_1>"
    assert client.phone == "<TÉLÉPHONE_1>"
    assert client.email == "<EMAIL_1>"
    assert (client.address.street, client.address.postal_code, client.address.city) == ("<ADRESSE_1>",) * 3
    assert client.address.country == "FR"
    # the report's own values are still found in its free text
    assert redacted.report.observations is not None
    assert "Leroy" not in redacted.report.observations and "Lilas" not in redacted.report.observations


def test_placeholders_are_consistent_within_a_report(pii_engine: PiiEngine) -> None:
    [redacted] = ReportRedactor(pii_engine).redact_reports([make_report()])
    report = redacted.report
    assert report.request.description == (
        "Mme <PERSONNE_1> appelle : chaudière en panne. Rappeler au <TÉLÉPHONE_1> ou au <TÉLÉPHONE_2>."
    )
    assert report.observations is not None
    assert re.fullmatch(
        r"Travail fait chez <PERSONNE_1>, <ADRESSE_1>\. Clés chez M\. <PERSONNE_[2-9]>\.", report.observations
    )
    assert report.technician.name.startswith("<PERSONNE_")
    by_placeholder = {r.placeholder: r for r in redacted.redactions}
    assert by_placeholder["<PERSONNE_1>"].structured
    assert by_placeholder["<PERSONNE_1>"].fields[:2] == ("client.name", "request.description")
    assert not by_placeholder["<TÉLÉPHONE_2>"].structured


def test_technical_content_and_attachments_are_untouched(pii_engine: PiiEngine) -> None:
    report = make_report()
    [redacted] = ReportRedactor(pii_engine).redact_reports([report])
    assert redacted.report.equipment == report.equipment
    assert redacted.report.parts == report.parts
    assert redacted.report.measurements == report.measurements
    assert [p.image for p in redacted.report.photos] == [p.image for p in report.photos]
    if report.client_signature is not None:
        assert redacted.report.client_signature is not None
        assert redacted.report.client_signature.image == report.client_signature.image


def test_the_summary_holds_no_original_value(pii_engine: PiiEngine) -> None:
    [redacted] = ReportRedactor(pii_engine, pseudonym_key=KEY).redact_reports([make_report()])
    summary = repr(redacted.redactions)
    for value in ("Leroy", "Jeanne", "Lilas", "69003", "Lyon", "06 12", "0612", "orange.fr", "Martin"):
        assert value not in summary


def test_one_engine_pass_for_all_reports(pii_engine: PiiEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = pii_engine.detect_many

    def counting(texts: Any, **kwargs: Any) -> Any:
        calls.append(len(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(pii_engine, "detect_many", counting)
    ReportRedactor(pii_engine).redact_reports([make_report(), make_report(), make_report()])
    assert len(calls) == 1 and calls[0] >= 6


def test_pseudonyms_link_a_person_across_reports_and_depend_on_the_key(pii_engine: PiiEngine) -> None:
    first = make_report()
    second = make_report(observations="Passage chez Jeanne Leroy, rien à signaler.")
    a, b = ReportRedactor(pii_engine, pseudonym_key=KEY).redact_reports([first, second])
    assert a.report.client.name == b.report.client.name
    assert re.fullmatch(r"<PERSONNE_[A-Z2-7]{8}>", a.report.client.name)
    assert b.report.observations == f"Passage chez {b.report.client.name}, rien à signaler."
    [c] = ReportRedactor(pii_engine, pseudonym_key=OTHER_KEY).redact_reports([first])
    assert c.report.client.name != a.report.client.name
    assert pseudonym(KEY, "PHONE_NUMBER", "06 12 34 56 78") == pseudonym(
        KEY, "PHONE_NUMBER", "+33 6 12 34 56 78"
    )


def test_a_pseudonym_key_must_be_long_enough(pii_engine: PiiEngine) -> None:
    with pytest.raises(PseudonymKeyError, match="16 random bytes"):
        ReportRedactor(pii_engine, pseudonym_key=b"short")


@pytest.mark.parametrize(
    ("entity_type", "value", "masked"),
    [
        ("PHONE_NUMBER", "06 12 34 56 78", "06 •• •• •• 78"),
        ("PHONE_NUMBER", "0612345678", "06••••••78"),
        ("PHONE_NUMBER", "+33 6 12 34 56 78", "+33 6 •• •• •• 78"),
        ("CREDIT_CARD", "4970 1012 3456 7893", "•••• •••• •••• 7893"),
        ("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189", "FR76 •••• •••• •••• •••• •••• 189"),
        ("EMAIL_ADDRESS", "jeanne.leroy@orange.fr", "j•••@orange.fr"),
        ("PERSON", "Jeanne Leroy", None),
    ],
)
def test_masks(entity_type: str, value: str, masked: str | None) -> None:
    assert mask(entity_type, value) == masked


def test_masked_types_show_a_partial_value(pii_engine: PiiEngine) -> None:
    redactor = ReportRedactor(pii_engine, masked_types={"PHONE_NUMBER"})
    assert (
        redactor.redact_text("Rappeler M. Petit au 06 12 34 56 78.")
        == "Rappeler M. <PERSONNE_1> au 06 •• •• •• 78."
    )
    with pytest.raises(ValueError, match="cannot mask"):
        ReportRedactor(pii_engine, masked_types={"PERSON"})


def test_redact_text_numbers_each_value_once(pii_engine: PiiEngine) -> None:
    text = "Mme Leroy au 06 12 34 56 78 ; M. Martin au 07 11 22 33 44 ; Mme Leroy rappelle au 0612345678."
    assert ReportRedactor(pii_engine).redact_text(text) == (
        "Mme <PERSONNE_1> au <TÉLÉPHONE_1> ; M. <PERSONNE_2> au <TÉLÉPHONE_2> ; "
        "Mme <PERSONNE_1> rappelle au <TÉLÉPHONE_1>."
    )


@dataclass
class _Numbered:
    type: str
    number: int
    value: str


def test_operators_run_in_presidio_and_its_logs_hold_no_value_nor_key(
    pii_engine: PiiEngine, caplog: pytest.LogCaptureFixture
) -> None:
    redactor = ReportRedactor(pii_engine, pseudonym_key=KEY, masked_types={"EMAIL_ADDRESS"})
    with caplog.at_level(logging.DEBUG, logger="presidio-anonymizer"):
        redacted = redactor.redact_text("Mme Leroy au 06 12 34 56 78 ou jeanne.leroy@orange.fr.")
    assert redacted.startswith("Mme <PERSONNE_") and "j•••@orange.fr" in redacted
    assert "performing operation" in caplog.text  # Presidio's AnonymizerEngine applied them
    for secret in ("Leroy", "06 12", "jeanne", repr(KEY)[2:18]):
        assert secret not in caplog.text


def test_neighbours_of_one_type_stay_two_values() -> None:
    """Presidio would merge two people separated by a space into one; quitus keeps them apart."""
    entries = NumberedValues(
        {
            ("PERSON", "Jean"): _Numbered("PERSON", 1, "Jean"),
            ("PERSON", "Paul"): _Numbered("PERSON", 2, "Paul"),
        }
    )
    spans = [RecognizerResult("PERSON", 0, 4, 0.9), RecognizerResult("PERSON", 5, 9, 0.9)]
    assert TextReplacer().replace("Jean Paul ok", spans, entries) == "<PERSONNE_1> <PERSONNE_2> ok"
    with pytest.raises(ValueError, match="must not overlap"):
        TextReplacer().replace("Jean Paul ok", [RecognizerResult("PERSON", 0, 9, 0.9), *spans], entries)
    assert "Jean" not in repr(entries)
