"""Fillable PDF forms: blank form, filling as a tablet does, reading back into a report."""

from __future__ import annotations

import base64
import copy
import io
import logging
import random
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image, ImageDraw
from pydantic import ValidationError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject
from reportlab.pdfgen.canvas import Canvas

from reports.capture.pdf_form import blank_form, read_form
from reports.capture.pdf_form_fields import STATIC_FIELDS, form_info
from reports.capture.pdf_form_fill import fill_form
from reports.errors import CaptureError
from reports.intake import Intake, Submission
from reports.schema import InterventionReport
from reports.templates import Template, TemplateCatalog
from reports.validation import validate_report
from storage.report_store import ReceiptKind

TEMPLATES = list(TemplateCatalog.load())
CLIM = next(t for t in TEMPLATES if t.id == "climatisation.mise_en_service")
FRENCH = "Zoé Hervé-Françoise, 2 m² à 45 °C, 10 Ω — «ça va»"
# Images are compared without these: photos are compared byte for byte, signatures are redrawn.
IMAGES: Any = {"photos": True, "client_signature": {"image"}, "technician_signature": {"image"}}


def encode(image: Image.Image, image_format: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def photo(color: str, image_format: str = "JPEG") -> dict[str, str]:
    return {"content_base64": encode(Image.new("RGB", (48, 32), color), image_format)}


def drawn_signature() -> dict[str, str]:
    """A transparent PNG with one drawn line, as a signature pad exports it."""
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 80), (120, 20), (280, 60)], fill="black", width=5)
    return {"content_base64": encode(image, "PNG")}


def middle(low: Decimal | None, high: Decimal | None) -> str:
    return str(((low or Decimal(0)) + (high if high is not None else Decimal(100))) / 2)


def valid_payload(template: Template) -> dict[str, Any]:
    """A complete, valid, completed report for ``template``."""
    return {
        "submission_id": "form-test-0001",
        "company": {"name": "Clim'Ouest", "siret": "12345678901234"},
        "client": {
            "kind": "particulier",
            "name": "Jeanne Lefèvre",
            "address": {"street": "12 rue des Lilas", "postal_code": "44000", "city": "Nantes"},
            "phone": "06 12 34 56 78",
            "email": "jeanne.lefevre@example.fr",
        },
        "site": {"name": "Résidence Les Pins", "access_notes": "Code portail 1234B"},
        "request": {
            "date": "2024-03-01",
            "channel": "telephone",
            "description": "Plus d'eau chaude.\nBruit.",
        },
        "equipment": {
            "category": template.equipment_category,
            "brand": "Daikin",
            "model": "Perfera FTXM25R",
            "serial_number": "SN-778-XK",
            "installed_year": 2019,
        },
        "intervention_type": template.intervention_type,
        "technician": {"id": "tech-042", "name": "Marc Dubois", "certification": "AC-2021-0042"},
        "arrival": "2024-03-12T09:30:00+01:00",
        "departure": "2024-03-12T11:45:00+01:00",
        "checklist": [{"id": item.id, "status": "fait"} for item in template.checklist],
        "measurements": [
            {"id": m.id, "value": middle(m.min, m.max), "unit": m.unit} for m in template.measurements
        ],
        "selections": {s.id: s.choices[0] for s in template.selections},
        "parts": [{"reference": "JT-12", "label": "Joint torique", "quantity": "2", "unit": "u"}],
        "photos": [
            {"kind": "before", "image": photo("red")},
            {"kind": "after", "image": photo("blue", "PNG")},
        ],
        "observations": "RAS.",
        "outcome": {"status": "completed"},
        "client_signature": {
            "signer_name": "Jeanne Lefèvre",
            "signed_at": "2024-03-12T11:40:00",
            "image": drawn_signature(),
        },
        "technician_signature": {
            "signer_name": "Marc Dubois",
            "signed_at": "2024-03-12T11:41:00",
            "image": drawn_signature(),
        },
    }


