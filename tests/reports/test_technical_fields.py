"""Technical fields hold no personal data (reports.technical_fields), on every path in.

Found by the round-4 adversary: a name and phone typed in the equipment's model or serial
number were printed in the anonymized sealed PDF. The rule refuses shapes technical text
never takes — a phone written as one, an e-mail, a civility or ``chez`` before a name — and
must never refuse real equipment: every brand, model, serial and part of the sample
generator, and model names that look like names (``Naema 2 Micro``, ``Hydra Duo``).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.equipment_history import read_equipment_csv
from reports.errors import EquipmentImportError
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.technical_fields import PersonalShape, personal_shapes, technical_issues
from reports.templates import TemplateCatalog


@pytest.mark.parametrize(
    ("value", "shapes"),
    [
        ("Naneo chez Mme Quenouille 06 11 22 33 44", [PersonalShape.PHONE, PersonalShape.PERSON]),
        ("ThemaPlus 06.11.22.33.44", [PersonalShape.PHONE]),
        ("F25 +33 6 11 22 33 44", [PersonalShape.PHONE]),
        ("F25 +33611223344", [PersonalShape.PHONE]),
        ("Condens 0611223344", [PersonalShape.PHONE]),
        ("voir jeanne.leroy@exemple.fr", [PersonalShape.EMAIL]),
        ("Vitodens chez Martin", [PersonalShape.PERSON]),
        ("M. Dupont", [PersonalShape.PERSON]),
        ("Monsieur Lefèvre", [PersonalShape.PERSON]),
        ("CHEZ MME DUPONT", [PersonalShape.PERSON]),
        ("chez les Martin", [PersonalShape.PERSON]),
    ],
)
def test_personal_shapes_in_a_technical_value_are_found(value: str, shapes: list[PersonalShape]) -> None:
    assert personal_shapes(value) == shapes


@pytest.mark.parametrize(
    "value",
    [
        "Naema 2 Micro 25",
        "Hydra Duo",
        "ThemaPlus Condens F25",
        "Daikin Altherma 3 R EHBH08E6V",
        "Kone MonoSpace 500",
        "Otis Gen2",
        "M 25 Micro",
        "Dr 12",
        "R-134a",
        "4970 1012 3456 7893",
    ],
)
def test_real_equipment_is_not_refused(value: str) -> None:
    assert personal_shapes(value) == []


def test_ten_digits_alone_are_a_serial_number_not_a_phone() -> None:
    assert personal_shapes("0612345678", serial=True) == []
    assert personal_shapes("06 12 34 56 78", serial=True) == [PersonalShape.PHONE]


def _samples(count: int, seed: int) -> list[InterventionReport]:
    samples = generate_samples(TemplateCatalog.load(), count, seed=seed, photo_size=(16, 16), invalid_share=0)
    return [InterventionReport.model_validate(s.payload) for s in samples]


def test_no_sample_report_is_refused() -> None:
    """Every brand, model, serial number and part the generator writes is technical."""
    reports = _samples(400, seed=3)
    refused = [(r.equipment.model, issue.path) for r in reports for issue in technical_issues(r)]
    assert refused == []


def test_a_report_with_a_phone_in_its_model_gets_an_issue_that_never_quotes_it() -> None:
    report = _samples(1, seed=4)[0]
    payload = copy.deepcopy(report.model_dump(mode="json"))
    payload["equipment"]["model"] = "Naneo chez Mme Quenouille 06 11 22 33 44"
    payload["parts"] = [{"reference": "JT-12", "label": "joint, rappeler au 06 11 22 33 44", "quantity": 1}]
    issues = technical_issues(InterventionReport.model_validate(payload))
    assert [i.path for i in issues] == ["equipment.model", "parts[0].label"]
    assert all(i.code == "technical_personal" for i in issues)
    text = " ".join(i.message + i.message_fr for i in issues)
    assert "Quenouille" not in text and "06 11" not in text
    assert "telephone number and a person's name" in issues[0].message


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789 -/", min_size=1, max_size=30))
def test_references_of_capitals_and_digits_are_never_people(value: str) -> None:
    # Serial numbers and part references: capitals, digits, dashes; no phone written in pairs.
    if not any(shape is PersonalShape.PHONE for shape in personal_shapes(value, serial=True)):
        assert PersonalShape.PERSON not in personal_shapes(value, serial=True)
        assert PersonalShape.EMAIL not in personal_shapes(value, serial=True)


def test_an_equipment_import_file_refuses_the_same_shapes_without_quoting() -> None:
    header = "category,brand,model,serial_number,installed_year\n"
    good = read_equipment_csv((header + "chaudiere_gaz,Saunier Duval,ThemaPlus F25,SD-1234,2015\n").encode())
    assert [row.model for row in good] == ["ThemaPlus F25"]
    bad = header + "chaudiere_gaz,Saunier Duval,ThemaPlus F25,SD-1234,2015\n"
    bad += "chaudiere_gaz,Saunier Duval,chez Mme Quenouille,06 11 22 33 44,2016\n"
    with pytest.raises(
        EquipmentImportError, match="line 3, column model: looks like it holds a person"
    ) as refused:
        read_equipment_csv(bad.encode())
    assert "Quenouille" not in str(refused.value)
