"""render_report: a French A4 report a client can read, that leaks nothing when redacted.

The PDFs are read back the way a user or an auditor would: poppler's ``pdftotext`` and
``pdffonts``, and pypdf for the structure.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from reports.capture.photos import sanitize_image
from reports.pdf import PdfRenderError, render_report
from reports.pdf.images import PHOTO_MAX_SIDE
from reports.samples import Sample, generate_samples, make_photo
from reports.schema import Company, InterventionReport, personal_data_fields
from reports.templates import Template, TemplateCatalog

SEED = 2031
CATALOG = TemplateCatalog.load()
TEMPLATE_IDS = [template.id for template in CATALOG]
COMPANY = Company(name="Thermi'Clim Services", siret="91417776100170")


def _valid_samples() -> dict[str, Sample]:
    """One valid, finished sample per template, with a phone and an e-mail when possible."""
    chosen: dict[str, Sample] = {}
    for sample in generate_samples(CATALOG, 40, seed=SEED):
        if sample.expected != "valid" or sample.unfinished:
            continue
        current = chosen.get(sample.template_id)
        client = sample.payload["client"]
        if current is None or ("email" in client and "email" not in current.payload["client"]):
            chosen[sample.template_id] = sample
    assert sorted(chosen) == TEMPLATE_IDS
    return chosen


SAMPLES = _valid_samples()


def report_of(template_id: str, **changes: Any) -> tuple[InterventionReport, Template]:
    payload = {**SAMPLES[template_id].payload, **changes}
    payload = {key: value for key, value in payload.items() if value is not None}
    return InterventionReport.model_validate(payload), CATALOG.by_id(template_id)


def render(report: InterventionReport, template: Template, **options: Any) -> bytes:
    return render_report(
        report,
        template,
        report_id=options.pop("report_id", "RI-2025-000042"),
        images={},
        company=COMPANY,
        **options,
    )


def pdftotext(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    path = tmp_path / f"doc-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    """Whitespace folded to single spaces: values cut across lines still match."""
    return re.sub(r"\s+", " ", text)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def personal_values(payload: dict[str, Any]) -> list[str]:
    """Every text value of the payload at a path the schema marks as personal data."""
    found: list[str] = []

    def walk(node: Any, path: str, marked: bool) -> None:
        if isinstance(node, dict):
            if "content_base64" in node:
                return
            for key, value in node.items():
                child = f"{path}.{key}" if path else key
                walk(value, child, marked or child in PERSONAL)
        elif isinstance(node, list):
            for item in node:
                walk(item, f"{path}[]", marked or f"{path}[]" in PERSONAL)
        elif isinstance(node, str) and marked:
            found.append(node)

    walk(payload, "", False)
    return found


PERSONAL = set(personal_data_fields())


def embedded_images(pdf: bytes) -> Iterator[Image.Image]:
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            yield image.image


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_report_reads_in_french_with_every_section(template_id: str, tmp_path: Path) -> None:
    report, template = report_of(template_id)
    pdf = render(report, template)
    text = flat(pdftotext(pdf, tmp_path))
    pages = page_count(pdf)
    for label in (
        "Rapport d'intervention",
        "N° RI-2025-000042",
        template.title,
        "Client et lieu d'intervention",
        "Demande du client",
        "Équipement",
        "Intervention",
        "Points de contrôle",
        "Mesures",
        "Plage admise",
        "Photos",
        "Observations",
        "Issue de l'intervention",
        "Signatures",
        "SIRET 914 177 761 00170",
        f"page 1 / {pages}",
        f"page {pages} / {pages}",
        "Document scellé électroniquement — vérification : quitus verify-pdf ou Adobe Reader",
    ):
        assert label in text, label
    assert report.client.name in text
    for measurement in report.measurements:
        spec = template.measurement(measurement.id)
        assert spec is not None
        assert spec.label in text
        assert format(measurement.value.normalize(), "f").replace(".", ",") in text
        assert measurement.unit in text
    assert "✓ dans la plage" in text
    for item in report.checklist:
        spec = template.checklist_item(item.id)
        assert spec is not None
        assert spec.label in text


@pytest.mark.parametrize(
    ("template_id", "unit"),
    [
        ("chaudiere_gaz.entretien_annuel", "°C"),
        ("tableau_electrique.controle", "Ω"),
        ("tableau_electrique.controle", "mm²"),
    ],
)
def test_units_with_special_characters_render(template_id: str, unit: str, tmp_path: Path) -> None:
    report, template = report_of(template_id)
    spec = next(spec for spec in template.measurements if spec.unit == unit)
    value = spec.min if spec.min is not None else Decimal(1)
    measurements = [m.model_dump(mode="json") for m in report.measurements if m.id != spec.id]
    measurements.append({"id": spec.id, "value": str(value), "unit": unit})
    report, template = report_of(template_id, measurements=measurements)
    text = pdftotext(render(report, template), tmp_path, layout=True)
    row = next(line for line in text.splitlines() if spec.label[:30] in line)
    assert unit in row
    assert re.search(rf"\b{re.escape(format(value.normalize(), 'f').replace('.', ','))}\b", row)


def test_out_of_range_and_wrong_unit_measurements_are_marked(tmp_path: Path) -> None:
    report, template = report_of("chaudiere_gaz.entretien_annuel")
    measurements = [m.model_dump(mode="json") for m in report.measurements]
    measurements[0]["value"] = "999999"
    measurements[1]["unit"] = "mg/m3"
    report, template = report_of("chaudiere_gaz.entretien_annuel", measurements=measurements)
    text = flat(pdftotext(render(report, template), tmp_path))
    spec = template.measurement(measurements[1]["id"])
    assert spec is not None
    assert "✗ hors plage" in text
    assert f"✗ unité attendue : {spec.unit}" in text


def test_fonts_are_embedded(tmp_path: Path) -> None:
    report, template = report_of("tableau_electrique.controle")
    path = tmp_path / "report.pdf"
    path.write_bytes(render(report, template))
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    fonts = listing.splitlines()[2:]
    assert fonts, listing
    assert any("DejaVuSans-Bold" in line for line in fonts)
    for line in fonts:
        # columns: name type encoding emb sub uni object ID
        assert line.split()[-5] == "yes", f"font not embedded: {line}"


def test_special_characters_and_markup_render_literally(tmp_path: Path) -> None:
    observations = "Coût 125 € • 21 °C • 0,8 Ω • 2,5 mm² • <b>pas du gras</b> & co"
    report, template = report_of("chaudiere_gaz.entretien_annuel", observations=observations)
    assert observations in flat(pdftotext(render(report, template), tmp_path))


def test_client_signature_is_bound_by_its_sha256(tmp_path: Path) -> None:
    report, template = report_of("climatisation.mise_en_service")
    assert report.client_signature is not None
    image = base64.b64decode(report.client_signature.image.content_base64 or "")
    text = pdftotext(render(report, template), tmp_path)
    assert "Empreinte SHA-256 de la signature" in text
    assert hashlib.sha256(image).hexdigest() in re.sub(r"\s+", "", text)


def test_unfinished_intervention_shows_the_rescheduling_request(tmp_path: Path) -> None:
    outcome = {
        "status": "unfinished",
        "reason": "Pièce à commander.",
        "reschedule": {
            "preferred_date": "2025-04-02",
            "notes": "Prévoir deux heures.",
            "parts_to_order": [{"reference": "FT-26-313", "label": 'Filtre à tamis 1"', "quantity": 1}],
        },
    }
    report, template = report_of("pompe_a_chaleur.depannage", outcome=outcome)
    text = pdftotext(render(report, template), tmp_path)
    for expected in (
        "Intervention non terminée",
        "Demande de nouvelle intervention",
        "02/04/2025",
        "FT-26-313",
    ):
        assert expected in text


# --------------------------------------------------------------------------- determinism, metadata


def test_same_input_gives_the_same_bytes() -> None:
    report, template = report_of("pompe_a_chaleur.depannage")
    assert render(report, template) == render(report, template)
    assert render(report, template, variant="redacted") == render(report, template, variant="redacted")
    assert render(report, template, report_id="RI-2025-000043") != render(report, template)


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process: hash seeds, import order or the clock."""
    report, template = report_of("climatisation.mise_en_service")
    script = (
        "import sys, json\n"
        "from reports.pdf import render_report\n"
        "from reports.schema import Company, InterventionReport\n"
        "from reports.templates import TemplateCatalog\n"
        "report = InterventionReport.model_validate_json(sys.stdin.read())\n"
        "template = TemplateCatalog.load().by_id('climatisation.mise_en_service')\n"
        "company = Company(name=\"Thermi'Clim Services\", siret='91417776100170')\n"
        "sys.stdout.buffer.write(render_report(report, template, report_id='RI-2025-000042',"
        " images={}, company=company))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=report.model_dump_json().encode(),
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout == render(report, template)


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("variant", ["full", "redacted"])
def test_metadata_holds_no_personal_data(template_id: str, variant: str) -> None:
    report, template = report_of(template_id)
    pdf = render(report, template, variant=variant)
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "Rapport d'intervention RI-2025-000042"
    assert metadata.author == COMPANY.name
    values = " | ".join(str(value) for value in metadata.values())
    assert reader.xmp_metadata is None
    for value in personal_values(SAMPLES[template_id].payload):
        assert value not in values


# --------------------------------------------------------------------------- redacted variant


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_redacted_variant_leaks_no_personal_value(template_id: str, tmp_path: Path) -> None:
    payload = SAMPLES[template_id].payload
    report, template = report_of(template_id)
    # A photo caption may only name the equipment ("Legrand XL³ 160 - 4 rangées"): that text
    # is printed anyway, from the non-personal equipment fields.
    equipment = payload["equipment"]
    public = f"{equipment['brand']} {equipment['model']} {equipment.get('serial_number', '')}"
    full = flat(pdftotext(render(report, template), tmp_path))
    redacted_pdf = render(report, template, variant="redacted")
    redacted = flat(pdftotext(redacted_pdf, tmp_path))
    client = payload["client"]
    assert client["name"] in full  # the check below can fail
    leaked = [value for value in personal_values(payload) if value in redacted and value not in public]
    assert leaked == []
    for key in ("name", "phone", "email"):
        if key in client:
            assert client[key] not in redacted
    assert client["address"]["street"] not in redacted
    assert "[NOM]" in redacted
    assert "[ADRESSE]" in redacted
    assert "[TEXTE LIBRE RETIRÉ]" in redacted
    if "phone" in client:
        assert "[TÉLÉPHONE]" in redacted
    if "email" in client:
        assert "[E-MAIL]" in redacted
    assert "photo retirée" in redacted
    assert "Empreinte SHA-256" not in redacted
    assert list(embedded_images(redacted_pdf)) == []


def test_redacted_variant_runs_free_text_through_redact_text(tmp_path: Path) -> None:
    report, template = report_of("chaudiere_gaz.entretien_annuel")
    seen: list[str] = []

    def redact_text(text: str) -> str:
        seen.append(text)
        return f"texte relu n° {len(seen)}"

    text = flat(pdftotext(render(report, template, variant="redacted", redact_text=redact_text), tmp_path))
    assert report.observations in seen
    assert report.request.description in seen
    assert "texte relu n° 1" in text
    assert "[TEXTE LIBRE RETIRÉ]" not in text
    assert report.client.name not in text


# --------------------------------------------------------------------------- bad and unusual input


def _photo_payload(image: bytes, kind: str = "other", caption: str | None = None) -> dict[str, Any]:
    photo: dict[str, Any] = {"kind": kind, "image": {"content_base64": base64.b64encode(image).decode()}}
    if caption:
        photo["caption"] = caption
    return photo


def _encode(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def assert_readable(pdf: bytes, tmp_path: Path) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    return pdftotext(pdf, tmp_path)


def test_sixty_photos_paginate(tmp_path: Path) -> None:
    rng = random.Random(1)
    photos = [
        _photo_payload(make_photo(rng, label=f"Vue {n}", size=(640, 480)), caption=f"Vue {n}")
        for n in range(60)
    ]
    report, template = report_of("climatisation.mise_en_service", photos=photos)
    pdf = render(report, template)
    text = assert_readable(pdf, tmp_path)
    assert "Photo 60 · autre" in text
    assert "Vue 59" in text
    assert page_count(pdf) >= 5
    assert sum(1 for _ in embedded_images(pdf)) >= 60


def test_large_photo_is_scaled_down_once_keeping_its_aspect(tmp_path: Path) -> None:
    big = make_photo(random.Random(2), label="Plaque signalétique", size=(4000, 3000))
    report, template = report_of("chaudiere_gaz.entretien_annuel", photos=[_photo_payload(big, "after")])
    pdf = render(report, template)
    assert_readable(pdf, tmp_path)
    photo = next(image for image in embedded_images(pdf) if image.width > 500)
    assert max(photo.size) == PHOTO_MAX_SIDE
    assert photo.width / photo.height == pytest.approx(4 / 3, rel=0.01)
    assert len(pdf) < 1_000_000


def test_png_transparency_is_flattened_on_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (50, 25, 150, 75))
    png = sanitize_image(_encode(image, "PNG"), path="photos[0].file").content
    report, template = report_of("climatisation.mise_en_service", photos=[_photo_payload(png)])
    pdf = render(report, template)
    assert_readable(pdf, tmp_path)
    photo = next(image for image in embedded_images(pdf) if image.size == (200, 100)).convert("RGB")
    assert photo.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)
    assert photo.getpixel((100, 50)) == pytest.approx((200, 30, 30), abs=12)