def unfinished(payload: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    payload["outcome"] = {
        "status": "unfinished",
        "reason": "Pièce à commander (carte électronique).",
        "reschedule": {"preferred_date": "2024-03-20", "notes": "Prévoir 2 h ; client présent le matin."},
    }
    del payload["client_signature"]
    return payload


def tablet_edit(pdf: bytes, values: dict[str, str]) -> bytes:
    """Type ``values`` into the form's fields, as a tablet app does."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.update_page_form_field_values(None, values, auto_regenerate=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def with_payload(template: Template = CLIM, **changes: Any) -> dict[str, Any]:
    payload = valid_payload(template)
    payload.update(changes)
    return payload


def darkest(image: Image.Image) -> int:
    low, _ = image.convert("L").getextrema()
    return int(low)  # type: ignore[arg-type]


def decoded(attachment: Any) -> Image.Image:
    return decoded_dict({"content_base64": attachment.content_base64})


def decoded_dict(attachment: dict[str, str]) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(attachment["content_base64"])))
    image.load()
    return image


# ------------------------------------------------------------------------------------------- blank form


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
def test_blank_form_has_a_named_field_for_everything_the_template_asks(template: Template) -> None:
    fields = PdfReader(io.BytesIO(blank_form(template))).get_fields() or {}
    expected = {
        *STATIC_FIELDS,
        *(f"checklist.{item.id}.{key}" for item in template.checklist for key in ("status", "comment")),
        *(f"measurements.{m.id}" for m in template.measurements),
        *(f"selections.{s.id}" for s in template.selections),
    }
    assert expected <= set(fields)
    assert {n for n in fields if n.startswith("quitus.")} == {
        "quitus.template",
        "quitus.form_version",
        "quitus.units",
        "quitus.signature_boxes",
        "quitus.form_id",
    }
    assert fields["quitus.template"]["/V"] == template.id
    assert fields["quitus.form_version"]["/V"] == "1"
    assert fields["quitus.template"]["/Ff"] & 1, "hidden fields are read-only"
    info = form_info(fields)
    assert dict(info.units) == {m.id: m.unit for m in template.measurements}
    assert set(info.signature_boxes) == {"client_signature", "technician_signature"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
def test_dropdowns_offer_the_template_choices_with_french_labels(template: Template) -> None:
    fields = PdfReader(io.BytesIO(blank_form(template))).get_fields() or {}
    for selection in template.selections:
        options = [o[0] if isinstance(o, list) else o for o in fields[f"selections.{selection.id}"]["/Opt"]]
        assert options == [" ", *selection.choices]
    status = fields[f"checklist.{template.checklist[0].id}.status"]
    assert [list(o) for o in status["/Opt"][1:]] == [
        ["fait", "Fait"],
        ["non_fait", "Non fait"],
        ["non_applicable", "Non applicable"],
        ["anomalie", "Anomalie"],
    ]


def test_each_blank_form_has_its_own_form_id_an_empty_submission_id_and_the_company_name() -> None:
    first, second = (PdfReader(io.BytesIO(blank_form(CLIM, company_name="Clim'Ouest"))) for _ in range(2))
    fields = [r.get_fields() or {} for r in (first, second)]
    ids = [form_info(f).form_id for f in fields]
    assert ids[0] != ids[1]
    assert all(i.startswith("form-") for i in ids)
    # the technician fills the same blank many times: no fixed submission id in it
    assert all(not f["submission_id"].get("/V") for f in fields)
    assert fields[0]["company.name"]["/V"] == "Clim'Ouest"


def test_a_blank_form_read_back_holds_only_what_was_prefilled() -> None:
    blank = blank_form(CLIM)
    report = read_form(blank, copy_key=b"k" * 32)
    assert set(report) == {"submission_id", "equipment", "intervention_type"}
    assert report["submission_id"].startswith(
        form_info(PdfReader(io.BytesIO(blank)).get_fields() or {}).form_id
    )
    assert report["equipment"] == {"category": "climatisation"}
    assert report["intervention_type"] == "mise_en_service"


def _copy(blank: bytes, template: Template, **changes: Any) -> bytes:
    payload = {**valid_payload(template), **changes}
    del payload["submission_id"]  # as a technician leaves it: empty
    return fill_form(template, payload, blank=blank)


def test_two_copies_of_one_blank_form_are_two_submissions_and_one_copy_twice_is_one() -> None:
    # issue 18: a blank form served one report only (its submission id was fixed)
    blank = blank_form(CLIM)
    form_id = form_info(PdfReader(io.BytesIO(blank)).get_fields() or {}).form_id
    first = _copy(blank, CLIM, observations="Premier client.")
    second = _copy(blank, CLIM, observations="Second client.")
    ids = [read_form(copy, copy_key=b"k" * 32)["submission_id"] for copy in (first, second, first)]
    assert ids[0] != ids[1] and ids[2] == ids[0]
    assert all(i.startswith(form_id + ".") for i in ids)
    # the derived id is a valid submission id
    InterventionReport.model_validate(read_form(first, copy_key=b"k" * 32))


def test_a_submission_id_typed_on_the_form_is_kept_to_correct_a_rejected_report() -> None:
    blank = blank_form(CLIM)
    payload = valid_payload(CLIM)
    assert read_form(fill_form(CLIM, payload, blank=blank))["submission_id"] == payload["submission_id"]


# ------------------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
def test_filled_form_reads_back_as_the_same_valid_report(template: Template) -> None:
    payload = valid_payload(template)
    result = read_form(fill_form(template, payload))

    report = InterventionReport.model_validate(result)
    assert validate_report(report, template) == []
    assert report.model_dump(exclude=IMAGES) == InterventionReport.model_validate(payload).model_dump(
        exclude=IMAGES
    )
    assert report.client.name == "Jeanne Lefèvre"
    first = template.measurements[0]
    assert report.measurements[0].value == Decimal(middle(first.min, first.max))
    assert report.measurements[0].unit == first.unit
    assert report.selections == {s.id: s.choices[0] for s in template.selections}
    assert [p.kind for p in report.photos] == ["before", "after"]
    assert [p.image.content_base64 for p in report.photos] == [
        p["image"]["content_base64"] for p in payload["photos"]
    ]
    for signature in (report.client_signature, report.technician_signature):
        assert signature is not None
        image = decoded(signature.image)
        assert image.format == "PNG"
        assert darkest(image) < 64, "the signature has dark strokes"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
def test_unfinished_intervention_round_trip_keeps_reason_and_reschedule(template: Template) -> None:
    payload = unfinished(valid_payload(template))
    report = InterventionReport.model_validate(read_form(fill_form(template, payload)))
    assert report.outcome.status == "unfinished"
    assert report.outcome.reason == "Pièce à commander (carte électronique)."
    assert report.outcome.reschedule is not None
    assert report.outcome.reschedule.preferred_date.isoformat() == "2024-03-20"  # type: ignore[union-attr]
    assert report.outcome.reschedule.notes == "Prévoir 2 h ; client présent le matin."
    assert report.client_signature is None
    assert validate_report(report, template) == []


def test_unfinished_without_reschedule_details_still_has_a_reschedule_request() -> None:
    payload = unfinished(valid_payload(CLIM))
    payload["outcome"]["reschedule"] = {}
    report = InterventionReport.model_validate(read_form(fill_form(CLIM, payload)))
    assert report.outcome.reschedule is not None
    assert report.outcome.reschedule.preferred_date is None


def test_french_accents_and_symbols_survive() -> None:
    payload = with_payload(observations=FRENCH)
    payload["client"]["name"] = FRENCH
    payload["checklist"][0]["comment"] = FRENCH
    report = InterventionReport.model_validate(read_form(fill_form(CLIM, payload)))
    assert report.observations == FRENCH
    assert report.client.name == FRENCH
    assert report.checklist[0].comment == FRENCH


def test_typed_values_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    read_form(fill_form(CLIM, with_payload(observations=FRENCH)))
    assert "Zoé" not in caplog.text


def test_multiline_text_keeps_its_lines() -> None:
    report = read_form(fill_form(CLIM, with_payload(observations="Ligne 1\nLigne 2")))
    assert report["observations"] == "Ligne 1\nLigne 2"


# ------------------------------------------------------------------------------- what a technician types


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12/03/2024 09:30", "2024-03-12T09:30:00"),
        ("12/03/2024 9h30", "2024-03-12T09:30:00"),
        ("1.3.2024 à 14:05", "2024-03-01T14:05:00"),
        ("2024-03-12T09:30:00+01:00", "2024-03-12T09:30:00+01:00"),  # ISO is left to the schema
        ("12/03/2024", "12/03/2024"),  # no time: kept as typed
        ("31/02/2024 10:00", "31/02/2024 10:00"),  # no such day
        ("demain matin", "demain matin"),
    ],
)
def test_french_date_times_are_parsed_and_others_kept_as_typed(typed: str, read: str) -> None:
    assert read_form(tablet_edit(blank_form(CLIM), {"arrival": typed}))["arrival"] == read


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2,5", "2.5"),
        ("1 234,50", "1234.50"),
        ("12.5 kg", "12.5"),
        ("-0,5", "-0.5"),
        ("environ 3", "environ 3"),
    ],
)
def test_decimal_commas_spaces_and_the_unit_are_accepted(typed: str, read: str) -> None:
    report = read_form(tablet_edit(blank_form(CLIM), {"measurements.quantite_chargee": typed}))
    assert report["measurements"] == [{"id": "quantite_chargee", "value": read, "unit": "kg"}]


def test_an_unparseable_date_is_reported_by_the_schema_under_its_path() -> None:
    filled = fill_form(
        CLIM, with_payload(request={"date": "début mars", "channel": "email", "description": "x"})
    )
    result = read_form(filled)
    assert result["request"]["date"] == "début mars"
    with pytest.raises(ValidationError) as caught:
        InterventionReport.model_validate(result)
    assert [e["loc"] for e in caught.value.errors()] == [("request", "date")]


def test_a_dropdown_holding_its_label_reads_as_the_export_value() -> None:
    item = CLIM.checklist[0].id
    pdf = tablet_edit(
        blank_form(CLIM), {f"checklist.{item}.status": "Non applicable", "client.kind": "Professionnel"}
    )
    report = read_form(pdf)
    assert report["checklist"] == [{"id": item, "status": "non_applicable"}]
    assert report["client"] == {"kind": "professionnel"}


def test_a_comment_without_status_is_kept_so_validation_asks_for_the_status() -> None:
    item = CLIM.checklist[1].id
    report = read_form(tablet_edit(blank_form(CLIM), {f"checklist.{item}.comment": "Vu avec le client"}))
    assert report["checklist"] == [{"id": item, "comment": "Vu avec le client"}]


# -------------------------------------------------------------------------------- photos and signatures


def test_photos_take_their_kind_from_the_attachment_name_in_natural_order() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_form(CLIM))))
    names = ["apres-1.jpg", "Avant-10.jpg", "avant-2.jpg", "before-3.png", "autre-1.jpg", "IMG_0001.jpg"]
    for number, name in enumerate(names):
        writer.add_attachment(name, bytes([number]) * 10)
    buffer = io.BytesIO()
    writer.write(buffer)
    photos = read_form(buffer.getvalue())["photos"]
    found = [(p["kind"], names[base64.b64decode(p["image"]["content_base64"])[0]]) for p in photos]
    assert found == [
        ("before", "avant-2.jpg"),
        ("before", "Avant-10.jpg"),
        ("before", "before-3.png"),
        ("after", "apres-1.jpg"),
        ("other", "autre-1.jpg"),
        ("other", "IMG_0001.jpg"),
    ]


def ink(pdf: bytes, page: int, strokes: list[list[float]]) -> bytes:
    """Add an Ink annotation as a tablet app does when the user draws with a finger."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    xs = [v for s in strokes for v in s[::2]]
    ys = [v for s in strokes for v in s[1::2]]
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (min(xs), min(ys), max(xs), max(ys))),
            NameObject("/InkList"): ArrayObject(ArrayObject(FloatObject(v) for v in s) for s in strokes),
        }
    )
    writer.add_annotation(page, annotation)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_ink_strokes_in_a_box_become_that_signature_and_strokes_elsewhere_are_ignored() -> None:
    blank = blank_form(CLIM)
    box = form_info(PdfReader(io.BytesIO(blank)).get_fields() or {}).signature_boxes["client_signature"]
    left, bottom, right, top = box.rect
    two_strokes = [
        [left + 10, bottom + 10, left + 60, top - 10, left + 110, bottom + 20],
        [left + 120, bottom + 40, right - 10, bottom + 45],
    ]
    pdf = ink(ink(blank, box.page, two_strokes), box.page, [[10, 10, 30, 30]])  # in the margin
    report = read_form(tablet_edit(pdf, {"client_signature.signer_name": "Jeanne Lefèvre"}))
    signature = report["client_signature"]
    assert signature["signer_name"] == "Jeanne Lefèvre"
    image = decoded_dict(signature["image"])
    assert image.size == (round((right - left) * 4), round((top - bottom) * 4))
    assert darkest(image) == 0
    assert "technician_signature" not in report


