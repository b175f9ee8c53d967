"""Sample reports: deterministic, valid when they say so, and wrong in exactly the announced way."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import re
import time
from collections import defaultdict
from decimal import Decimal

import pytest
from PIL import ExifTags, Image

from reports.capture.photos import sanitize_image
from reports.errors import TemplateError
from reports.issues import ReportIssue
from reports.samples import DEFECTS, Sample, generate_samples, make_photo, make_signature
from reports.schema import InterventionReport
from reports.templates import (
    ChecklistItemSpec,
    MeasurementSpec,
    PhotoRequirement,
    SelectionSpec,
    Template,
    TemplateCatalog,
    ThresholdRequirement,
    ThresholdSpec,
)
from reports.validation import find_template, validate_report

REFRIGERANT = re.compile(r"\bR(?:32|410A|290|454B|407C|134a)\b")


@pytest.fixture(scope="module")
def catalog() -> TemplateCatalog:
    return TemplateCatalog.load()


@pytest.fixture(scope="module")
def samples(catalog: TemplateCatalog) -> list[Sample]:
    """The default mix, as the demo and the benchmarks use it."""
    return generate_samples(catalog, 200)


@pytest.fixture(scope="module")
def all_invalid(catalog: TemplateCatalog) -> list[Sample]:
    """Every defect on every template: the defects and the templates both go round."""
    return generate_samples(catalog, len(DEFECTS) * len(catalog), seed=5, invalid_share=1, unfinished_share=0)


def parse(sample: Sample) -> InterventionReport:
    # Through JSON text, as a submission arrives.
    return InterventionReport.model_validate_json(json.dumps(sample.payload))


def issue_codes(sample: Sample, catalog: TemplateCatalog) -> set[str]:
    report = parse(sample)
    template = find_template(report, catalog)
    if isinstance(template, ReportIssue):
        return {template.code}
    return {found.code for found in validate_report(report, template)}


def decode(content_base64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(content_base64)))
    image.load()
    return image


def free_text(sample: Sample) -> str:
    payload = sample.payload
    return f"{payload['request']['description']}\n{payload['observations']}"


# --------------------------------------------------------------------------- determinism and coverage


def test_same_seed_gives_identical_samples(catalog: TemplateCatalog) -> None:
    first = generate_samples(catalog, 24, seed=11)
    again = generate_samples(catalog, 24, seed=11)
    assert json.dumps([s.payload for s in first]) == json.dumps([s.payload for s in again])
    assert [(s.template_id, s.expected, s.defect, s.unfinished) for s in first] == [
        (s.template_id, s.expected, s.defect, s.unfinished) for s in again
    ]


def test_another_seed_gives_other_samples(catalog: TemplateCatalog) -> None:
    first = generate_samples(catalog, 8, seed=11)
    other = generate_samples(catalog, 8, seed=12)
    assert {s.payload["client"]["name"] for s in first}.isdisjoint(
        {s.payload["client"]["name"] for s in other}
    )


def test_templates_are_covered_in_turn(samples: list[Sample], catalog: TemplateCatalog) -> None:
    ids = [template.id for template in catalog]
    assert [s.template_id for s in samples] == [ids[i % len(ids)] for i in range(len(samples))]
    for sample in samples:
        if sample.defect != "unknown_template":
            report = parse(sample)
            assert f"{report.equipment.category}.{report.intervention_type}" == sample.template_id


# --------------------------------------------------------------------------- validity


def test_valid_samples_validate_without_any_issue(samples: list[Sample], catalog: TemplateCatalog) -> None:
    valid = [s for s in samples if s.expected == "valid"]
    assert len(valid) > 150
    failing = {s.payload["submission_id"]: issue_codes(s, catalog) for s in valid if issue_codes(s, catalog)}
    assert failing == {}


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_reported_on_every_template(
    defect: str, all_invalid: list[Sample], catalog: TemplateCatalog
) -> None:
    with_defect = [s for s in all_invalid if s.defect == defect]
    assert {s.template_id for s in with_defect} == {t.id for t in catalog}
    assert all(s.expected == "invalid" and not s.unfinished for s in with_defect)
    assert [issue_codes(s, catalog) for s in with_defect] == [{defect}] * len(with_defect)


def test_defects_go_round_in_the_default_mix(samples: list[Sample], catalog: TemplateCatalog) -> None:
    invalid = [s for s in samples if s.expected == "invalid"]
    assert [s.defect for s in invalid] == [DEFECTS[i % len(DEFECTS)] for i in range(len(invalid))]
    assert all(issue_codes(s, catalog) == {s.defect} for s in invalid)


@pytest.mark.parametrize(
    ("count", "invalid_share", "unfinished_share"),
    [(200, 0.15, 0.15), (40, 0.5, 0.25), (30, 0, 1), (10, 0, 0)],
)
def test_shares_are_respected(
    count: int, invalid_share: float, unfinished_share: float, catalog: TemplateCatalog, samples: list[Sample]
) -> None:
    made = (
        samples
        if count == 200
        else generate_samples(
            catalog,
            count,
            invalid_share=invalid_share,
            unfinished_share=unfinished_share,
            photo_size=(64, 48),
        )
    )
    assert len(made) == count
    assert sum(s.expected == "invalid" for s in made) == round(count * invalid_share)
    assert sum(s.unfinished for s in made) == round(count * unfinished_share)
    assert all(s.defect is None for s in made if s.expected == "valid")


def test_unfinished_samples_say_why_and_when_to_come_back(samples: list[Sample]) -> None:
    unfinished = [s for s in samples if s.unfinished]
    assert unfinished
    for sample in unfinished:
        report = parse(sample)
        assert report.outcome.status == "unfinished"
        assert report.outcome.reason
        assert report.outcome.reschedule is not None
        assert report.outcome.reschedule.notes
        assert report.outcome.reschedule.preferred_date is not None
        assert report.outcome.reschedule.preferred_date > report.intervention_date
    reports = [parse(s) for s in unfinished]
    # Some stop before the "after" photo or the signatures, some wait for a part.
    assert any(not any(p.kind == "after" for p in r.photos) for r in reports)
    assert any(r.client_signature is None or r.technician_signature is None for r in reports)
    assert any(r.outcome.reschedule and r.outcome.reschedule.parts_to_order for r in reports)


def test_completed_samples_are_not_marked_unfinished(samples: list[Sample]) -> None:
    for sample in samples:
        assert (sample.payload["outcome"]["status"] == "unfinished") == sample.unfinished


# --------------------------------------------------------------------------- realism


def test_timeline_is_plausible(samples: list[Sample]) -> None:
    for sample in samples:
        report = parse(sample)
        assert dt.date(2024, 1, 1) <= report.intervention_date <= dt.date(2026, 10, 31)
        assert report.request.date < report.intervention_date
        assert report.departure.date() == report.arrival.date()
        assert dt.timedelta(hours=1) <= report.departure - report.arrival <= dt.timedelta(hours=4)
        for signature in (report.client_signature, report.technician_signature):
            if signature is not None:
                assert report.arrival <= signature.signed_at <= report.departure


def test_checklists_are_mostly_done_and_anomalies_are_explained(samples: list[Sample]) -> None:
    items = [item for s in samples if s.expected == "valid" for item in parse(s).checklist]
    done = [item for item in items if item.status == "fait"]
    anomalies = [item for item in items if item.status == "anomalie"]
    assert len(done) > 0.75 * len(items)
    assert anomalies
    assert all(item.comment for item in anomalies)


def test_free_text_mixes_personal_and_technical_data(samples: list[Sample]) -> None:
    def names_client(sample: Sample) -> bool:
        client = sample.payload["client"]
        last_name = client["name"].split()[-1]
        return any(
            v and v in free_text(sample) for v in (last_name, client.get("phone"), client.get("email"))
        )

    def names_equipment(sample: Sample) -> bool:
        return sample.payload["equipment"]["brand"] in free_text(sample)

    assert sum(map(names_client, samples)) > 0.9 * len(samples)
    assert sum(map(names_equipment, samples)) > 0.6 * len(samples)
    # Several phrasings, not one template sentence.
    openings = {s.payload["request"]["description"][:15] for s in samples}
    assert len(openings) > 15


def test_clients_are_people_and_businesses(samples: list[Sample]) -> None:
    kinds = {s.payload["client"]["kind"] for s in samples}
    assert kinds == {"particulier", "professionnel"}
    phones = [s.payload["client"]["phone"] for s in samples]
    assert any(p.startswith("+33") for p in phones)
    assert any(re.match(r"0[67]", p) for p in phones)
    assert any(s.payload.get("site", {}).get("access_notes") for s in samples)


def test_refrigerant_agrees_with_the_equipment(samples: list[Sample]) -> None:
    by_model: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sample in samples:
        fluid = sample.payload["selections"].get("fluide")
        if fluid is None or sample.defect == "selection_invalid":
            continue
        equipment = sample.payload["equipment"]
        by_model[equipment["brand"], equipment["model"]].add(fluid)
        assert set(REFRIGERANT.findall(sample.payload["observations"])) <= {fluid}
    assert by_model
    assert all(len(fluids) == 1 for fluids in by_model.values())


def test_heat_pump_faults_quote_an_error_code(samples: list[Sample]) -> None:
    heat_pumps = [s for s in samples if s.template_id == "pompe_a_chaleur.depannage"]
    assert heat_pumps
    for sample in heat_pumps:
        description = sample.payload["request"]["description"]
        assert re.search(r"(code|défaut) [A-Z0-9.]{2,7}\b", description, re.IGNORECASE)


# --------------------------------------------------------------------------- images


def test_photos_are_jpegs_with_a_gps_position(samples: list[Sample]) -> None:
    photo = decode(samples[0].payload["photos"][0]["image"]["content_base64"])
    assert photo.format == "JPEG"
    assert photo.size == (640, 480)
    gps = photo.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert 41 <= gps[ExifTags.GPS.GPSLatitude][0] <= 51
    assert ExifTags.GPS.GPSLongitude in gps


def test_photo_capture_time_is_that_of_the_intervention(samples: list[Sample]) -> None:
    report = parse(samples[0])
    photo = decode(samples[0].payload["photos"][0]["image"]["content_base64"])
    taken = photo.getexif().get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal]
    assert taken.startswith(report.intervention_date.strftime("%Y:%m:%d"))


def test_photo_without_gps_has_no_exif_at_all() -> None:
    photo = Image.open(
        io.BytesIO(make_photo(random.Random(1), label="Vue", size=(64, 48), with_gps_exif=False))
    )
    assert len(photo.getexif()) == 0


def test_photos_and_signatures_pass_capture_without_their_metadata(samples: list[Sample]) -> None:
    payload = samples[0].payload
    photo = sanitize_image(
        base64.b64decode(payload["photos"][0]["image"]["content_base64"]), path="photos[0]"
    )
    assert len(Image.open(io.BytesIO(photo.content)).getexif()) == 0
    signature = base64.b64decode(payload["technician_signature"]["image"]["content_base64"])
    assert sanitize_image(signature, path="technician_signature.image").media_type == "image/png"


def test_photos_are_deterministic_and_sized_as_asked() -> None:
    first = make_photo(random.Random(3), label="Tableau après intervention", size=(320, 240))
    again = make_photo(random.Random(3), label="Tableau après intervention", size=(320, 240))
    assert first == again
    assert Image.open(io.BytesIO(first)).size == (320, 240)


def test_signature_is_a_drawn_stroke_on_transparent_png() -> None:
    data = make_signature(random.Random(4), "Jean-Pierre Lefèvre")
    assert data == make_signature(random.Random(4), "Jean-Pierre Lefèvre")
    assert data != make_signature(random.Random(4), "Camille Roux")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    ink = alpha.getbbox()
    assert ink is not None
    # A signature spans most of the pad but leaves most of it blank.
    assert ink[2] - ink[0] > image.width / 2
    inked = sum(alpha.histogram()[129:])
    assert 0.005 < inked / (image.width * image.height) < 0.2


# --------------------------------------------------------------------------- other catalogs and arguments


def company_catalog() -> TemplateCatalog:
    """A company's own templates: an unknown category, and a known category with another type."""
    water_heater = Template(
        id="chauffe_eau.entretien",
        title="Entretien chauffe-eau thermodynamique",
        equipment_category="chauffe_eau",
        intervention_type="entretien",
        checklist=[
            ChecklistItemSpec(id="anode", label="Contrôle de l'anode"),
            ChecklistItemSpec(id="choc_thermique", label="Choc thermique anti-légionelles", required=False),
        ],
        measurements=[
            MeasurementSpec(id="debit", label="Débit", unit="L/min", min=2, max=30),
            # A low hot-water temperature is what the report must record (legionella).
            MeasurementSpec(
                id="temperature_ecs",
                label="Température de l'eau chaude",
                unit="°C",
                min=50,
                max=65,
                thresholds=[
                    ThresholdSpec(
                        below=Decimal(45),
                        label="Risque de légionelles",
                        requires=[ThresholdRequirement(item="choc_thermique", comment=True)],
                    )
                ],
            ),
        ],
    )
    boiler_repair = Template(
        id="chaudiere_gaz.depannage",
        title="Dépannage chaudière gaz",
        equipment_category="chaudiere_gaz",
        intervention_type="depannage",
        checklist=[ChecklistItemSpec(id="diagnostic", label="Diagnostic")],
        measurements=[MeasurementSpec(id="pression_circuit", label="Pression", unit="bar", min=0.5, max=3)],
        selections=[SelectionSpec(id="cause", label="Cause", choices=["Électrode", "Carte", "Autre"])],
        photos=[PhotoRequirement(kind="before", label="Défaut affiché")],
        client_signature_required=False,
    )
    return TemplateCatalog([water_heater, boiler_repair])