@pytest.mark.parametrize("sanitized", [True, False], ids=["sanitized", "raw"])
def test_cmyk_jpeg_renders_in_rgb(sanitized: bool, tmp_path: Path) -> None:
    jpeg = _encode(Image.new("CMYK", (120, 90), (0, 255, 255, 0)), "JPEG")
    if sanitized:
        jpeg = sanitize_image(jpeg, path="photos[0].file").content
    report, template = report_of("climatisation.mise_en_service", photos=[_photo_payload(jpeg)])
    pdf = render(report, template)
    assert_readable(pdf, tmp_path)
    photo = next(image for image in embedded_images(pdf) if image.size == (120, 90))
    assert photo.mode == "RGB"
    red, green, blue = photo.getpixel((60, 45))
    assert red > 200 and green < 60 and blue < 60


def test_photo_metadata_never_reaches_the_pdf() -> None:
    """A JPEG still carrying its phone EXIF (GPS included) is re-encoded from its pixels."""
    photo = make_photo(random.Random(3), label="Compteur", size=(320, 240), with_gps_exif=True)
    assert b"Exif" in photo
    report, template = report_of("climatisation.mise_en_service", photos=[_photo_payload(photo)])
    assert b"Exif" not in render(report, template)


def test_empty_and_missing_optional_fields_render(tmp_path: Path) -> None:
    payload = SAMPLES["pompe_a_chaleur.depannage"].payload
    client = {
        key: value
        for key, value in payload["client"].items()
        if key not in ("phone", "email", "company_name")
    }
    equipment = {
        key: value
        for key, value in payload["equipment"].items()
        if key not in ("serial_number", "installed_year")
    }
    technician = {"id": payload["technician"]["id"], "name": payload["technician"]["name"]}
    report = InterventionReport.model_validate(
        {
            key: value
            for key, value in payload.items()
            if key not in ("site", "observations", "client_signature", "technician_signature", "tags")
        }
        | {
            "client": client,
            "equipment": equipment,
            "technician": technician,
            "checklist": [],
            "measurements": [],
            "selections": {},
            "parts": [],
            "photos": [],
        }
    )
    text = assert_readable(render(report, CATALOG.by_id("pompe_a_chaleur.depannage")), tmp_path)
    for expected in (
        "Aucun point de contrôle renseigné.",
        "Aucune mesure relevée.",
        "Aucune photo jointe.",
        "Aucune observation.",
        "À l'adresse du client",
        "non signé",
    ):
        assert expected in text