def test_ink_far_outside_the_page_is_clamped_not_fatal() -> None:
    blank = blank_form(CLIM)
    box = form_info(PdfReader(io.BytesIO(blank)).get_fields() or {}).signature_boxes["technician_signature"]
    left, bottom, _, _ = box.rect
    report = read_form(ink(blank, box.page, [[left + 5, bottom + 5, 1e30, -1e30], [left + 9, bottom + 9]]))
    assert darkest(decoded_dict(report["technician_signature"]["image"])) == 0


def test_a_signer_name_without_drawing_leaves_the_image_missing_for_validation() -> None:
    payload = with_payload()
    del payload["client_signature"]["image"]
    result = read_form(fill_form(CLIM, payload))
    with pytest.raises(ValidationError) as caught:
        InterventionReport.model_validate(result)
    assert [e["loc"] for e in caught.value.errors()] == [("client_signature", "image")]


# ----------------------------------------------------------------------------------------------- refusals


def canvas_pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Rapport d'intervention scanné")
    canvas.save()
    return buffer.getvalue()


AGAIN = "export the filled form again"


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "code", "advice"),
    [
        (canvas_pdf, "not_a_form", "quitus forms blank TEMPLATE -o form.pdf"),
        (lambda: random.Random(7).randbytes(4096), "pdf_corrupt", AGAIN),
        (lambda: b"", "pdf_corrupt", AGAIN),
        (lambda: fill_form(CLIM, valid_payload(CLIM))[:30_000], "pdf_corrupt", AGAIN),
        (lambda: encrypted(fill_form(CLIM, valid_payload(CLIM))), "pdf_encrypted", "unprotected copy"),
        (lambda: tablet_edit(blank_form(CLIM), {"quitus.form_version": "2"}), "form_version_unsupported",
         "quitus forms blank"),
        (lambda: tablet_edit(blank_form(CLIM), {"quitus.signature_boxes": "{\"client_signature\": 1}"}),
         "not_a_form", "fill a new blank form"),
    ],
    ids=["not-a-form", "random-bytes", "empty", "truncated", "encrypted", "future-version", "damaged"],
)  # fmt: skip
def test_unreadable_pdfs_are_refused_with_a_code_and_what_to_do(make: Any, code: str, advice: str) -> None:
    with pytest.raises(CaptureError) as caught:
        read_form(make())
    assert caught.value.code == code
    assert advice in caught.value.message
    assert "Jeanne" not in caught.value.message


