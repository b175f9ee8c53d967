"""The equipment register (storage.equipment, reports.equipment_history) on SQLite and PostgreSQL.

Units come from accepted reports that name a serial number, or from a CSV import; their
history is the accepted reports about them; erasing a report takes its line away, and a
unit first seen in reports goes when none is left. The register holds no personal data.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from reports.equipment_history import history_lines, history_of, read_equipment_csv
from reports.errors import EquipmentImportError
from reports.intake import Intake, Submission
from reports.samples import generate_samples
from reports.schema import Equipment
from reports.templates import TemplateCatalog
from storage.equipment import EquipmentInterventionRecord, EquipmentRecord, EquipmentStore
from storage.erasure import ShredRequest, shred_reports
from storage.report_store import ReportStore

CLIENT = "Léontine Chaudière-Témoin"
UNIT = {
    "category": "chaudiere_gaz",
    "brand": "Saunier Duval",
    "model": "ThemaPlus Condens F25",
    "serial_number": "SD-2019-778812",
    "installed_year": 2019,
}


def _payload(seed: int, day: str, **equipment: Any) -> dict[str, Any]:
    samples = generate_samples(TemplateCatalog.load(), 10, seed=seed, photo_size=(32, 24), invalid_share=0)
    sample = next(s for s in samples if s.template_id == "chaudiere_gaz.entretien_annuel")
    payload = copy.deepcopy(sample.payload)
    payload["client"]["name"] = CLIENT
    payload["equipment"] = {**UNIT, **equipment}
    old = payload["arrival"][:10]
    return json.loads(json.dumps(payload).replace(f'"{old}T', f'"{day}T'))


def _accepted(intake: Intake, payload: dict[str, Any]) -> str:
    outcome = intake.ingest(Submission(json.dumps(payload).encode(), "json"))
    assert outcome.accepted, outcome.issues
    return outcome.report.id


def test_accepted_reports_build_the_units_history(store: ReportStore, intake: Intake) -> None:
    first = _accepted(intake, _payload(1, "2026-01-12"))
    second = _accepted(
        intake, _payload(2, "2026-11-03", brand="SAUNIER  duval")
    )  # the same unit, typed otherwise
    _accepted(intake, _payload(3, "2026-05-05", serial_number=None))  # no serial: no unit
    history = history_of(store, Equipment.model_validate(UNIT))
    assert [item.report_id for item in history] == [second, first]
    assert history[1].number == store.get(first).number
    assert EquipmentStore(store).count() == 1
    titles = {t.id: t.title for t in TemplateCatalog.load()}
    line = history_lines(history_of(store, Equipment.model_validate(UNIT), excluding=second), titles)[0]
    assert line.startswith(
        "Dernière intervention : 12/01/2026, Entretien annuel chaudière gaz, terminée (RI-"
    )
    with store.database.session() as session:
        rows = [
            *session.execute(select(EquipmentRecord.__table__)),
            *session.execute(select(EquipmentInterventionRecord.__table__)),
        ]
    assert rows and CLIENT not in repr(rows)


def test_erasing_the_reports_leaves_nothing_of_the_unit(store: ReportStore, intake: Intake) -> None:
    first = _accepted(intake, _payload(1, "2026-01-12"))
    second = _accepted(intake, _payload(2, "2026-11-03"))
    shred_reports(store, [ShredRequest(first, "subject_request")])
    assert [i.report_id for i in history_of(store, Equipment.model_validate(UNIT))] == [second]
    shred_reports(store, [ShredRequest(second, "subject_request")])
    assert history_of(store, Equipment.model_validate(UNIT)) == []
    with store.database.session() as session:
        assert list(session.scalars(select(EquipmentRecord.id))) == []
        assert list(session.scalars(select(EquipmentInterventionRecord.report_id))) == []


def test_an_imported_unit_stays_when_its_reports_are_erased(store: ReportStore, intake: Intake) -> None:
    rows = read_equipment_csv(
        b"category;brand;model;serial_number;installed_year\n"
        b"chaudiere_gaz;Saunier Duval;ThemaPlus Condens F25;SD-2019-778812;2019\n"
        b"pompe_a_chaleur;Daikin;Altherma 3 H;DK-44-1;\n"
    )
    assert EquipmentStore(store).import_units([(r.key(), r.installed_year) for r in rows]) == (2, 0)
    assert EquipmentStore(store).import_units([(r.key(), r.installed_year) for r in rows]) == (0, 2)
    report = _accepted(intake, _payload(1, "2026-01-12"))
    assert [i.report_id for i in history_of(store, Equipment.model_validate(UNIT))] == [report]
    shred_reports(store, [ShredRequest(report, "subject_request")])
    assert history_of(store, Equipment.model_validate(UNIT)) == []
    assert EquipmentStore(store).count() == 2  # imported: technical data, tied to no one now


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            b"category,brand,model,serial_number,owner\nchaudiere_gaz,A,B,C,Mme Dupont\n",
            "column(s) 5 are not equipment",
        ),
        (b"category,brand,serial_number\nchaudiere_gaz,A,C\n", "missing column(s) model"),
        (
            b"category,brand,model,serial_number,installed_year\nchaudiere_gaz,A,B,C,1850\n",
            "line 2, column installed_year",
        ),
        (b"category,brand,model,serial_number\nChaudi\xe8re,A,B,C\n", "not UTF-8"),
        (b"category,brand,model,serial_number\nChaudiere Gaz,A,B,C\n", "line 2, column category"),
    ],
)
def test_a_bad_import_file_names_the_line_and_column_never_the_value(data: bytes, says: str) -> None:
    with pytest.raises(EquipmentImportError, match=re.escape(says)) as refused:
        read_equipment_csv(data)
    assert "Dupont" not in str(refused.value) and "1850" not in str(refused.value)


def test_whatever_is_typed_in_the_equipment_fields_is_not_kept_in_clear(
    store: ReportStore, intake: Intake
) -> None:
    """A client's name and phone typed in the model (found by the round-4 adversary) must not
    reach the register: a unit is known by a keyed digest, never by its text. Written as a
    phone and a civility, the report is refused (reports.technical_fields); a bare surname the
    rule cannot tell from a model name is accepted, and stays out of the register's text."""
    refused = intake.ingest(
        Submission(
            json.dumps(_payload(4, "2026-02-02", model="Naneo chez Mme Quenouille 06 11 22 33 44")).encode(),
            "json",
        )
    )
    assert not refused.accepted and [i.code for i in refused.issues] == ["technical_personal"]
    typed = "Naneo Quenouille Eugenie"
    report = _accepted(intake, _payload(5, "2026-02-02", model=typed))
    with store.database.session() as session:
        rows = [
            *session.execute(select(EquipmentRecord.__table__)),
            *session.execute(select(EquipmentInterventionRecord.__table__)),
        ]
    assert rows and not any(word in repr(rows) for word in ("Quenouille", "Eugenie", "Naneo"))
    assert [i.report_id for i in history_of(store, Equipment.model_validate({**UNIT, "model": typed}))] == [
        report
    ]