def test_thirty_page_observation_paginates(tmp_path: Path) -> None:
    """A technician's log: 100,000 characters in short lines, one per reading."""
    lines = [f"{8 + n // 60:02d}:{n % 60:02d} — relevé n° {n} : pression 2,1 bar, 45 °C" for n in range(2500)]
    observations = "\n".join(lines)[:100_000]
    report, template = report_of("climatisation.mise_en_service", observations=observations)
    pdf = render(report, template)
    text = flat(assert_readable(pdf, tmp_path))
    assert page_count(pdf) >= 30
    last_complete = lines[len(observations[: observations.rfind("\n")].splitlines()) - 1]
    assert last_complete.strip() in text
    assert f"page {page_count(pdf)} / {page_count(pdf)}" in text


@pytest.mark.slow
def test_huge_single_paragraph_and_comment_render(tmp_path: Path) -> None:
    """100,000 characters without a line break, in the observations and in a table cell."""
    words = " ".join(f"mot{n}" for n in range(20_000))[:100_000]
    report, template = report_of("tableau_electrique.controle")
    checklist = [item.model_dump(mode="json", exclude_none=True) for item in report.checklist]
    checklist[0] |= {"status": "anomalie", "comment": words}
    report, template = report_of("tableau_electrique.controle", observations=words, checklist=checklist)
    pdf = render(report, template)
    text = flat(assert_readable(pdf, tmp_path))
    assert "mot19999" in text or words.split()[-2] in text
    assert page_count(pdf) > 20