def test_pypdf_errors_are_chained() -> None:
    with pytest.raises(CaptureError) as caught:
        read_form(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    assert caught.value.code == "pdf_corrupt"
    assert caught.value.__cause__ is not None


def test_an_encrypted_form_that_opens_without_password_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fill_form(CLIM, valid_payload(CLIM)))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert read_form(buffer.getvalue())["client"]["name"] == "Jeanne Lefèvre"


def test_fill_form_refuses_values_the_form_cannot_hold() -> None:
    payload = with_payload()
    payload["checklist"].append({"id": "not_in_template", "status": "fait"})
    with pytest.raises(ValueError, match=r"checklist\.not_in_template\.status"):
        fill_form(CLIM, payload)
    other = next(t for t in TEMPLATES if t.id != CLIM.id)
    with pytest.raises(ValueError, match="blank form is for template"):
        fill_form(other, valid_payload(other), blank=blank_form(CLIM))


def test_two_filled_copies_of_one_blank_become_two_reports_and_a_copy_sent_twice_stays_one(
    intake: Intake,
) -> None:
    blank = blank_form(CLIM)
    first = _copy(blank, CLIM, observations="Premier client.")
    second = _copy(blank, CLIM, observations="Second client.")
    outcomes = [intake.ingest(Submission(copy, "pdf_form")) for copy in (first, second, first)]
    assert all(o.accepted for o in outcomes), [o.issues for o in outcomes]
    assert outcomes[0].report.id != outcomes[1].report.id
    assert outcomes[2].report.id == outcomes[0].report.id
    assert [o.receipt for o in outcomes] == [ReceiptKind.NEW, ReceiptKind.NEW, ReceiptKind.DUPLICATE]


def test_the_blank_form_says_what_a_threshold_requires() -> None:
    boiler = next(t for t in TEMPLATES if t.id == "chaudiere_gaz.entretien_annuel")
    page = PdfReader(io.BytesIO(blank_form(boiler))).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in page)
    assert "Si > 50 ppm — Danger grave et immédiat" in text
    assert "(CO ambiant > 50 ppm) » : Fait, avec commentaire" in text
    assert "« Appareil mis à l'arrêt, occupant informé et conseillé" in text
