"""Readings are recorded, then judged (issue 18): a reading out of range is accepted and flagged;
a crossed threshold is refused only when what it requires is missing; a wrong unit is refused."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reports.intake import Intake, Submission
from reports.issues import ReportIssue
from reports.readings import ReadingVerdict, judge_reading
from reports.samples import generate_samples
from reports.schema import InterventionReport, Measurement
from reports.templates import TemplateCatalog
from reports.validation import find_template, validate_report
from storage.states import ReportState

CATALOG = TemplateCatalog.load()
BOILER = CATALOG.by_id("chaudiere_gaz.entretien_annuel")
SHUTDOWN = "appareil_mis_a_l_arret"


def _boiler_payload() -> dict[str, Any]:
    for sample in generate_samples(CATALOG, 16, seed=18, invalid_share=0, unfinished_share=0):
        if sample.template_id == BOILER.id:
            return sample.payload
    raise AssertionError("no boiler sample")


BOILER_PAYLOAD = _boiler_payload()


def boiler(co_ppm: str, *, shutdown: dict[str, Any] | None = None, unit: str = "ppm") -> dict[str, Any]:
    payload = copy.deepcopy(BOILER_PAYLOAD)
    payload["measurements"] = [
        {**m, "value": co_ppm, "unit": unit} if m["id"] == "co_ambiant" else m
        for m in payload["measurements"]
    ]
    payload["checklist"] = [item for item in payload["checklist"] if item["id"] != SHUTDOWN]
    if shutdown is not None:
        payload["checklist"].append({"id": SHUTDOWN, **shutdown})
    return payload


def issues_of(payload: dict[str, Any]) -> list[Any]:
    return validate_report(InterventionReport.model_validate(payload), BOILER)


@pytest.mark.parametrize(
    ("value", "unit", "verdict", "out_of_range"),
    [
        ("2", "ppm", ReadingVerdict.WITHIN, False),
        ("10", "ppm", ReadingVerdict.WITHIN, False),
        ("15", "ppm", ReadingVerdict.OUT_OF_RANGE, True),
        ("50", "ppm", ReadingVerdict.OUT_OF_RANGE, True),  # "above 50" is strictly above
        ("62", "ppm", ReadingVerdict.THRESHOLD_CROSSED, True),
        ("62", "mg/m3", ReadingVerdict.WRONG_UNIT, False),
    ],
)
def test_a_reading_is_judged_against_its_template(
    value: str, unit: str, verdict: ReadingVerdict, out_of_range: bool
) -> None:
    judgement = judge_reading(Measurement(id="co_ambiant", value=Decimal(value), unit=unit), BOILER)
    assert (judgement.verdict, judgement.out_of_range) == (verdict, out_of_range)
    assert bool(judgement.crossed) == (verdict is ReadingVerdict.THRESHOLD_CROSSED)


def test_a_measurement_the_template_does_not_have_is_unchecked() -> None:
    judgement = judge_reading(Measurement(id="debit", value=Decimal(3), unit="L/min"), BOILER)
    assert judgement.verdict is ReadingVerdict.UNCHECKED and judgement.spec is None


def test_a_reading_out_of_the_usual_range_is_recorded_not_refused() -> None:
    assert issues_of(boiler("15")) == []


def test_co_above_50_ppm_without_the_shutdown_is_refused_saying_what_is_missing() -> None:
    [found] = issues_of(boiler("62"))
    assert found.code == "threshold_consequence_missing"
    assert found.path.startswith("measurements[") and found.path.endswith("].value")
    assert "Teneur en monoxyde de carbone ambiant" in found.message_fr
    assert "62 ppm" in found.message_fr and "> 50 ppm" in found.message_fr
    assert "Appareil mis à l'arrêt" in found.message_fr and "« fait » et commenté" in found.message_fr
    assert "co_ambiant" in found.message and SHUTDOWN in found.message and "> 50 ppm" in found.message


def test_co_above_50_ppm_with_the_shutdown_but_no_advice_is_refused() -> None:
    [found] = issues_of(boiler("62", shutdown={"status": "fait"}))
    assert found.code == "threshold_consequence_missing"
    assert "doit être commenté" in found.message_fr


def test_co_above_50_ppm_not_shut_down_is_refused_even_with_a_comment() -> None:
    [found] = issues_of(boiler("62", shutdown={"status": "non_fait", "comment": "Client absent"}))
    assert found.code == "threshold_consequence_missing"


def test_co_above_50_ppm_shut_down_and_advice_written_is_accepted() -> None:
    shutdown = {"status": "fait", "comment": "Chaudière arrêtée, occupant informé, aérer le logement."}
    assert issues_of(boiler("62", shutdown=shutdown)) == []


def test_an_impossible_reading_is_still_refused() -> None:
    assert [i.code for i in issues_of(boiler("62", unit="mg/m3"))] == ["measurement_wrong_unit"]
    with pytest.raises(ValueError, match="measurements"):
        InterventionReport.model_validate(boiler("beaucoup"))


def test_a_dangerous_reading_with_its_consequences_goes_through_intake(intake: Intake) -> None:
    shutdown = {"status": "fait", "comment": "Chaudière arrêtée, occupant informé, aérer le logement."}
    payload = boiler("62", shutdown=shutdown)
    outcome = intake.ingest(Submission(json.dumps(payload, ensure_ascii=False).encode(), "json"))
    assert outcome.accepted, outcome.issues
    assert outcome.report.state == ReportState.VALIDATED
    refused = boiler("62")
    refused["submission_id"] = "f" * 8 + refused["submission_id"][8:]
    outcome = intake.ingest(Submission(json.dumps(refused, ensure_ascii=False).encode(), "json"))
    assert outcome.report.state == ReportState.REJECTED
    assert [i.code for i in outcome.issues] == ["threshold_consequence_missing"]


def test_a_report_whose_template_file_is_broken_is_told_so(tmp_path: Path) -> None:
    (tmp_path / f"{BOILER.id}.yaml").write_text("id: [\n", encoding="utf-8")
    catalog = TemplateCatalog.load(tmp_path)
    found = find_template(InterventionReport.model_validate(boiler("2")), catalog)
    assert isinstance(found, ReportIssue) and found.code == "template_broken"
    assert f"le modèle {BOILER.id} est inutilisable : son fichier {BOILER.id}.yaml" in found.message_fr
    assert str(tmp_path) not in found.message  # the file is named, not where the installation lives