def test_other_templates_get_valid_samples() -> None:
    catalog = company_catalog()
    made = generate_samples(catalog, 20, seed=9, invalid_share=0, photo_size=(64, 48))
    assert all(issue_codes(sample, catalog) == set() for sample in made)


def test_other_templates_get_only_defects_they_can_have() -> None:
    catalog = company_catalog()
    made = generate_samples(catalog, 28, seed=9, invalid_share=1, unfinished_share=0, photo_size=(64, 48))
    assert [issue_codes(sample, catalog) for sample in made] == [{sample.defect} for sample in made]
    # The water heater template asks for no photo and no choice: those defects pass their turn.
    water_heater = [s for s in made if s.template_id == "chauffe_eau.entretien"]
    assert not {s.defect for s in water_heater} & {"photo_missing", "selection_invalid"}
    # The boiler repair template has no threshold: a missing consequence cannot be its defect.
    boiler_repair = [s for s in made if s.template_id == "chaudiere_gaz.depannage"]
    assert "threshold_consequence_missing" not in {s.defect for s in boiler_repair}
    assert {s.defect for s in made} == set(DEFECTS)


def test_no_sample_asked_gives_none(catalog: TemplateCatalog) -> None:
    assert generate_samples(catalog, 0) == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"count": -1},
        {"invalid_share": 1.5},
        {"unfinished_share": -0.1},
        {"invalid_share": 0.6, "unfinished_share": 0.6},
        {"photo_size": (8, 8)},
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, object], catalog: TemplateCatalog) -> None:
    count = arguments.pop("count", 5)
    with pytest.raises(ValueError):
        generate_samples(catalog, count, **arguments)  # type: ignore[arg-type]


def test_empty_catalog_is_refused() -> None:
    with pytest.raises(TemplateError, match="catalog is empty"):
        generate_samples(TemplateCatalog([]), 3)


def test_two_hundred_samples_take_seconds_not_minutes(catalog: TemplateCatalog) -> None:
    # A guard against accidental slowness (uncached drawings, quadratic loops), not a benchmark.
    started = time.perf_counter()
    generate_samples(catalog, 200, seed=7)
    assert time.perf_counter() - started < 10