def test_long_company_name_fits_the_header(tmp_path: Path) -> None:
    report, template = report_of("chaudiere_gaz.entretien_annuel")
    company = Company(name="Société Nouvelle de Maintenance Thermique et Climatique du Grand Sud-Ouest " * 2)
    pdf = render_report(report, template, report_id="RI-1", images={}, company=company)
    assert "Société Nouvelle de Maintenance" in assert_readable(pdf, tmp_path)


# --------------------------------------------------------------------------- errors


def test_blob_images_come_from_the_images_mapping(tmp_path: Path) -> None:
    photo = make_photo(random.Random(4), label="Unité extérieure", size=(320, 240), with_gps_exif=False)
    report, template = report_of(
        "climatisation.mise_en_service",
        photos=[{"kind": "after", "image": {"blob_id": "blob-photo-1"}}],
    )
    pdf = render_report(report, template, report_id="RI-1", images={"blob-photo-1": photo}, company=COMPANY)
    assert any(image.size == (320, 240) for image in embedded_images(pdf))
    with pytest.raises(PdfRenderError) as missing:
        render_report(report, template, report_id="RI-1", images={}, company=COMPANY)
    assert missing.value.code == "image_missing"
    assert "photos[0].image" in str(missing.value)


def test_unreadable_image_names_the_field_not_the_content() -> None:
    report, template = report_of(
        "climatisation.mise_en_service", photos=[_photo_payload(b"\xff\xd8\xff not really a jpeg")]
    )
    with pytest.raises(PdfRenderError) as error:
        render(report, template)
    assert error.value.code == "image_unreadable"
    assert "photos[0].image" in str(error.value)


@pytest.mark.parametrize("report_id", ["", "RI 2025", "RI-<b>", "x" * 65, "Jean Dupont"])
def test_invalid_report_id_is_refused(report_id: str) -> None:
    report, template = report_of("climatisation.mise_en_service")
    with pytest.raises(PdfRenderError) as error:
        render(report, template, report_id=report_id)
    assert error.value.code == "report_id_invalid"
    assert report_id not in str(error.value) or not report_id


def test_template_of_another_kind_is_refused() -> None:
    report, _ = report_of("climatisation.mise_en_service")
    with pytest.raises(PdfRenderError) as error:
        render(report, CATALOG.by_id("chaudiere_gaz.entretien_annuel"))
    assert error.value.code == "template_mismatch"


def test_a_reading_beyond_a_threshold_is_recorded_and_marked_in_red(tmp_path: Path) -> None:
    # issue 18: CO above 50 ppm is what the attestation must show, with the shutdown
    report, template = report_of("chaudiere_gaz.entretien_annuel")
    payload = report.model_dump(mode="json")
    measurements = [{**m, "value": "62"} if m["id"] == "co_ambiant" else m for m in payload["measurements"]]
    if not any(m["id"] == "co_ambiant" for m in measurements):
        measurements.append({"id": "co_ambiant", "value": "62", "unit": "ppm"})
    checklist = [
        *payload["checklist"],
        {"id": "appareil_mis_a_l_arret", "status": "fait", "comment": "Arrêt"},
    ]
    report, template = report_of(
        "chaudiere_gaz.entretien_annuel", measurements=measurements, checklist=checklist
    )
    text = flat(pdftotext(render(report, template), tmp_path))
    assert "✗ hors plage" in text
    assert "✗ seuil > 50 ppm : Danger grave et immédiat" in text


def test_an_old_report_without_flags_still_renders_its_readings(tmp_path: Path) -> None:
    # a report stored before issue 18 has no judgement in it: the PDF judges it when rendering
    report, template = report_of("chaudiere_gaz.entretien_annuel")
    text = flat(pdftotext(render(report, template), tmp_path))
    assert "✓ dans la plage" in text and "hors plage" not in text
